"""Building intake packages for tests: a valid one, then break it on purpose."""

from __future__ import annotations

import copy
import json
import zipfile
from pathlib import Path
from typing import Any

import hostile

from bakso_tui.domain.catalog import load_catalog

VILLAGE = "52.03.01.2001"  # Tanjung Luar, Keruak


def manifest(service: str = "kk_perubahan", external_id: str = "TL-2026-0001",
             **overrides: Any) -> dict[str, Any]:
    svc = load_catalog().service(service)
    data = {
        "schema": "bakso.submission/1",
        "external_id": external_id,
        "village_code": VILLAGE,
        "submitted_at": "2026-11-20T09:30:00+08:00",
        "operator": {"name": "Baiq Sri", "phone": "081234567890"},
        "service": service,
        "applicant": {
            "nik": "5203015203900001",  # woman, born 12-03-1990, Keruak
            "kk_number": "5203010101150002",
            "name": "Siti Aminah",
            "birth_date": "1990-03-12",
            "sex": "P",
            "address": "Dusun Kampung Baru RT 001/RW 002",
        },
        # The mandatory requirements, and the first of each group of alternatives.
        "attachments": [
            {"requirement": r.id, "file": f"{r.id}.pdf"} for r in svc.requirements
            if r.mandatory or (r.one_of and not r.when and r.id == _first_of(svc, r.one_of))
        ],
    }
    for key, value in overrides.items():
        data[key] = value
    return data


def _first_of(svc, group: str) -> str:
    return next(r.id for r in svc.requirements if r.one_of == group)


def files_for(m: dict[str, Any]) -> dict[str, bytes]:
    return {a["file"]: hostile.text_pdf(a["requirement"], pages=2) for a in m["attachments"]
            if not a["file"].startswith(("/", ".."))}


def write_folder(root: Path, m: dict[str, Any] | str, files: dict[str, bytes] | None = None) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    text = m if isinstance(m, str) else json.dumps(m, ensure_ascii=False, indent=1)
    (root / "submission.json").write_text(text, encoding="utf-8")
    if files is None:
        files = files_for(m) if isinstance(m, dict) else {}
    for name, data in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    return root


def write_zip(path: Path, m: dict[str, Any] | str, files: dict[str, bytes] | None = None,
              extra: dict[str, bytes] | None = None) -> Path:
    text = m if isinstance(m, str) else json.dumps(m, ensure_ascii=False)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("submission.json", text)
        if files is None:
            files = files_for(m) if isinstance(m, dict) else {}
        for name, data in files.items():
            zf.writestr(name, data)
        for name, data in (extra or {}).items():
            zf.writestr(name, data)
    return path


def with_applicant(m: dict[str, Any], **fields: Any) -> dict[str, Any]:
    m = copy.deepcopy(m)
    m["applicant"].update(fields)
    return m
