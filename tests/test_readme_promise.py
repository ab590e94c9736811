"""README's promise: CI installs only the system packages README names, and `make test` on a
machine without one of them stops at once with one line saying what to install."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MAKE = shutil.which("make")


def _apt_packages(text: str) -> set[str]:
    """The package names of every `apt-get install …` in a text (options dropped)."""
    packages: set[str] = set()
    for line in re.findall(r"apt-get install ([^`>]+)", text):
        packages.update(word for word in line.split() if not word.startswith("-"))
    return packages


def test_ci_installs_only_what_readme_names() -> None:
    ci = _apt_packages((ROOT / ".ci" / "run").read_text())
    readme = _apt_packages((ROOT / "README.md").read_text())
    assert ci, ".ci/run installs no system package: the parser no longer sees its apt-get line"
    assert ci <= readme, f"CI installs what README does not name: {sorted(ci - readme)}"


def test_ci_runs_readmes_two_commands_as_written() -> None:
    readme = (ROOT / "README.md").read_text()
    ci = (ROOT / ".ci" / "run").read_text()
    commands = re.findall(r"^(make \w+)\s+#", readme, flags=re.MULTILINE)
    assert commands == ["make up", "make test"], commands
    ran = re.findall(r"^(?:setsid )?(make \w+)\b(.*)$", ci, flags=re.MULTILINE)
    assert [command for command, _ in ran] == commands
    for command, rest in ran:
        # Nothing added to the command line: make up's redirection and `&` only.
        assert not rest.strip() or rest.strip().startswith(">"), (command, rest)


def _fresh_make_env() -> dict[str, str]:
    """The environment without what a make running this suite (`make test`) passes down, so
    the make started here talks as one started by a person does (no `make[1]:` prefix)."""
    return {k: v for k, v in os.environ.items() if k not in {"MAKELEVEL", "MAKEFLAGS", "MFLAGS"}}


def _make(target: str, binaries: str, initdb: str = "/bin/sh") -> subprocess.CompletedProcess[str]:
    """`make TARGET` in the checkout, with the system binaries it checks for set (PostgreSQL's
    `initdb`, found under a folder named by its version, on its own)."""
    assert MAKE is not None, "make is not on PATH"
    return subprocess.run(
        [
            MAKE,
            "--no-print-directory",
            target,
            f"TEST_SYSTEM_BINARIES={binaries}",
            f"POSTGRES_INITDB={initdb}",
        ],
        cwd=ROOT,
        env=_fresh_make_env(),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_make_test_without_a_prerequisite_stops_at_once_naming_it() -> None:
    started = time.monotonic()
    result = _make("test", "/nonexistent/chromium /usr/bin/redis-server /nonexistent/redis-server")
    took = time.monotonic() - started

    assert result.returncode == 2
    assert result.stdout == "", "something ran before the check stopped make test"
    ours = result.stderr.splitlines()[0]
    assert ours.endswith("apt-get install chromium redis-server"), ours
    # Past our line only make's own "*** [...] Error 2".
    assert all(line.startswith("make: ***") for line in result.stderr.splitlines()[1:])
    assert took < 10


def test_make_test_without_postgresql_names_its_package() -> None:
    result = _make("test", "/bin/sh", initdb="")
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.splitlines()[0].endswith("apt-get install postgresql")


def test_make_test_prerequisites_pass_when_present() -> None:
    result = _make("test-prerequisites", "/bin/sh")
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
