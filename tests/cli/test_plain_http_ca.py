"""The CA bundle Prefect clients of the plain-HTTP embedded server get (stack/plain_http_ca.py)."""

from __future__ import annotations

import socket
import ssl
import threading
from pathlib import Path
from typing import NamedTuple

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from prefect.client.orchestration import SyncPrefectClient
from prefect.settings import PREFECT_API_SSL_CERT_FILE, temporary_settings

from lakebook.cli.stack.plain_http_ca import plain_http_ca_env, self_signed_certificate
from lakebook.cli.stack.services import prefect_env, runner_service
from lakebook.common.settings import Settings

HOST = "127.0.0.1"


def test_plain_http_prefect_clients_get_a_bundle_of_one_keyless_certificate(
    tmp_path: Path,
) -> None:
    settings = Settings(data_dir=tmp_path)
    env = plain_http_ca_env(settings)
    bundle = Path(env["PREFECT_API_SSL_CERT_FILE"])
    pem = bundle.read_bytes()
    assert ssl.create_default_context(cafile=bundle).cert_store_stats()["x509"] == 1
    assert b"PRIVATE KEY" not in pem
    assert [path.name for path in bundle.parent.iterdir()] == [bundle.name]
    # Made once per data dir; the stack's children all read the same file.
    assert plain_http_ca_env(settings) == env
    assert bundle.read_bytes() == pem
    assert runner_service(settings).env["PREFECT_API_SSL_CERT_FILE"] == str(bundle)


def test_an_https_prefect_keeps_the_usual_certificates(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, prefect_api_url="https://prefect.example.com/api")
    assert plain_http_ca_env(settings) == {}
    assert "PREFECT_API_SSL_CERT_FILE" not in prefect_env(settings)
    assert not (tmp_path / "prefect").exists()


def test_a_prefect_client_with_the_bundle_talks_to_the_embedded_server(
    tmp_path: Path, prefect_api_url: str
) -> None:
    bundle = plain_http_ca_env(Settings(data_dir=tmp_path))["PREFECT_API_SSL_CERT_FILE"]
    with temporary_settings({PREFECT_API_SSL_CERT_FILE: bundle}):
        with SyncPrefectClient(prefect_api_url) as client:
            assert client.api_healthcheck() is None


def test_the_bundle_trusts_no_tls_server_not_even_one_named_like_it(tmp_path: Path) -> None:
    bundle = plain_http_ca_env(Settings(data_dir=tmp_path))["PREFECT_API_SSL_CERT_FILE"]
    placeholder = x509.load_pem_x509_certificate(Path(bundle).read_bytes())
    server = _tls_server(tmp_path, placeholder.subject)
    client_context = ssl.create_default_context(cafile=bundle)
    client_context.check_hostname = False
    with socket.create_connection((HOST, server.port), timeout=10) as raw:
        with pytest.raises(ssl.SSLCertVerificationError):
            client_context.wrap_socket(raw).close()
    server.thread.join(timeout=10)


class _Server(NamedTuple):
    port: int
    thread: threading.Thread


def _tls_server(folder: Path, subject: x509.Name) -> _Server:
    """A one-connection TLS server whose certificate copies the placeholder's name (so also
    its issuer's) but is signed by a key of its own, as anyone could make one."""
    key = ec.generate_private_key(ec.SECP256R1())
    certificate = self_signed_certificate(key, subject)
    cert_file, key_file = folder / "server.pem", folder / "server.key"
    cert_file.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    server_context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_context.load_cert_chain(cert_file, key_file)
    listener = socket.create_server((HOST, 0))
    listener.settimeout(10)

    def serve_one() -> None:
        with listener:
            connection, _ = listener.accept()
            try:
                server_context.wrap_socket(connection, server_side=True).close()
            except (ssl.SSLError, OSError):
                pass  # the client hung up on the handshake, as it should
            finally:
                connection.close()

    thread = threading.Thread(target=serve_one, daemon=True)
    thread.start()
    return _Server(listener.getsockname()[1], thread)
