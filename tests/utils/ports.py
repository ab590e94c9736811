"""The loopback host tests serve on and the free ports they take."""

from __future__ import annotations

from lakebook.cli.stack.supervisor import PortPicker

HOST = "127.0.0.1"

# Tests take ports from 20000-29999, benchmarks from 40000-49999: both may run at once.
free_port = PortPicker(HOST, range(20000, 30000))


def stack_port_env() -> dict[str, str]:
    """LAKEBOOK_*_PORT variables that put every embedded service on a free port."""
    names = ("s3", "prefect", "gateway", "lab", "runner", "postgres")
    names += ("seaweed_master", "seaweed_volume", "seaweed_filer")
    return {f"LAKEBOOK_{name.upper()}_PORT": str(free_port()) for name in names}
