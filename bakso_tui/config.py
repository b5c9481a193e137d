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

    printer = "PDF"           # a CUPS queue for the batches (lp -d PRINTER)

    [batches]
    close_at = "15:00"        # the daily close, office time (WITA)
    handover_days = 5         # working days before an undelivered batch is flagged
    officer_name = "…"        # PIHAK PERTAMA on the handover record

    [jobs]
    inbox = "/srv/bakso/inbox"

    [tui]
    warm = true               # keep a warm parent for fast starts (bakso_tui/warm)
    warm_idle_minutes = 15    # it ends after this long without a session

    [keys]                    # binding id = key(s), comma-separated
    queue-search = "ctrl+f"
    help = "f1,f12"
"""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, ClassVar, Literal

import msgspec
import platformdirs

from bakso_tui.errors import SetupError
from bakso_tui.locale import DEFAULT_LANGUAGE, catalog, t

APP_NAME = "bakso"
ENV_DATABASE_URL = "BAKSO_DATABASE_URL"
ENV_CONFIG = "BAKSO_CONFIG"
ENV_LANG = "BAKSO_LANG"

#: Whole numbers within bounds, as the file gives them (msgspec's ``Meta``).
Positive = Annotated[int, msgspec.Meta(gt=0)]
Minutes = Annotated[int, msgspec.Meta(ge=1, le=24 * 60)]
HHMM = Annotated[str, msgspec.Meta(pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9])?$")]


class ConfigError(SetupError):
    """A configuration problem, told to the user in one line (exit 2)."""


@dataclass(frozen=True)
class Limits:
    """The bounds one untrusted file is inspected and drawn under.

    Defined here, at the bottom of the layers, because the settings make one
    (:meth:`AttachmentSettings.file_limits`) and the attachment inspector
    (:mod:`bakso_tui.attachments.inspect`) enforces it."""

    max_file_bytes: int = 20 * 1024 * 1024
    max_pages: int = 50
    max_pixels: int = 40_000_000  # ~ an A4 page at 600 dpi; a 100 MP image is refused
    max_decoded_bytes: int = 64 * 1024 * 1024  # per stream, after decompression
    max_text_chars: int = 20_000  # kept per page
    min_dpi: int = 100
    timeout_s: float = 15.0
    memory_bytes: int = 1024 * 1024 * 1024  # the child's address space


class _Table(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """A table of the file: an unknown key or a wrong type is refused."""


class AttachmentSettings(_Table):
    store: Literal["database", "directory"] = "database"
    directory: Path | None = None
    max_file_bytes: Positive = 20 * 1024 * 1024
    max_package_bytes: Positive = 100 * 1024 * 1024
    max_pages: Positive = 50
    max_pixels: Positive = 40_000_000

    def file_limits(self) -> Limits:
        """The bounds one untrusted file is inspected and drawn under."""
        return Limits(max_file_bytes=self.max_file_bytes, max_pages=self.max_pages,
                      max_pixels=self.max_pixels)


class BatchSettings(_Table):
    """The issuance batches and their handover record (berita acara serah terima)."""

    close_at: HHMM = "15:00"
    handover_days: Annotated[int, msgspec.Meta(ge=1, le=60)] = 5
    directory: Path | None = None  # where batch PDFs are written (else <data dir>/batches)
    # PIHAK PERTAMA (who hands over) and who countersigns ("Mengetahui").
    officer_name: str = ""
    officer_position: str = "Kepala Seksi Pelayanan Dokumen Kependudukan"
    officer_id: str = ""  # NIP
    head_name: str = ""
    head_position: str = "Kepala Dinas Kependudukan dan Pencatatan Sipil"
    head_id: str = ""
    place: str = "Selong"  # where the record is signed
    pdf_workers: Annotated[int, msgspec.Meta(ge=1, le=16)] = 2


class JobSettings(_Table):
    """The scheduler daemon (`bakso jobs run`). Times are office time (WITA)."""

    inbox: Path | None = None  # the intake folder polled; no poll without it
    inbox_minutes: Minutes = 1
    lease_minutes: Minutes = 1
    sla_minutes: Minutes = 15
    overdue_at: HHMM = "07:00"
    audit_verify_at: HHMM = "02:00"
    lists_at: HHMM = "16:00"  # the next day's recording lists
    lists_directory: Path | None = None  # where they are written (else <data dir>/lists)
    misfire_grace_hours: Annotated[int, msgspec.Meta(ge=1, le=72)] = 12


class TuiSettings(_Table):
    """The terminal sessions: whether `bakso tui` keeps a warm parent (``bakso_tui/warm``)."""

    warm: bool = True
    warm_idle_minutes: Minutes = 15


def binding_ids() -> frozenset[str]:
    """The ids of the interface's key bindings, which ``[keys]`` may remap.

    Every binding of ours has an id that names its description,
    ``tui.binding.<id>`` in the messages (see :mod:`bakso_tui.widgets.bindings`;
    a test keeps the two the same), so the messages list them without this
    layer importing the interface."""
    prefix = "tui.binding."
    return frozenset(k[len(prefix):] for k in catalog(DEFAULT_LANGUAGE) if k.startswith(prefix))


def _key_map(keys: dict[str, Any]) -> dict[str, str]:
    """``[keys]``: binding id → Textual's form of one key or several, comma-separated
    ("f1", "ctrl+f,f3"); a ValueError names the entry (``keys.<id>: …``)."""
    known = binding_ids() if keys else frozenset()  # (the messages read only when needed)
    checked = {}
    for binding_id, value in keys.items():
        if binding_id not in known:
            raise ValueError(f"keys.{binding_id}: {t('config.no_binding')}")
        if not isinstance(value, str):
            raise ValueError(f"keys.{binding_id}: " + _expected("str", _toml_type(value)))
        parts = [part.strip() for part in value.split(",")]
        if not all(parts) or any(char.isspace() for part in parts for char in part):
            raise ValueError(f"keys.{binding_id}: {t('config.key_form')}")
        checked[binding_id] = ",".join(parts)
    return checked


class Settings(_Table, dict=True):
    """Every setting, with its default. Built from values (the file's, the
    environment's, the flags') by :func:`settings_from`, which validates them."""

    database_url: str | None = None
    lang: Literal["id", "en"] = "id"
    office_name: str = "Dinas Kependudukan dan Pencatatan Sipil Kabupaten Lombok Timur"
    office_short: str = "Dukcapil Lombok Timur"
    regency_code: str = "52.03"  # not read yet: the regions come from the shipped list
    lease_minutes: Minutes = 15
    queue_page_size: Annotated[int, msgspec.Meta(ge=10, le=2000)] = 200
    #: Open queues read themselves again when another session changes them
    #: (PostgreSQL LISTEN/NOTIFY, SQLite's data_version); off: only `r` does.
    live_queue: bool = True
    # NIKs on paper (recording lists, handover records, receipts): "masked" hides
    # the birth date (520301******0123).
    nik_display: Literal["full", "masked"] = "masked"
    attachments: AttachmentSettings = msgspec.field(default_factory=AttachmentSettings)
    printer: str | None = None
    batches: BatchSettings = msgspec.field(default_factory=BatchSettings)
    jobs: JobSettings = msgspec.field(default_factory=JobSettings)
    tui: TuiSettings = msgspec.field(default_factory=TuiSettings)
    #: Where the audit chain's anchors are appended (daily, and by `bakso audit anchor`).
    audit_anchor_file: Path | None = None
    #: Binding id → the key(s) that replace its own, applied when the TUI starts.
    keys: dict[str, Any] = msgspec.field(default_factory=dict)
    #: The file the settings were read from (None: defaults and environment only).
    config_file: ClassVar[Path | None] = None

    def __post_init__(self) -> None:
        self.keys = _key_map(self.keys)

    def resolved_database_url(self) -> str:
        return self.database_url or default_sqlite_url()

    def resolved_anchor_file(self) -> Path:
        return self.audit_anchor_file or data_dir() / "audit-anchors.txt"


def config_path() -> Path:
    override = os.environ.get(ENV_CONFIG)
    if override:
        return Path(override)
    return Path(platformdirs.user_config_dir(APP_NAME)) / "config.toml"


def data_dir() -> Path:
    return Path(platformdirs.user_data_dir(APP_NAME))


def batch_dir(settings: Settings) -> Path:
    """Where batch PDFs are written unless `--out` names a folder."""
    return settings.batches.directory or data_dir() / "batches"


def lists_dir(settings: Settings) -> Path:
    """Where the scheduler writes the next day's recording lists."""
    return settings.jobs.lists_directory or data_dir() / "lists"


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
        settings = settings_from(values)
    except ValueError as exc:
        raise ConfigError(f"{path}: {exc}") from None
    settings.config_file = path if path.is_file() else None
    return settings


def settings_from(values: dict[str, Any]) -> Settings:
    """`values` (tables as dicts, paths as strings) checked into Settings; a
    ValueError in one line in the user's language, naming the key
    (``lease_minutes: harus bilangan bulat >= 1``)."""
    try:
        return msgspec.convert(values, Settings, dec_hook=_path)
    except msgspec.ValidationError as exc:
        message, at, where = str(exc).rpartition(" - at `")
        if not at:  # about the file as a whole, or a check of ours (naming the key itself)
            raise ValueError(_said(str(exc), "")) from None
        where = where.rstrip("`").removeprefix("$").lstrip(".")
        message = _said(message, where)
        raise ValueError(f"{where}: {message}" if where else message) from None


#: msgspec's words for a value that does not fit, and what they become.
_MSGSPEC = (
    (re.compile(r"Expected `(\w+)`, got `(\w+)`$"),
     lambda m, where: _expected(m[1], m[2])),
    (re.compile(r"Expected `(\w+)` (>=|>|<=|<) (\S+)$"),
     lambda m, where: t("config.bound", expected=_type_name(m[1]), op=m[2], bound=m[3])),
    (re.compile(r"Expected `str` matching regex"), lambda m, where: t("config.clock")),
    (re.compile(r"Object contains unknown field `(.+)`$"),
     lambda m, where: t("config.unknown_key", key=m[1])),
    (re.compile(r"Object missing required field `(.+)`$"),
     lambda m, where: t("config.missing_key", key=m[1])),
    (re.compile(r"Invalid enum value (.+)$"),
     lambda m, where: t("config.choice", value=m[1], choices=", ".join(_choices(where)))),
    (re.compile(r"expected a path$"), lambda m, where: t("config.path")),
)


def _said(message: str, where: str) -> str:
    """msgspec's message about the value at `where`, in the user's language
    (as msgspec wrote it when it is not one of these)."""
    for pattern, say in _MSGSPEC:
        match = pattern.match(message)
        if match:
            return say(match, where)
    return message


def _expected(expected: str, got: str) -> str:
    return t("config.expected", expected=_type_name(expected), got=_type_name(got))


def _type_name(name: str) -> str:
    key = f"config.type.{name}"
    said = t(key)
    return name if said == key else said


def _toml_type(value: Any) -> str:
    """A TOML value's kind in msgspec's words (`int`, `array`, …)."""
    kinds = ((bool, "bool"), (int, "int"), (float, "float"), (str, "str"), (dict, "object"),
             (list, "array"))
    return next((name for kind, name in kinds if isinstance(value, kind)), type(value).__name__)


def _choices(where: str) -> list[str]:
    """The values the setting at `where` (``attachments.store``) may take."""
    import typing

    kind: Any = Settings
    for name in where.split("."):
        hints = typing.get_type_hints(kind, include_extras=True) if isinstance(kind, type) else {}
        kind = hints.get(name)
        if kind is None:
            return []
    return [str(value) for value in typing.get_args(kind)]


def _path(kind: type, value: Any) -> Any:
    if kind is Path:
        if isinstance(value, str) and value:
            return Path(value)
        raise ValueError("expected a path")  # (said in the user's language by _said)
    raise NotImplementedError(kind)
