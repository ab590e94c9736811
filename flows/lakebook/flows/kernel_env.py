"""What a notebook run's kernel gets from the runner: an allow-listed environment that names the
gateway and the lake, and, when the run has an owner, a short-lived gateway token of that owner,
so the notebook acts with its owner's rights and never with the stack's (issue 22).

One credential still passes: the lake's S3 keys, which a Lab kernel of `lakebook up` holds too.
Without them `%%duckdb` over `lake.*` would fail in a scheduled report while it works in Lab;
they go when kernels read through what the gateway grants (issue 22, item 2). The JWT secret,
the stack's tokens, Prefect's settings and everything else the runner has never pass."""

from __future__ import annotations

import os
from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path

from lakebook.common.access_tokens import create_access_token
from lakebook.common.settings import Settings

# What a kernel needs to start and behave like a shell's: never a secret.
PASSED_VARIABLES = ("PATH", "HOME", "LANG", "TZ", "PYTHONPATH", "VIRTUAL_ENV")
PASSED_PREFIXES = ("LC_",)
TOKEN_VARIABLE = "LAKEBOOK_TOKEN"
# Until kernels read the lake through the gateway's grants (see the module's docstring).
LAKE_KEYS = ("s3_access_key_id", "s3_secret_access_key")
# The token outlives the slowest cell a little; one that could outlast a day is not short-lived.
TOKEN_MARGIN = timedelta(minutes=5)
MAX_TOKEN_LIFETIME = timedelta(hours=6)
# A required claim only: the gateway authorizes with the role it has stored for the user, so
# the owner acts with their current role, and a demotion takes effect during the run too.
TOKEN_ROLE_CLAIM = "viewer"


def kernel_environment(
    settings: Settings,
    *,
    owner: str | None,
    timeout_seconds: int,
    temp_dir: Path,
    parent: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """The kernel's whole environment: the allow-listed variables of the runner's, the public
    LAKEBOOK_* settings the kernel library reads, and LAKEBOOK_TOKEN of the owner, if any."""
    parent = os.environ if parent is None else parent
    env = {
        name: value
        for name, value in parent.items()
        if name in PASSED_VARIABLES or name.startswith(PASSED_PREFIXES)
    }
    env["TMPDIR"] = str(temp_dir)
    env["LAKEBOOK_GATEWAY_URL"] = settings.gateway.base_url
    env["LAKEBOOK_S3_ENDPOINT_URL"] = settings.s3.url
    env["LAKEBOOK_S3_BUCKET"] = settings.s3.bucket
    env["LAKEBOOK_S3_REGION"] = settings.s3.region
    if settings.s3.lake_url:
        env["LAKEBOOK_LAKE_URL"] = settings.s3.lake_url
    env.update(lake_credentials(settings))
    if owner:
        env[TOKEN_VARIABLE] = owner_token(settings, owner, timeout_seconds)
    return env


def lake_credentials(settings: Settings) -> dict[str, str]:
    """The lake's S3 keys as the kernel library reads them, when the runner has them."""
    variables = settings.variables()
    return {
        f"LAKEBOOK_{name.upper()}": secret.get_secret_value()
        for name in LAKE_KEYS
        if (secret := variables[name]) is not None
    }


def owner_token(settings: Settings, owner: str, timeout_seconds: int) -> str:
    """A gateway access token of the run's owner, valid about as long as the run may take."""
    lifetime = min(timedelta(seconds=timeout_seconds) + TOKEN_MARGIN, MAX_TOKEN_LIFETIME)
    return create_access_token(settings, subject=owner, role=TOKEN_ROLE_CLAIM, lifetime=lifetime)
