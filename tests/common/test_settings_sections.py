"""The settings' sections: the same `LAKEBOOK_*` variables, read into one frozen model per part."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr, ValidationError

from lakebook.cli.stack.services import settings_env
from lakebook.common.settings import (
    SECTIONS,
    VARIABLES,
    Settings,
    SettingsError,
    get_settings,
    load_settings,
    reset_settings,
)
from lakebook.gateway.api.deps import current_settings


@pytest.mark.parametrize(
    ("variable", "text", "section", "field", "value"),
    [
        ("LAKEBOOK_S3_PORT", "9100", "s3", "port", 9100),
        ("LAKEBOOK_S3_REGION", "eu-west-1", "s3", "region", "eu-west-1"),
        ("LAKEBOOK_SEAWEED_FILER_PORT", "9400", "s3", "seaweed_filer_port", 9400),
        ("LAKEBOOK_LAKE_URL", "file:///tmp/lake/", "s3", "lake_url", "file:///tmp/lake"),
        (
            "LAKEBOOK_PREFECT_API_URL",
            "http://p:4200/api",
            "prefect",
            "api_url",
            "http://p:4200/api",
        ),
        ("LAKEBOOK_GATEWAY_WORKERS", "3", "gateway", "workers", 3),
        (
            "LAKEBOOK_CORS_ORIGINS",
            '["http://a.test"]',
            "gateway",
            "cors_origins",
            ["http://a.test"],
        ),
        ("LAKEBOOK_DATABASE_URL", "sqlite:///x.db", "gateway", "database_url", "sqlite:///x.db"),
        ("LAKEBOOK_JWT_ISSUER", "me", "jwt", "issuer", "me"),
        ("LAKEBOOK_ACCESS_TOKEN_MINUTES", "5", "jwt", "access_token_minutes", 5),
        ("LAKEBOOK_LOGIN_MAX_FAILURES", "7", "jwt", "login_max_failures", 7),
        ("LAKEBOOK_TASK_RUNNER", "dask", "flows", "task_runner", "dask"),
        ("LAKEBOOK_RUN_HEARTBEAT_SECONDS", "60", "flows", "run_heartbeat_seconds", 60),
        ("LAKEBOOK_LAB_PORT", "9900", "stack", "lab_port", 9900),
    ],
)
def test_each_variable_lands_in_its_section(
    monkeypatch: pytest.MonkeyPatch,
    variable: str,
    text: str,
    section: str,
    field: str,
    value: Any,
) -> None:
    monkeypatch.setenv(variable, text)
    settings = load_settings()
    assert getattr(getattr(settings, section), field) == value
    # The flat name (as `Settings(...)` takes it) sees the same value.
    assert settings.variables()[variable.removeprefix("LAKEBOOK_").lower()] == value


def test_dotenv_and_flat_keywords_fill_sections(clean_env: Path) -> None:
    (clean_env / ".env").write_text(
        'LAKEBOOK_JWT_SECRET=a-very-real-jwt-secret-value\nLAKEBOOK_CORS_ORIGINS=["http://b"]\n',
        encoding="utf-8",
    )
    settings = Settings(gateway_port=9001, refresh_token_days=3)
    assert settings.jwt.secret == SecretStr("a-very-real-jwt-secret-value")
    assert settings.gateway.cors_origins == ["http://b"]
    assert (settings.gateway.port, settings.jwt.refresh_token_days) == (9001, 3)


def test_shared_variables_reach_every_section_that_derives_from_them(
    monkeypatch: pytest.MonkeyPatch, clean_env: Path
) -> None:
    monkeypatch.setenv("LAKEBOOK_HOST", "127.0.0.2")
    settings = load_settings(s3_port=9100, prefect_port=9200, gateway_port=9300)
    assert settings.stack.host == "127.0.0.2"
    assert settings.s3.url == "http://127.0.0.2:9100"
    assert settings.prefect.url == "http://127.0.0.2:9200/api"
    assert settings.gateway.base_url == "http://127.0.0.2:9300"
    assert settings.gateway.database == f"sqlite:///{clean_env / 'data/gateway/lakebook.db'}"
    assert settings.s3.lake_root == "s3://lakebook"


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("LAKEBOOK_GATEWAY_WORKERS", "0"),
        ("LAKEBOOK_ACCESS_TOKEN_MINUTES", "0"),
        ("LAKEBOOK_PREFECT_API_URL", "ftp://prefect"),
        ("LAKEBOOK_GATEWAY_URL", "gateway:8001"),
        ("LAKEBOOK_RATE_LIMIT_REDIS_URL", "http://redis"),
        ("LAKEBOOK_TASK_RUNNER", "ray"),
        ("LAKEBOOK_OUTBOUND_TIMEOUT_SECONDS", "-1"),
    ],
)
def test_errors_in_sections_name_the_variable(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str
) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(SettingsError, match=f"^{variable}: "):
        get_settings()


def test_a_bad_combination_names_its_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LAKEBOOK_JWT_ALGORITHM", "RS256")
    with pytest.raises(SettingsError, match="^settings: .*LAKEBOOK_JWT_PRIVATE_KEY_FILE"):
        load_settings()


def test_sections_are_frozen() -> None:
    settings = load_settings()
    with pytest.raises(ValidationError, match="frozen"):
        settings.gateway.port = 1  # type: ignore[misc]


def test_every_section_field_has_a_variable() -> None:
    for name, section in SECTIONS.items():
        assert set(section.variable_names()) == set(section.model_fields), name
        assert set(section.variable_names().values()) <= VARIABLES, name
    assert "s3_port" in VARIABLES
    assert "port" not in VARIABLES


def test_one_cache_for_every_caller(monkeypatch: pytest.MonkeyPatch) -> None:
    import asyncio

    first = get_settings()
    assert get_settings() is first
    # The gateway's dependency hands out the same object.
    assert asyncio.run(current_settings()) is first
    reset_settings()
    rebuilt = get_settings()
    assert rebuilt is not first
    assert rebuilt == first
    monkeypatch.setenv("LAKEBOOK_S3_PORT", "9555")
    assert get_settings().s3.port == 9555


def test_with_values_validates_and_refuses_unknown_names() -> None:
    settings = load_settings()
    moved = settings.with_values(host="127.0.0.3", gateway_port=9010, notebook_dir=Path("/n"))
    assert moved.gateway.base_url == "http://127.0.0.3:9010"
    assert moved.s3.host == moved.prefect.host == moved.stack.host == "127.0.0.3"
    assert moved.flows.notebook_dir == Path("/n")
    assert settings.gateway.port == 8001
    with pytest.raises(TypeError, match="not settings: gateway_prot"):
        settings.with_values(gateway_prot=1)
    with pytest.raises(ValidationError, match="s3_port"):
        settings.with_values(s3_port=0)


def test_dumps_validate_back(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LAKEBOOK_JWT_SECRET", "a-very-real-jwt-secret-value")
    settings = load_settings(gateway_port=9020, cors_origins=["http://c"])
    assert Settings.model_validate(settings.model_dump()) == settings
    assert Settings.model_validate(settings.variables()) == settings
    # A JSON dump masks secrets; flat variables given beside it win (a child process's input).
    payload = settings.model_dump(mode="json") | {"jwt_secret": "another-real-jwt-secret-0"}
    child = Settings.model_validate(payload)
    assert child.require_secret("jwt_secret") == "another-real-jwt-secret-0"
    assert child.gateway.port == 9020
    # What is given wins over the environment, variable by variable.
    monkeypatch.setenv("LAKEBOOK_GATEWAY_PORT", "9021")
    monkeypatch.setenv("LAKEBOOK_GATEWAY_WORKERS", "2")
    again = Settings.model_validate(settings.model_dump())
    assert (again.gateway.port, again.gateway.workers) == (9020, 1)
    assert Settings(gateway={"url": "http://g"}).gateway.port == 9021


def test_children_read_the_supervisors_settings_back(monkeypatch: pytest.MonkeyPatch) -> None:
    """`lakebook up` hands its settings to services as LAKEBOOK_* variables (no secrets)."""
    settings = load_settings(
        gateway_port=9030,
        cors_origins=["http://d"],
        jwt_secret="a-very-real-jwt-secret-value",
        notebook_dir=Path("/work/notebooks"),
    )
    env = settings_env(settings)
    assert "LAKEBOOK_JWT_SECRET" not in env
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    child = load_settings(jwt_secret="a-very-real-jwt-secret-value")
    assert child == settings
