"""Settings: command-line flags > environment > TOML file > defaults.

The TOML file lives in the platformdirs config directory
(``~/.config/bakso/config.toml`` on Linux) unless ``BAKSO_CONFIG`` names
another one. It is validated strictly: an unknown key or a wrong type is a
:class:`ConfigError` with the file and the key, never a traceback.

Example file::

    database_url = "postgresql+psycopg://bakso@db.dukcapil.local/bakso"
    lang = "id"
    office_name = "Dinas Kependudukan dan Pencatatan Sipil Kabupaten Lombok Timur"
    lease_minutes = 15

    [attachments]
    store = "database"        # or "directory"
    directory = "/srv/bakso/blobs"
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Literal

import platformdirs
from pydantic import BaseModel, ConfigDict, Field, ValidationError

APP_NAME = "bakso"
ENV_DATABASE_URL = "BAKSO_DATABASE_URL"
ENV_CONFIG = "BAKSO_CONFIG"
ENV_LANG = "BAKSO_LANG"


class ConfigError(Exception):
    """A configuration problem, told to the user in one line (exit 2)."""


class AttachmentSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    store: Literal["database", "directory"] = "database"
    directory: Path | None = None
    max_file_bytes: int = Field(default=20 * 1024 * 1024, gt=0)
    max_package_bytes: int = Field(default=100 * 1024 * 1024, gt=0)
    max_pages: int = Field(default=50, gt=0)
    max_pixels: int = Field(default=40_000_000, gt=0)

    def file_limits(self):
        """The bounds one untrusted file is inspected and drawn under."""
        from bakso_tui.attachments.inspect import Limits

        return Limits(max_file_bytes=self.max_file_bytes, max_pages=self.max_pages,
                      max_pixels=self.max_pixels)


class Settings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    database_url: str | None = None
    lang: Literal["id", "en"] = "id"
    office_name: str = "Dinas Kependudukan dan Pencatatan Sipil Kabupaten Lombok Timur"
    office_short: str = "Dukcapil Lombok Timur"
    regency_code: str = "52.03"
    lease_minutes: int = Field(default=15, ge=1, le=24 * 60)
    queue_page_size: int = Field(default=200, ge=10, le=2000)
    attachments: AttachmentSettings = AttachmentSettings()
    config_file: Path | None = Field(default=None, exclude=True)

    def resolved_database_url(self) -> str:
        return self.database_url or default_sqlite_url()


def config_path() -> Path:
    override = os.environ.get(ENV_CONFIG)
    if override:
        return Path(override)
    return Path(platformdirs.user_config_dir(APP_NAME)) / "config.toml"


def data_dir() -> Path:
    return Path(platformdirs.user_data_dir(APP_NAME))


def default_sqlite_url() -> str:
    return f"sqlite:///{data_dir() / 'bakso.sqlite3'}"


def load_settings(*, database_url: str | None = None, lang: str | None = None) -> Settings:
    """Settings from the file, overridden by the environment, then by flags."""
    path = config_path()
    values: dict = {}
    if path.is_file():
        try:
            values = tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
            raise ConfigError(f"{path}: {exc}") from None
    if os.environ.get(ENV_DATABASE_URL):
        values["database_url"] = os.environ[ENV_DATABASE_URL]
    if os.environ.get(ENV_LANG):
        values["lang"] = os.environ[ENV_LANG]
    if database_url:
        values["database_url"] = database_url
    if lang:
        values["lang"] = lang
    try:
        settings = Settings.model_validate(values)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "?"
        raise ConfigError(f"{path}: {where}: {first['msg']}") from None
    settings.config_file = path if path.is_file() else None
    return settings
