"""A one-certificate CA bundle for Prefect clients of the embedded, plain-HTTP Prefect server.

Every Prefect client (a run's engine, each tag-slot acquisition and release, the runner) builds
an SSL context from the full CA bundle when it is created, even for an http:// API URL, where no
TLS ever happens: about 20 ms per client on this 2-core machine, and a flow run creates several.
Pointing PREFECT_API_SSL_CERT_FILE at a bundle of one throwaway self-signed certificate makes
that context nearly free. Nothing is trusted by it: the certificate's key is discarded when it
is made, so were a connection ever to use TLS, verification would fail (closed, not open).
"""

from __future__ import annotations

import os
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from lakebook.common.settings import Settings

CA_FILE_NAME = "plain-http-ca.pem"


def plain_http_ca_env(settings: Settings) -> dict[str, str]:
    """PREFECT_API_SSL_CERT_FILE for children of the stack when Prefect's URL is plain HTTP;
    nothing for an https Prefect, whose certificates must be verified as usual."""
    if urlsplit(settings.prefect.url).scheme != "http":
        return {}
    path = settings.data_dir / "prefect" / CA_FILE_NAME
    if not path.exists():
        write_unusable_ca(path)
    return {"PREFECT_API_SSL_CERT_FILE": str(path)}


def write_unusable_ca(path: Path) -> None:
    """Writes a self-signed certificate whose private key exists only inside this call."""
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "lakebook plain-HTTP placeholder")])
    certificate = self_signed_certificate(ec.generate_private_key(ec.SECP256R1()), name)
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    # Written under a temporary name and renamed: a reader never sees half a file.
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=".ca-")
    with os.fdopen(descriptor, "wb") as file:
        file.write(certificate.public_bytes(serialization.Encoding.PEM))
    os.replace(temporary, path)


def self_signed_certificate(key: ec.EllipticCurvePrivateKey, name: x509.Name) -> x509.Certificate:
    """A certificate for `name`, signed by its own key, valid from now for a day."""
    now = datetime.now(UTC)
    return (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=1))
        .not_valid_after(now + timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
