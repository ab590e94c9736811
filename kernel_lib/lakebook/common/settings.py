"""lakebook's settings: `LAKEBOOK_*` environment variables, `.env`, and the data dir.

`Settings` reads sections (`settings.s3`, `settings.prefect`, `settings.gateway`, `settings.jwt`,
`settings.flows`, `settings.stack`; see `settings_sections`) from flat variables whose names are
a public interface: `LAKEBOOK_S3_PORT` is `settings.s3.port`. `Settings(...)`,
`load_settings(...)` and `with_values(...)` take the same flat names, without the prefix.
`get_settings()` is the one cached copy every process-level caller shares; `reset_settings()`
forgets it.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field, SecretStr, create_model, model_validator
from pydantic.fields import FieldInfo
from pydantic_settings import (
    BaseSettings,
    DotEnvSettingsSource,
    EnvSettingsSource,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

from lakebook.common.settings_sections import (
    DEFAULT_DATA_DIR,
    FlowsSettings,
    GatewaySettings,
    JwtSettings,
    PrefectSettings,
    S3Settings,
    Section,
    StackSettings,
)

# Values people paste from examples; refused outside dev mode so nobody ships them.
PLACEHOLDER_SECRETS = frozenset(
    {"changeme", "change-me", "changethis", "secret", "password", "placeholder", "xxx", "test"}
)
MIN_SECRET_LENGTH = 16
SECRETS_FILE_NAME = "secrets.json"
SECRET_FIELDS = ("s3_access_key_id", "s3_secret_access_key", "jwt_secret", "postgres_password")

SECTIONS: dict[str, type[Section]] = {
    "stack": StackSettings,
    "s3": S3Settings,
    "prefect": PrefectSettings,
    "gateway": GatewaySettings,
    "jwt": JwtSettings,
    "flows": FlowsSettings,
}

ENVIRONMENT = SettingsConfigDict(
    env_prefix="LAKEBOOK_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
)


class SettingsError(ValueError):
    """Settings that cannot work; the message names the variable to fix."""


class Settings(BaseSettings):
    """Where every lakebook part finds its services, credentials and data."""

    model_config = SettingsConfigDict(**ENVIRONMENT, frozen=True)

    dev_mode: bool = Field(False, description="Allow placeholder secrets (never in production).")
    data_dir: Path = Field(DEFAULT_DATA_DIR, description="Where the embedded stack keeps data.")
    outbound_timeout_seconds: float = Field(5.0, gt=0, le=120)

    stack: StackSettings
    s3: S3Settings
    prefect: PrefectSettings
    gateway: GatewaySettings
    jwt: JwtSettings
    flows: FlowsSettings

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # Every source yields flat variables (the environment names variables, not sections:
        # it is read as the flat `Variables` catalogue), so what is given wins over the
        # environment variable by variable; `_sections_from_variables` then groups them.
        return (
            FlatKeywords(init_settings),
            EnvSettingsSource(Variables),
            DotEnvSettingsSource(Variables),
        )

    @model_validator(mode="before")
    @classmethod
    def _sections_from_variables(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        grouped = dict(data)  # the flat variables left at the top are ignored (extra="ignore")
        for name, section in SECTIONS.items():
            grouped[name] = {
                variable: data[variable]
                for variable in section.variable_names().values()
                if variable in data
            }
        return grouped

    @model_validator(mode="after")
    def _refuse_placeholder_secrets(self) -> Settings:
        if self.dev_mode:
            return self
        values = self.variables()
        for name in SECRET_FIELDS:
            secret = values[name]
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

    def variables(self) -> dict[str, Any]:
        """Every value by its variable's name without the prefix (`s3_port`), as
        `Settings(...)` takes them; secrets stay `SecretStr`."""
        values: dict[str, Any] = {name: getattr(self, name) for name in TOP_LEVEL_VARIABLES}
        for name, section in SECTIONS.items():
            values.update(
                {
                    variable: getattr(getattr(self, name), field)
                    for field, variable in section.variable_names().items()
                }
            )
        return values

    def with_values(self, **variables: Any) -> Settings:
        """A copy with these variables (flat names, as `Settings(...)` takes) changed and
        validated like the original; the others keep their values (the environment, read
        again by validation, cannot change them: every variable is given)."""
        unknown = sorted(set(variables) - set(VARIABLES))
        if unknown:
            raise TypeError(f"not settings: {', '.join(unknown)}")
        return type(self).model_validate({**self.variables(), **variables})

    def require_secret(self, name: str) -> str:
        """The value of a secret (`jwt_secret`, `s3_access_key_id`, `s3_secret_access_key`),
        or a SettingsError naming the variable that is missing."""
        secret: SecretStr | None = self.variables()[name]
        if secret is None:
            raise SettingsError(
                f"LAKEBOOK_{name.upper()} is not set "
                f"(and there is no {self.secrets_file} from `lakebook up`)"
            )
        return secret.get_secret_value()


class FlatKeywords(PydanticBaseSettingsSource):
    """Keyword arguments as flat variables: a section given whole (a dump being validated
    back, which pydantic-settings also reads the environment for) is spread into its
    variables, and variables given beside it win."""

    def __init__(self, keywords: PydanticBaseSettingsSource) -> None:
        super().__init__(keywords.settings_cls)
        self._keywords = keywords

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        return None, field_name, False  # __call__ reads the keywords whole

    def __call__(self) -> dict[str, Any]:
        given = self._keywords()
        flat: dict[str, Any] = {}
        for name, section in SECTIONS.items():
            values = given.get(name) or {}
            if isinstance(values, BaseModel):
                values = values.model_dump()
            variables = section.variable_names()
            flat.update({variables.get(key, key): value for key, value in values.items()})
        flat.update({key: value for key, value in given.items() if key not in SECTIONS})
        return flat


TOP_LEVEL_VARIABLES = tuple(name for name in Settings.model_fields if name not in SECTIONS)


def _variable_fields() -> dict[str, Any]:
    """Each variable once, typed as its field (lists are then read as JSON)."""
    fields: dict[str, Any] = {
        name: (Settings.model_fields[name].annotation, None) for name in TOP_LEVEL_VARIABLES
    }
    for section in SECTIONS.values():
        for name, variable in section.variable_names().items():
            fields.setdefault(variable, (section.model_fields[name].annotation, None))
    return fields


class _VariablesBase(BaseSettings):
    model_config = ENVIRONMENT


# What the environment and `.env` are read as: one field per `LAKEBOOK_*` variable. Never
# validated itself; `Settings` validates what was read, in sections.
Variables: type[BaseSettings] = create_model(
    "Variables", __base__=_VariablesBase, **_variable_fields()
)
VARIABLES = frozenset(Variables.model_fields)


def load_settings(**overrides: Any) -> Settings:
    """Settings built now from the environment and these overrides (flat names, as
    `Settings(...)` takes), with secrets the embedded stack generated filling any gaps."""
    try:
        settings = Settings(**overrides)
        stored = _read_stored_secrets(settings.secrets_file)
        current = settings.variables()
        missing = {k: v for k, v in stored.items() if current[k] is None}
        if missing:
            settings = Settings(**{**overrides, **missing})
    except ValueError as error:
        raise SettingsError(_describe(error)) from error
    return settings


FileStamp = tuple[int, int, int] | None
_cached: tuple[tuple[object, ...], FileStamp, Settings] | None = None


def get_settings() -> Settings:
    """The process's settings, one copy that every caller shares (the gateway's dependency,
    flows, kernels, the lab extension).

    It is built again only when the `LAKEBOOK_*` variables, `.env` or the secrets file change:
    a flow run asks once per task, and each build cost 4-8 ms (twice that when secrets come
    from the file). `reset_settings()` forgets it (tests that change settings use it)."""
    global _cached
    key = _environment_key()
    if _cached is not None and _cached[0] == key:
        settings = _cached[2]
        if _cached[1] == _file_stamp(settings.secrets_file):
            return settings
    settings = load_settings()
    _cached = (key, _file_stamp(settings.secrets_file), settings)
    return settings


def reset_settings() -> None:
    """Forget the cached settings: the next `get_settings()` builds them again."""
    global _cached
    _cached = None


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


def _read_stored_secrets(path: Path) -> dict[str, str]:
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, json.JSONDecodeError) as error:
        raise SettingsError(f"cannot read {path}: {error}") from error
    return {k: str(v) for k, v in raw.items() if k in SECRET_FIELDS}


def _describe(error: ValueError) -> str:
    """One line per invalid field, naming the environment variable (a field's location ends
    with its variable: `("s3", "s3_port")`); checks of several fields name theirs in the text."""
    errors = getattr(error, "errors", None)
    if not callable(errors):
        return str(error)
    lines = []
    for item in errors():
        field = str(item["loc"][-1]) if item["loc"] else ""
        name = f"LAKEBOOK_{field.upper()}" if field in VARIABLES else "settings"
        lines.append(f"{name}: {item['msg']}")
    return "; ".join(dict.fromkeys(lines))
