"""The package manifest ``submission.json`` (schema ``bakso.submission/1``) and its messages.

:func:`read_manifest` turns the manifest's bytes into the validated model or
into reasons, never into an exception: the bytes are bounded in size, and their
nesting depth is measured on the text *before* the JSON parser recurses into
it (100,000 nested ``[`` would otherwise end in RecursionError). NaN and
Infinity are not JSON and are refused. Every text in the manifest, keys
included, is refused if it holds a control or text-reordering character
(:mod:`bakso_tui.locale.plain`). Dates are bounded where the schema can tell
without a clock (``submitted_at`` from 2000 on, birth dates from 1900 on); the
bounds that need today's date are in :mod:`.checks`.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from pydantic_core import PydanticCustomError

from bakso_tui.attachments.package import MANIFEST
from bakso_tui.domain.calendar import OFFICE_TZ
from bakso_tui.domain.intake.reasons import Reason, reason
from bakso_tui.locale.plain import first_control

SCHEMA = "bakso.submission/1"
MAX_MANIFEST_BYTES = 256 * 1024  # a real manifest is a few kilobytes
MAX_DEPTH = 32  # the schema needs 3 levels; room for a newer app's extra keys
FIRST_SUBMISSION_YEAR = 2000
FIRST_BIRTH_DATE = date(1900, 1, 1)
MAX_CONTROL_REASONS = 20
NAME_CHARS = 200  # submission.applicant_name and its search key

EXTERNAL_ID = r"^[A-Za-z0-9][A-Za-z0-9._/-]{0,63}$"
VILLAGE_CODE = r"^\d{2}\.\d{2}\.\d{2}\.\d{4}$"


class _Model(BaseModel):
    # Unknown keys are kept in the stored manifest but not interpreted: a newer
    # village app may send more than this version knows.
    model_config = ConfigDict(extra="allow", str_strip_whitespace=True)


class OperatorIn(_Model):
    name: str = Field(min_length=1, max_length=200)
    phone: str = Field(default="", max_length=32)


class ApplicantIn(_Model):
    nik: str
    kk_number: str
    name: str = Field(min_length=1, max_length=NAME_CHARS)
    birth_date: date
    sex: Literal["L", "P"]
    address: str = Field(default="", max_length=1000)

    @field_validator("name")
    @classmethod
    def _searchable(cls, value: str) -> str:
        # The name is kept upper-cased for search, in the same 200 characters;
        # upper case can be longer ("ß" becomes "SS").
        if len(value.upper()) > NAME_CHARS:
            raise PydanticCustomError("string_too_long", "name too long in upper case")
        return value

    @field_validator("birth_date")
    @classmethod
    def _plausible_birth(cls, value: date) -> date:
        if value < FIRST_BIRTH_DATE:
            raise PydanticCustomError("birth_date_range", "birth date before 1900")
        return value


class AttachmentIn(_Model):
    requirement: str = Field(min_length=1, max_length=48)
    file: str = Field(min_length=1, max_length=255)


class ManifestIn(_Model):
    schema_: Literal["bakso.submission/1"] = Field(alias="schema")
    external_id: str = Field(pattern=EXTERNAL_ID)
    village_code: str = Field(pattern=VILLAGE_CODE)
    submitted_at: datetime
    operator: OperatorIn
    service: str = Field(min_length=1, max_length=48)
    applicant: ApplicantIn
    subjects: list[dict[str, Any]] = Field(default_factory=list, max_length=20)
    priority: list[str] = Field(default_factory=list, max_length=10)
    attachments: list[AttachmentIn] = Field(min_length=1, max_length=50)
    resubmission_of: str | None = Field(default=None, max_length=64)

    @field_validator("submitted_at")
    @classmethod
    def _office_time(cls, value: datetime) -> datetime:
        # Bounded before any arithmetic: 0001-01-01 in WITA is before datetime.min in UTC.
        if not FIRST_SUBMISSION_YEAR <= value.year <= 9000:
            raise PydanticCustomError("submitted_range", "submitted_at out of range")
        # A time without a zone is the office's own (WITA).
        if value.tzinfo is None:
            value = value.replace(tzinfo=OFFICE_TZ)
        return value.astimezone(UTC)


_PYDANTIC_KEYS = {
    "missing": "field_missing",
    "string_pattern_mismatch": "field_format",
    "literal_error": "field_choice",
    "date_parsing": "field_date",
    "date_from_datetime_parsing": "field_date",
    "date_from_datetime_inexact": "field_date",
    "date_type": "field_date",
    "datetime_parsing": "field_datetime",
    "datetime_from_date_parsing": "field_datetime",
    "datetime_type": "field_datetime",
    "datetime_object_invalid": "field_datetime",
    "string_type": "field_text",
    "string_too_short": "field_empty",
    "string_too_long": "field_too_long",
    "too_short": "field_empty",
    "too_long": "field_too_long",
    "list_type": "field_list",
    "model_type": "field_object",
    "dict_type": "field_object",
    "submitted_range": "submitted_range",
    "birth_date_range": "birth_date_range",
}


def _schema_reasons(exc: ValidationError) -> list[Reason]:
    reasons = []
    for err in exc.errors(include_url=False):
        where = ".".join(str(p) for p in err["loc"]).replace("schema_", "schema")
        key = _PYDANTIC_KEYS.get(err["type"], "field_invalid")
        value = err.get("input")
        shown = value if isinstance(value, (str, int, float)) and not isinstance(value, bool) else ""
        reasons.append(reason(f"intake.{key}", f"{MANIFEST}: {where}" if where else MANIFEST,
                              value=shown, detail=err["msg"]))
    return reasons


class ManifestRefused(Exception):
    """The manifest cannot be used; `reasons` say why. `raw` is the parsed JSON
    object when there was one (to find the village and its reference)."""

    def __init__(self, reasons: list[Reason], raw: dict[str, Any] | None = None) -> None:
        super().__init__(reasons[0].code)
        self.reasons = reasons
        self.raw = raw


# Strings (with their escapes) and then brackets, for measuring depth without parsing.
_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_NOT_BRACKET = re.compile(r"[^\[\]{}]+")


def nesting_depth(text: str) -> int:
    """The deepest nesting of arrays and objects in JSON `text`, in linear time.

    Brackets inside strings do not count; for text that is not JSON the figure
    may be off, which only matters if it exceeds the bound (the JSON parser
    then refuses the text anyway).
    """
    brackets = _NOT_BRACKET.sub("", _STRING.sub("", text))
    depth = deepest = 0
    for char in brackets:
        if char in "[{":
            depth += 1
            deepest = max(deepest, depth)
        else:
            depth -= 1
    return deepest


def _not_json(constant: str) -> Any:
    raise ValueError(f"{constant} is not JSON")


def control_reasons(raw: Any) -> list[Reason]:
    """A reason for every text (value or key) holding a control character, up to a bound."""
    found: list[Reason] = []
    stack: list[tuple[str, Any]] = [("", raw)]
    while stack and len(found) < MAX_CONTROL_REASONS:
        path, value = stack.pop()
        if isinstance(value, str):
            position = first_control(value)
            if position is not None:
                found.append(reason("intake.control_char", f"{MANIFEST}: {path}", position=position))
        elif isinstance(value, dict):
            for key, item in reversed(list(value.items())):
                here = f"{path}.{key}" if path else key
                position = first_control(key)
                if position is not None:
                    found.append(reason("intake.control_char_key", f"{MANIFEST}: {here}",
                                        position=position))
                stack.append((here, item))
        elif isinstance(value, list):
            stack.extend((f"{path}.{i}", item) for i, item in reversed(list(enumerate(value))))
    return found[:MAX_CONTROL_REASONS]


def read_manifest(data: bytes) -> tuple[dict[str, Any], ManifestIn]:
    """The manifest's JSON object and its validated model, or :class:`ManifestRefused`."""
    if len(data) > MAX_MANIFEST_BYTES:
        raise ManifestRefused([reason("intake.manifest_too_large", MANIFEST,
                                      kb=len(data) // 1024, limit=MAX_MANIFEST_BYTES // 1024)])
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ManifestRefused([reason("intake.not_utf8", MANIFEST)]) from None
    if nesting_depth(text) > MAX_DEPTH:
        raise ManifestRefused([reason("intake.manifest_too_deep", MANIFEST, limit=MAX_DEPTH)])
    try:
        raw = json.loads(text, parse_constant=_not_json)
    except json.JSONDecodeError as exc:
        raise ManifestRefused([reason("intake.bad_json", MANIFEST, line=exc.lineno,
                                      column=exc.colno, detail=exc.msg)]) from None
    except RecursionError:
        raise ManifestRefused([reason("intake.manifest_too_deep", MANIFEST,
                                      limit=MAX_DEPTH)]) from None
    except ValueError as exc:  # NaN/Infinity, or a number of more than 4,300 digits
        raise ManifestRefused([reason("intake.bad_json", MANIFEST, line="?", column="?",
                                      detail=str(exc))]) from None
    if not isinstance(raw, dict):
        raise ManifestRefused([reason("intake.not_object", MANIFEST)])
    reasons = control_reasons(raw)
    try:
        manifest = ManifestIn.model_validate(raw)
    except ValidationError as exc:
        reasons += _schema_reasons(exc)
    if reasons:
        raise ManifestRefused(reasons, raw)
    return raw, manifest


def identity(raw: dict[str, Any] | None) -> tuple[str | None, str | None]:
    """(village_code, external_id) when both can be read from a manifest, else (None, None)."""
    if not raw:
        return None, None
    village, external = raw.get("village_code"), raw.get("external_id")
    if (isinstance(village, str) and isinstance(external, str)
            and re.fullmatch(VILLAGE_CODE, village.strip())
            and re.fullmatch(EXTERNAL_ID, external.strip())):
        return village.strip(), external.strip()
    return None, None
