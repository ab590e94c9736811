"""A flow stack started on the spot: a runner serving lakebook's flows and a gateway, in front
of a Prefect server and a SeaweedFS the caller runs (the session's `flow_stack`, and the fault
tests' own stacks whose Prefect they kill)."""

from __future__ import annotations

import secrets
from dataclasses import replace
from pathlib import Path

from lakebook.cli.stack.services import runner_service, settings_env
from lakebook.cli.stack.supervisor import Supervisor
from tests.utils.ports import free_port
from tests.utils.services import USER_FLOWS_DIR, FlowStack, Gateway, S3Server, start_gateway


def start_flow_stack(
    supervisor: Supervisor,
    s3_server: S3Server,
    prefect_api_url: str,
    data_dir: Path,
    workspace: Path,
    **changes: object,
) -> FlowStack:
    """Starts the runner and then the gateway under `supervisor`, with the lake under a prefix
    of its own in the shared bucket; `changes` are further settings."""
    (data_dir / "notebooks").mkdir(exist_ok=True)
    jwt_secret = secrets.token_urlsafe(32)
    settings = s3_server.settings_with(
        data_dir=data_dir,
        gateway_port=free_port(),
        runner_port=free_port(),
        prefect_api_url=prefect_api_url,
        lake_url=f"s3://{s3_server.settings.s3.bucket}/{data_dir.name}",
        # Small enough that the oversize-upload test stays quick.
        upload_max_bytes=1_000_000,
        # The runner serves an analyst's own flows beside the built-ins.
        flows_dir=USER_FLOWS_DIR,
        # The workspace folder notebooks are run and scheduled from.
        notebook_dir=workspace,
        **changes,
    )
    lake_secrets = {
        "s3_access_key_id": settings.require_secret("s3_access_key_id"),
        "s3_secret_access_key": settings.require_secret("s3_secret_access_key"),
    }
    runner = runner_service(settings)
    secrets_env = {f"LAKEBOOK_{k.upper()}": v for k, v in lake_secrets.items()}
    # The runner signs the short-lived token of a notebook run's owner, as `lakebook up`'s
    # runner does with the secret from secrets.json.
    secrets_env["LAKEBOOK_JWT_SECRET"] = jwt_secret
    supervisor.start(replace(runner, env={**runner.env, **settings_env(settings), **secrets_env}))
    url = start_gateway(supervisor, settings, jwt_secret=jwt_secret, **lake_secrets)
    return FlowStack(Gateway(url, settings), prefect_api_url)
