"""Where `lakebook up` serves the example dashboard. Voila runs inside JupyterLab as a Jupyter
server extension (voila enables it on install), so it answers on Lab's port
(LAKEBOOK_LAB_PORT), with Lab's token and Lab's kernel environment: no service of its own."""

from __future__ import annotations

from pathlib import Path, PurePosixPath

from lakebook.common.settings import Settings

# The example workspace's dashboard, relative to JupyterLab's root (the repository under
# `make up`).
EXAMPLE_DASHBOARD = PurePosixPath("notebooks/02_dashboard.ipynb")


def dashboard_url(settings: Settings, lab_token: str, lab_root: Path) -> str:
    """Voila's page for the example dashboard when Lab's root has it, else Voila's listing
    of the notebooks there."""
    base = f"http://{settings.stack.host}:{settings.stack.lab_port}/voila"
    if (lab_root / EXAMPLE_DASHBOARD).is_file():
        return f"{base}/render/{EXAMPLE_DASHBOARD}?token={lab_token}"
    return f"{base}/tree?token={lab_token}"
