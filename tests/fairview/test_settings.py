from __future__ import annotations

from pathlib import Path

import pytest

from fairview.settings import DEFAULT_SECRET, Settings, SettingsError, env_names


def test_reads_typed_values_from_the_environment(tmp_path: Path) -> None:
    s = Settings.from_env(
        {
            "FAIRVIEW_SECRET_KEY_FILE": str(tmp_path / "secret_key"),
            "FAIRVIEW_DATABASE_URL": "postgresql://db/x",
            "FAIRVIEW_PORT": "9000",
            "FAIRVIEW_LOG_JSON": "true",
            "FAIRVIEW_OBJECT_STORE": "s3://bucket/prefix",
        }
    )
    assert (s.database_url, s.port, s.log_json, s.object_store) == (
        "postgresql://db/x",
        9000,
        True,
        "s3://bucket/prefix",
    )
    assert s.secret_key == (tmp_path / "secret_key").read_text().strip() != DEFAULT_SECRET


def test_production_refuses_default_or_short_secrets() -> None:
    with pytest.raises(SettingsError, match="FAIRVIEW_SECRET_KEY"):
        Settings.from_env(
            {
                "FAIRVIEW_ENVIRONMENT": "production",
                "FAIRVIEW_PUBLIC_URL": "https://hire.example.com",
            }
        )
    with pytest.raises(SettingsError, match="FAIRVIEW_SECRET_KEY"):
        Settings.from_env(
            {
                "FAIRVIEW_ENVIRONMENT": "production",
                "FAIRVIEW_SECRET_KEY": "short",
                "FAIRVIEW_PUBLIC_URL": "https://hire.example.com",
            }
        )
    with pytest.raises(SettingsError, match="https"):
        Settings.from_env(
            {
                "FAIRVIEW_ENVIRONMENT": "production",
                "FAIRVIEW_SECRET_KEY": "k" * 40,
                "FAIRVIEW_PUBLIC_URL": "http://hire.example.com",
            }
        )
    ok = Settings.from_env(
        {
            "FAIRVIEW_ENVIRONMENT": "production",
            "FAIRVIEW_SECRET_KEY": "k" * 40,
            "FAIRVIEW_PUBLIC_URL": "https://hire.example.com",
        }
    )
    assert ok.production and ok.secure_cookies


def test_unknown_environment_is_refused() -> None:
    with pytest.raises(SettingsError):
        Settings.from_env({"FAIRVIEW_ENVIRONMENT": "staging"})


def test_a_schedule_that_is_not_cron_is_refused() -> None:
    with pytest.raises(SettingsError, match="FAIRVIEW_SCHEDULE_CRON"):
        Settings.from_env({"FAIRVIEW_SCHEDULE_CRON": "every minute"})
    assert Settings.from_env({"FAIRVIEW_SCHEDULE_CRON": "*/5 * * * *"}).schedule_cron


def test_env_names_cover_every_setting() -> None:
    assert "FAIRVIEW_KAFKA" in env_names() and "FAIRVIEW_SECRET_KEY" in env_names()
