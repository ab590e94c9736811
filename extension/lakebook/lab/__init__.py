"""Lakebook JupyterLab integration: server extension plus prebuilt labextension."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .handlers import setup_handlers
from .session import install_session_store

if TYPE_CHECKING:
    from jupyter_server.serverapp import ServerApp

__all__ = [
    "_jupyter_labextension_paths",
    "_jupyter_server_extension_points",
    "_load_jupyter_server_extension",
]


def _jupyter_labextension_paths() -> list[dict[str, str]]:
    """Locate the prebuilt labextension shipped next to this module."""
    return [{"src": "labextension", "dest": "lakebook"}]


def _jupyter_server_extension_points() -> list[dict[str, str]]:
    """Declare the module that Jupyter Server loads as the extension."""
    return [{"module": "lakebook.lab"}]


def _load_jupyter_server_extension(server_app: ServerApp) -> None:
    """Register the lakebook REST handlers on the running server."""
    install_session_store(server_app.web_app.settings, server_app.runtime_dir, server_app.port)
    setup_handlers(server_app.web_app)
    server_app.log.info("lakebook.lab server extension loaded")
