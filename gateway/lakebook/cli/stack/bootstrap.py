"""First-run set-up of the data dir: shared secrets, S3 identities, the admin, the kernel token."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta
from pathlib import Path

from lakebook.cli.defaults import ADMIN_USER
from lakebook.common.private_files import write_private_json
from lakebook.common.settings import Settings, load_settings
from lakebook.gateway.core.security import create_access_token, generate_password
from lakebook.gateway.db import session_scope
from lakebook.gateway.users import create_user, find_user


def prepare_data_dir(settings: Settings) -> Settings:
    """Creates the data dir and, once, the secrets the embedded services share; returns settings
    that include them (secrets set in the environment win over generated ones)."""
    for folder in ("logs", "s3", "prefect", "run", "gateway"):
        (settings.data_dir / folder).mkdir(parents=True, exist_ok=True, mode=0o700)
    if not settings.secrets_file.exists():
        write_private_json(
            settings.secrets_file,
            {
                "s3_access_key_id": "LB" + secrets.token_hex(9).upper(),
                "s3_secret_access_key": secrets.token_urlsafe(30),
                "jwt_secret": secrets.token_urlsafe(48),
            },
        )
    return load_settings(data_dir=settings.data_dir)


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


def write_kernel_credentials(settings: Settings) -> Path:
    """The token kernels and the CLI pick up: `{data_dir}/credentials.json`, mode 0600."""
    lifetime = timedelta(hours=settings.jwt.kernel_token_hours)
    token = create_access_token(settings, subject=ADMIN_USER, role="admin", lifetime=lifetime)
    path = settings.data_dir / "credentials.json"
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
