"""First-run set-up of the data dir: shared secrets, S3 identities, the admin, the kernel token."""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from lakebook.cli.defaults import ADMIN_USER
from lakebook.common.private_files import write_private_json
from lakebook.common.settings import SECRET_FIELDS, Settings, SettingsError
from lakebook.gateway.core.security import create_access_token, generate_password
from lakebook.gateway.db import session_scope
from lakebook.gateway.users import create_user, find_user
from lakebook.kernel.credentials import CREDENTIALS_FILE_NAME


def prepare_data_dir(settings: Settings) -> Settings:
    """Creates the data dir and, once each, the secrets the embedded services share; returns
    settings that include them (secrets set in the environment win over generated ones)."""
    for folder in ("logs", "s3", "prefect", "run", "gateway"):
        (settings.data_dir / folder).mkdir(parents=True, exist_ok=True, mode=0o700)
    stored: dict[str, str] = {}
    if settings.secrets_file.exists():
        try:
            stored = json.loads(settings.secrets_file.read_text(encoding="utf-8"))
        except json.JSONDecodeError as error:
            raise SettingsError(f"cannot read {settings.secrets_file}: {error}") from error
    # A data dir from before a secret existed gets it added (the embedded PostgreSQL's).
    missing = {name: make() for name, make in GENERATED_SECRETS.items() if name not in stored}
    if missing:
        write_private_json(settings.secrets_file, {**stored, **missing})
    current = settings.variables()
    gaps = {
        name: value
        for name, value in {**stored, **missing}.items()
        if name in SECRET_FIELDS and current[name] is None
    }
    return settings.with_values(**gaps) if gaps else settings


GENERATED_SECRETS: dict[str, Callable[[], str]] = {
    "s3_access_key_id": lambda: "LB" + secrets.token_hex(9).upper(),
    "s3_secret_access_key": lambda: secrets.token_urlsafe(30),
    "jwt_secret": lambda: secrets.token_urlsafe(48),
    # URL-safe characters only: Prefect puts it in its connection URL as it is.
    "postgres_password": lambda: secrets.token_urlsafe(24),
}


def write_seaweed_identities(settings: Settings) -> Path:
    """SeaweedFS's S3 identity file: one identity holding lakebook's access key."""
    path = settings.data_dir / "s3" / "identities.json"
    identity = {
        "name": "lakebook",
        "credentials": [
            {
                "accessKey": settings.require_secret("s3_access_key_id"),
                "secretKey": settings.require_secret("s3_secret_access_key"),
            }
        ],
        "actions": ["Admin", "Read", "Write", "List", "Tagging"],
    }
    write_private_json(path, {"identities": [identity]})
    return path


def ensure_admin_user(settings: Settings) -> str | None:
    """Creates the local admin once; returns the new password (shown once) or None if it exists."""
    with session_scope(settings.gateway.database) as session:
        if find_user(session, ADMIN_USER) is not None:
            return None
        password = generate_password()
        create_user(session, ADMIN_USER, "admin", password)
    return password


def operator_credentials(settings: Settings) -> Path | None:
    """The operator's kernel token file (write_kernel_credentials), except multi-user, where no
    shared token may reach kernels: a file left by an earlier single-user start is removed."""
    if settings.stack.multi_user:
        (settings.data_dir / CREDENTIALS_FILE_NAME).unlink(missing_ok=True)
        return None
    return write_kernel_credentials(settings)


def write_kernel_credentials(settings: Settings) -> Path:
    """The token kernels and the CLI pick up: `{data_dir}/credentials.json`, mode 0600."""
    lifetime = timedelta(hours=settings.jwt.kernel_token_hours)
    token = create_access_token(settings, subject=ADMIN_USER, role="admin", lifetime=lifetime)
    path = settings.data_dir / CREDENTIALS_FILE_NAME
    write_private_json(
        path,
        {
            "gateway_url": settings.gateway.base_url,
            "user": ADMIN_USER,
            "access_token": token,
            "expires_at": (datetime.now(UTC) + lifetime).isoformat(),
        },
    )
    return path
