"""Settings: flags > environment > TOML file > defaults, strictly validated."""

from __future__ import annotations

import pytest

from bakso_tui.config import ConfigError, load_settings


def test_precedence(tmp_path, monkeypatch):
    cfg = tmp_path / "config.toml"
    cfg.write_text('database_url = "sqlite:///file.db"\nlang = "en"\n')
    monkeypatch.setenv("BAKSO_CONFIG", str(cfg))
    assert load_settings().database_url == "sqlite:///file.db"
    assert load_settings().lang == "en"
    monkeypatch.setenv("BAKSO_DATABASE_URL", "sqlite:///env.db")
    assert load_settings().database_url == "sqlite:///env.db"
    assert load_settings(database_url="sqlite:///flag.db").database_url == "sqlite:///flag.db"


def test_default_is_sqlite_in_user_data_dir(monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    url = load_settings().resolved_database_url()
    assert url.startswith("sqlite:///") and str(tmp_path) in url


@pytest.mark.parametrize("content,where", [
    ("lang = 'fr'\n", "lang"),
    ("unknown_key = 1\n", "unknown_key"),
    ("lease_minutes = 'x'\n", "lease_minutes"),
    ("this is not toml", "config.toml"),
])
def test_bad_file_is_one_clear_error(tmp_path, monkeypatch, content, where):
    cfg = tmp_path / "config.toml"
    cfg.write_text(content)
    monkeypatch.setenv("BAKSO_CONFIG", str(cfg))
    with pytest.raises(ConfigError) as info:
        load_settings()
    message = str(info.value)
    assert where in message and "\n" not in message
