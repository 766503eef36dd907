"""Missing or invalid settings stop the process with one line naming the variable."""

from __future__ import annotations

import pytest

from motcua_platform.settings import ServiceSettings, load_settings


def test_missing_required_variable_is_named(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.delenv("MOTCUA_DATABASE_URL", raising=False)
    monkeypatch.setenv("MOTCUA_KAFKA_BOOTSTRAP", "127.0.0.1:9092")
    with pytest.raises(SystemExit) as exc:
        load_settings(ServiceSettings)
    assert exc.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == ["configuration error: MOTCUA_DATABASE_URL is required but not set"]


def test_invalid_values_are_named(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("MOTCUA_DATABASE_URL", "mysql://x")
    monkeypatch.setenv("MOTCUA_KAFKA_BOOTSTRAP", "nohostport")
    monkeypatch.setenv("MOTCUA_GRPC_PORT", "70000")
    with pytest.raises(SystemExit):
        load_settings(ServiceSettings)
    err = capsys.readouterr().err
    assert "MOTCUA_DATABASE_URL" in err and "postgresql://" in err
    assert "MOTCUA_KAFKA_BOOTSTRAP" in err
    assert "MOTCUA_GRPC_PORT" in err


def test_valid_environment_builds_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MOTCUA_DATABASE_URL", "postgresql://u@127.0.0.1:5432/motcua")
    monkeypatch.setenv("MOTCUA_KAFKA_BOOTSTRAP", "127.0.0.1:9092,127.0.0.1:9093")
    monkeypatch.setenv("MOTCUA_KAFKA_IDEMPOTENCE", "false")
    settings = load_settings(ServiceSettings)
    assert settings.kafka_idempotence is False
    assert settings.database_url.endswith("/motcua")
