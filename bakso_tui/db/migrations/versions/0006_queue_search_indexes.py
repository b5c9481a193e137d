"""queue search and filters read an index, not the whole queue

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-22

The queue's search (`/`) takes the start of a NIK, a KK number, a submission
number or a name. On PostgreSQL a btree serves LIKE 'x%' only under the C
collation or with the ``text_pattern_ops`` operator class; an office database
created under id_ID.UTF-8 or en_US.UTF-8 would scan the whole table (130 ms to
over a second at a million submissions). The NIK and KK indexes are rebuilt
with ``text_pattern_ops`` (they serve equality as before) and the submission
number gets a pattern index beside its unique one. SQLite's indexes are kept
as they are; the number index is added there too, so both schemas match the
models.

Two partial indexes over open submissions in work order: one led by the
village (a village's page read in order, 65 ms → a few ms at a million), and
one holding only flagged rows (possible duplicate, NIK mismatch), which costs
nothing for the unflagged majority.
"""

from alembic import op
import sqlalchemy as sa

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

_PATTERN = ("applicant_nik", "applicant_kk")
OPEN_SQL = "state IN ('diajukan', 'diverifikasi')"
FLAGGED_SQL = f"{OPEN_SQL} AND (possible_duplicate OR nik_mismatch)"
WORK_ORDER = ["priority_rank", "submitted_at", "id"]


def upgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    if postgres:
        for column in _PATTERN:
            op.drop_index(f"ix_submission_{column}", table_name="submission")
            op.create_index(f"ix_submission_{column}", "submission", [column],
                            postgresql_ops={column: "text_pattern_ops"})
    op.create_index("ix_submission_number_prefix", "submission", ["number"],
                    postgresql_ops={"number": "text_pattern_ops"})
    op.create_index("ix_submission_queue_village", "submission", ["village_code", *WORK_ORDER],
                    postgresql_where=sa.text(OPEN_SQL), sqlite_where=sa.text(OPEN_SQL))
    op.create_index("ix_submission_queue_flagged", "submission", WORK_ORDER,
                    postgresql_where=sa.text(FLAGGED_SQL), sqlite_where=sa.text(FLAGGED_SQL))


def downgrade() -> None:
    op.drop_index("ix_submission_queue_flagged", table_name="submission")
    op.drop_index("ix_submission_queue_village", table_name="submission")
    op.drop_index("ix_submission_number_prefix", table_name="submission")
    if op.get_bind().dialect.name == "postgresql":
        for column in _PATTERN:
            op.drop_index(f"ix_submission_{column}", table_name="submission")
            op.create_index(f"ix_submission_{column}", "submission", [column])
