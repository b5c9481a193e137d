"""quarantine: reasons as codes, one open entry per package (by its sha256)

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-29

Two changes to ``quarantine``:

1. Reasons were stored as text in the language of the command that stored
   them (``[{"message": "submission.json: applicant.nik: …"}]``). They are now
   codes with their parameters, translated when shown:
   ``[{"code": "intake.field_missing", "where": "submission.json: applicant.nik",
   "params": {…}}]``. The texts already stored are not parsed back into codes
   (they exist in two languages and their parameters were mixed into the
   sentence); each becomes ``{"code": "intake.legacy_text", "where": "",
   "params": {"text": <the old text>}}``, which shows the old text as it was,
   in whatever language it was written. Downgrading writes each reason back as
   its Indonesian text.

2. ``package_sha256``: the sha256 of the package's bytes, one open entry per
   package (a partial unique index over the open entries), so the same bytes
   sent again count an attempt on their entry even when nothing in them could
   be read (before, a file that was not a package made a new entry each time).
   Existing rows take the sha256 of their stored bytes; when several open rows
   share it (a race before this revision), the newest keeps it and the older
   ones keep NULL, as do rows stored without bytes: nothing is merged or lost,
   they stay listed as they were.
"""

import json

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

LEGACY = "intake.legacy_text"

quarantine = sa.table(
    "quarantine",
    sa.column("id", sa.BigInteger),
    sa.column("sha256", sa.String),
    sa.column("village_code", sa.String),
    sa.column("external_id", sa.String),
    sa.column("reasons", sa.JSON),
    sa.column("resolved_submission_id", sa.BigInteger),
    sa.column("package_sha256", sa.String),
)


def _reasons(value) -> list:
    if isinstance(value, str):  # a JSON column read back as text
        value = json.loads(value)
    out = []
    for item in value or []:
        if isinstance(item, dict) and "code" in item:
            out.append(item)
        else:
            text = item.get("message", "") if isinstance(item, dict) else str(item)
            out.append({"code": LEGACY, "where": "", "params": {"text": text}})
    return out


def upgrade() -> None:
    with op.batch_alter_table("quarantine") as batch:
        batch.add_column(sa.Column("package_sha256", sa.String(length=64), nullable=True))
    conn = op.get_bind()
    rows = conn.execute(
        sa.select(quarantine.c.id, quarantine.c.sha256, quarantine.c.reasons,
                  quarantine.c.resolved_submission_id)
        .order_by(quarantine.c.id.desc())
    ).all()
    taken: set[str] = set()
    for row in rows:  # newest first: the newest open row of a package keeps its sha256
        sha = row.sha256
        if row.resolved_submission_id is None and sha is not None:
            sha = None if sha in taken else sha
            taken.add(row.sha256)
        conn.execute(
            quarantine.update().where(quarantine.c.id == row.id)
            .values(package_sha256=sha, reasons=_reasons(row.reasons))
        )
    with op.batch_alter_table("quarantine") as batch:
        batch.create_index("uq_quarantine_open_package", ["package_sha256"], unique=True,
                           sqlite_where=sa.text("resolved_submission_id IS NULL"),
                           postgresql_where=sa.text("resolved_submission_id IS NULL"))


def _text(item: dict) -> str:
    from bakso_tui.locale import catalog

    params = item.get("params") or {}
    if item.get("code") == LEGACY:
        return str(params.get("text", ""))
    template = catalog("id").get(str(item.get("code")), str(item.get("code")))
    try:
        text = template.format(**params)
    except (KeyError, IndexError, ValueError):
        text = template
    return f"{item['where']}: {text}" if item.get("where") else text


def downgrade() -> None:
    conn = op.get_bind()
    rows = conn.execute(sa.select(quarantine.c.id, quarantine.c.reasons)).all()
    for row in rows:
        value = json.loads(row.reasons) if isinstance(row.reasons, str) else row.reasons
        texts = [{"message": _text(item) if isinstance(item, dict) else str(item)}
                 for item in value or []]
        conn.execute(quarantine.update().where(quarantine.c.id == row.id).values(reasons=texts))
    with op.batch_alter_table("quarantine") as batch:
        batch.drop_index("uq_quarantine_open_package")
        batch.drop_column("package_sha256")
