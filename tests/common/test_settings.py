from __future__ import annotations

import json
from pathlib import Path

import pytest

from lakebook.common.settings import (
    Settings,
    SettingsError,
    get_settings,
    load_settings,
)


def test_embedded_defaults_derive_urls() -> None:
    settings = load_settings()
    assert settings.s3.url == "http://127.0.0.1:9000"
    assert settings.prefect.url == "http://127.0.0.1:4200/api"
    assert settings.gateway.base_url == "http://127.0.0.1:8001"
    assert settings.s3.lake_root == "s3://lakebook"


def test_environment_overrides(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LAKEBOOK_S3_ENDPOINT_URL", "https://s3.example.com/")
    monkeypatch.setenv("LAKEBOOK_PREFECT_API_URL", "http://prefect:4200/api")
    monkeypatch.setenv("LAKEBOOK_S3_BUCKET", "analytics")
    settings = load_settings()
    assert settings.s3.url == "https://s3.example.com"
    assert settings.prefect.url == "http://prefect:4200/api"
    assert settings.s3.lake_root == "s3://analytics"


def test_dotenv_file_is_read(clean_env: Path) -> None:
    (clean_env / ".env").write_text("LAKEBOOK_GATEWAY_PORT=9100\n", encoding="utf-8")
    assert load_settings().gateway.port == 9100


@pytest.mark.parametrize("value", ["70000", "0", "http"])
def test_bad_port_names_the_variable(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("LAKEBOOK_S3_PORT", value)
    with pytest.raises(SettingsError, match="LAKEBOOK_S3_PORT"):
        load_settings()


@pytest.mark.parametrize("secret", ["changeme", "secret", "short-secret"])
def test_placeholder_secrets_are_refused(monkeypatch: pytest.MonkeyPatch, secret: str) -> None:
    monkeypatch.setenv("LAKEBOOK_JWT_SECRET", secret)
    with pytest.raises(SettingsError, match="LAKEBOOK_JWT_SECRET looks like a placeholder"):
        load_settings()


def test_dev_mode_allows_placeholder_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LAKEBOOK_JWT_SECRET", "changeme")
    monkeypatch.setenv("LAKEBOOK_DEV_MODE", "true")
    assert load_settings().require_secret("jwt_secret") == "changeme"


def test_bad_urls_are_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LAKEBOOK_LAKE_URL", "/tmp/lake")
    with pytest.raises(SettingsError, match="LAKEBOOK_LAKE_URL: .*s3:// or file://"):
        load_settings()


def test_bucket_names_follow_s3_rules(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LAKEBOOK_S3_BUCKET", "My_Bucket")
    with pytest.raises(SettingsError, match="LAKEBOOK_S3_BUCKET"):
        load_settings()


def test_generated_secrets_fill_gaps_but_environment_wins(
    monkeypatch: pytest.MonkeyPatch, clean_env: Path
) -> None:
    data_dir = clean_env / "data"
    data_dir.mkdir()
    stored = {
        "s3_access_key_id": "LBSTORED",
        "s3_secret_access_key": "stored-secret-0123456789",
        "jwt_secret": "stored-jwt-secret-0123456789",
    }
    (data_dir / "secrets.json").write_text(json.dumps(stored), encoding="utf-8")
    monkeypatch.setenv("LAKEBOOK_JWT_SECRET", "environment-jwt-secret-0123")
    settings = load_settings()
    assert settings.require_secret("s3_access_key_id") == "LBSTORED"
    assert settings.require_secret("jwt_secret") == "environment-jwt-secret-0123"


def test_missing_secret_names_the_variable() -> None:
    with pytest.raises(SettingsError, match="LAKEBOOK_S3_SECRET_ACCESS_KEY is not set"):
        load_settings().require_secret("s3_secret_access_key")


def test_secrets_are_not_shown_in_repr(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LAKEBOOK_JWT_SECRET", "a-very-real-jwt-secret-value")
    settings = load_settings()
    assert "a-very-real-jwt-secret-value" not in repr(settings)
    assert isinstance(settings, Settings)


def test_settings_are_reused_until_what_they_come_from_changes(
    monkeypatch: pytest.MonkeyPatch, clean_env: Path
) -> None:
    first = get_settings()
    assert get_settings() is first
    monkeypatch.setenv("LAKEBOOK_GATEWAY_PORT", "9200")
    assert get_settings().gateway.port == 9200
    (clean_env / ".env").write_text("LAKEBOOK_LAB_PORT=9300\n", encoding="utf-8")
    assert get_settings().stack.lab_port == 9300
    # `lakebook up` writing the secrets file is seen by the next call.
    data_dir = clean_env / "data"
    data_dir.mkdir()
    secrets = {"s3_secret_access_key": "stored-secret-0123456789"}
    (data_dir / "secrets.json").write_text(json.dumps(secrets), encoding="utf-8")
    assert get_settings().require_secret("s3_secret_access_key") == "stored-secret-0123456789"
    # Overrides build settings of their own and leave the shared ones alone.
    assert load_settings(gateway_port=9400).gateway.port == 9400
    assert get_settings().gateway.port == 9200
