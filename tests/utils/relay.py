"""A TCP relay in front of a service that a test can cut and restore (e.g. the gateway, to see
the UI report it unreachable and then recover), with a loopback HTTP switch for browser tests:
`POST {control_url}/down` cuts it, `POST {control_url}/up` restores it."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from tests.utils.ports import HOST, free_port

CHUNK = 65536


class Relay:
    """Forwards connections on `url` to `target`; while cut, refuses them like a stopped server."""

    def __init__(self, target_host: str, target_port: int) -> None:
        self._target = (target_host, target_port)
        self._listener = socket.create_server((HOST, free_port()))
        self.port: int = self._listener.getsockname()[1]
        self._up = threading.Event()
        self._up.set()
        self._lock = threading.Lock()
        self._sockets: set[socket.socket] = set()
        threading.Thread(target=self._accept, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    def cut(self) -> None:
        """New connections are closed at once and open ones dropped."""
        self._up.clear()
        with self._lock:
            for sock in self._sockets:
                with suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
            self._sockets.clear()

    def restore(self) -> None:
        self._up.set()

    def close(self) -> None:
        self.cut()
        self._listener.close()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return  # closed
            if not self._up.is_set():
                client.close()
                continue
            try:
                upstream = socket.create_connection(self._target, timeout=10)
            except OSError:
                client.close()
                continue
            upstream.settimeout(None)
            with self._lock:
                self._sockets.update((client, upstream))
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(source, sink), daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(CHUNK):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (source, sink):
                with suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
            with self._lock:
                self._sockets.discard(source)
                self._sockets.discard(sink)
            source.close()


@contextmanager
def relay_switch(relay: Relay) -> Iterator[str]:
    """A loopback HTTP server whose `POST /down` and `POST /up` cut and restore the relay;
    yields its URL."""

    class Switch(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            actions = {"/down": relay.cut, "/up": relay.restore}
            action = actions.get(self.path)
            if action is not None:
                action()
            self.send_response(204 if action else 404)
            self.end_headers()

        def log_message(self, format: str, *args: object) -> None:
            pass  # quiet: the test reports what matters

    server = ThreadingHTTPServer((HOST, free_port()), Switch)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://{HOST}:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
