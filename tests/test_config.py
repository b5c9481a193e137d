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


@pytest.mark.parametrize("content,indonesian,english", [
    ("lease_minutes = 0\n", "lease_minutes: harus bilangan bulat >= 1",
     "lease_minutes: must be a whole number >= 1"),
    ("lease_minutes = 'x'\n", "lease_minutes: harus bilangan bulat, bukan teks",
     "lease_minutes: must be a whole number, not text"),
    ("[tui]\nwarm = 'ya'\n", "tui.warm: harus true atau false, bukan teks",
     "tui.warm: must be true or false, not text"),
    ("unknown_key = 1\n", "kunci unknown_key tidak dikenal", "unknown key unknown_key"),
    ("[tui]\nwarmth = 1\n", "tui: kunci warmth tidak dikenal", "tui: unknown key warmth"),
    ("nik_display = 'half'\n", "nik_display: 'half' bukan salah satu dari full, masked",
     "nik_display: 'half' is not one of full, masked"),
    ("[attachments]\nstore = 'cloud'\n",
     "attachments.store: 'cloud' bukan salah satu dari database, directory",
     "attachments.store: 'cloud' is not one of database, directory"),
    ("[batches]\ndirectory = ''\n", "batches.directory: harus berupa path folder atau berkas",
     "batches.directory: must be the path of a folder or a file"),
    ("[batches]\nclose_at = '25:00'\n", "batches.close_at: harus jam:menit, misalnya 07:30",
     "batches.close_at: must be hours:minutes, such as 07:30"),
])
def test_a_mistake_in_the_file_is_said_in_the_users_language(tmp_path, monkeypatch, content,
                                                             indonesian, english):
    """msgspec's English is not shown: the line names the key and says what it must be."""
    from bakso_tui.locale import set_language

    cfg = tmp_path / "config.toml"
    cfg.write_text(content)
    monkeypatch.setenv("BAKSO_CONFIG", str(cfg))
    for lang, expected in (("id", indonesian), ("en", english)):
        set_language(lang)
        with pytest.raises(ConfigError) as info:
            load_settings()
        assert str(info.value) == f"{cfg}: {expected}"
