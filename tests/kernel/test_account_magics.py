"""`%lakebook login|status|runs` in an in-process shell against the real gateway stack."""

from __future__ import annotations

import getpass
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from IPython.core.error import UsageError
from IPython.core.interactiveshell import InteractiveShell

from lakebook.common.settings import Settings
from lakebook.kernel.client import connect
from lakebook.kernel.magics import DuckDBMagic
from lakebook.kernel.render import ResultPreview, TextPreview
from tests.utils.ports import free_port
from tests.utils.services import FlowStack


def shell_with(settings: Settings) -> Iterator[InteractiveShell]:
    ipython = InteractiveShell.instance()
    magic = DuckDBMagic(shell=ipython, settings=settings)
    ipython.register_magics(magic)
    yield ipython
    magic.close()


@pytest.fixture
def gateway_settings(flow_stack: FlowStack, tmp_path: Path) -> Settings:
    """The stack's gateway, and a data dir of our own where credentials are saved."""
    return flow_stack.gateway.settings.with_values(
        data_dir=tmp_path, gateway_url=flow_stack.gateway.url
    )


@pytest.fixture
def shell(gateway_settings: Settings) -> Iterator[InteractiveShell]:
    yield from shell_with(gateway_settings)


def type_password(monkeypatch: pytest.MonkeyPatch, password: str) -> list[str]:
    """What a person would type at the prompt; returns the prompts shown."""
    prompts: list[str] = []

    def typed(prompt: str = "") -> str:
        prompts.append(prompt)
        return password

    monkeypatch.setattr(getpass, "getpass", typed)
    return prompts


def test_login_then_status_and_runs(
    shell: InteractiveShell,
    flow_stack: FlowStack,
    gateway_settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with pytest.raises(UsageError, match="no gateway token: .*credentials.json does not exist"):
        shell.run_line_magic("lakebook", "status")

    name, password = flow_stack.gateway.add_user("analyst")
    prompts = type_password(monkeypatch, password)
    answer = shell.run_line_magic("lakebook", f"login {name}")
    assert isinstance(answer, TextPreview)
    assert f"as {name}" in answer.text
    assert prompts == [f"password for {name} at {flow_stack.gateway.url}: "]
    credentials = gateway_settings.data_dir / "credentials.json"
    assert stat.S_IMODE(credentials.stat().st_mode) == 0o600

    status = shell.run_line_magic("lakebook", "status")
    assert f"signed in as {name} (analyst)" in status.text

    with connect(settings=gateway_settings) as lb:
        run = lb.run("ping", message="listed")
    runs = shell.run_line_magic("lakebook", "runs ping")
    assert isinstance(runs, ResultPreview)
    assert [row[:2] for row in runs.rows] == [(run.id, "ping")]


def test_a_wrong_password_is_one_line(
    shell: InteractiveShell, flow_stack: FlowStack, monkeypatch: pytest.MonkeyPatch
) -> None:
    name, _ = flow_stack.gateway.add_user("analyst")
    type_password(monkeypatch, "not-it")
    with pytest.raises(UsageError, match="incorrect user name or password") as raised:
        shell.run_line_magic("lakebook", f"login {name}")
    assert "\n" not in str(raised.value)


def test_a_gateway_that_is_down_is_one_line(
    gateway_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    nowhere = gateway_settings.with_values(gateway_url=f"http://127.0.0.1:{free_port()}")
    type_password(monkeypatch, "whatever")
    for ipython in shell_with(nowhere):
        with pytest.raises(UsageError, match="cannot reach the lakebook gateway"):
            ipython.run_line_magic("lakebook", "login someone")
