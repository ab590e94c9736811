from __future__ import annotations

from dataclasses import replace

from lakebook.common.settings import Settings
from lakebook.gateway.stack.services import gateway_service, settings_env
from lakebook.gateway.stack.supervisor import Supervisor


def start_gateway(supervisor: Supervisor, settings: Settings, **secrets: str) -> str:
    """Runs the real gateway with these settings; secrets go in its environment, as in
    production (`s3_secret_access_key="…"` becomes LAKEBOOK_S3_SECRET_ACCESS_KEY)."""
    service = gateway_service(settings)
    env = settings_env(settings) | {f"LAKEBOOK_{k.upper()}": v for k, v in secrets.items()}
    supervisor.start(replace(service, env={**service.env, **env}))
    return service.url
