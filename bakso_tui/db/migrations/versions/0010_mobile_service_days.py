"""mobile-service days per village, and the recording queue

Revision ID: 0010
Revises: 0008
Create Date: 2026-11-29

Teams (``service_team``), plans (``service_plan``: a recurrence over a range
for one village and team), the days they make (``service_day``), the office's
extra closed days (``office_closed_day``) and residents' places on a day for
biometric recording (``recording_booking``).

The database itself keeps the two promises the rules make: a team is never in
two villages on one day, and a village has one team a day (unique indexes over
the active days, partial on both databases); a day never holds more bookings
than its capacity (CHECK ``booked <= capacity``). A submission holds at most
one live booking (a partial unique index).

PostgreSQL also gets ``bakso_audit_append_many(rows json)``: a schedule change
can move hundreds of bookings, each audited. Appending them one call at a time
updated the chain's head row once per row inside one transaction, and every
call had to walk the growing list of that row's versions (3,000 rows: 1.3 s;
10,000: quadratic). This function takes the same advisory lock and head row
as ``bakso_audit_append`` (migrations 0003, 0005), chains the rows in order,
and writes the head once.
"""

from alembic import op
import sqlalchemy as sa

from bakso_tui.db.types import UTCDateTime

revision = "0010"
down_revision = "0008"
branch_labels = None
depends_on = None

ACTIVE_DAY_SQL = "state = 'terjadwal'"
BOOKED_SQL = "state = 'dipesan'"


def _bigid():
    return sa.BigInteger().with_variant(sa.Integer(), "sqlite")


# 'bakso' in ASCII: the advisory lock every audit append takes (migration 0005).
AUDIT_LOCK_KEY = 0x62616B736F

PG_APPEND_MANY = f"""
CREATE OR REPLACE FUNCTION bakso_audit_append_many(p_rows json) RETURNS text AS $$
DECLARE
    v_prev text;
    v_hash text;
    v_count bigint := 0;
    r record;
BEGIN
    PERFORM pg_advisory_xact_lock({AUDIT_LOCK_KEY});
    SELECT hash INTO v_prev FROM audit_head WHERE id = 1 FOR UPDATE;
    FOR r IN
        SELECT * FROM ROWS FROM (json_to_recordset(p_rows) AS (
            at timestamptz, actor text, action text, target_type text, target_id text,
            from_state text, to_state text, reason text, details json, body text))
        WITH ORDINALITY AS x(at, actor, action, target_type, target_id, from_state,
                             to_state, reason, details, body, n)
        ORDER BY x.n
    LOOP
        v_hash := encode(sha256(convert_to(v_prev || E'\\n' || r.body, 'UTF8')), 'hex');
        INSERT INTO audit_log (at, actor, action, target_type, target_id, from_state,
                               to_state, reason, details, prev_hash, hash)
        VALUES (r.at, r.actor, r.action, r.target_type, r.target_id, r.from_state,
                r.to_state, r.reason, r.details, v_prev, v_hash);
        v_prev := v_hash;
        v_count := v_count + 1;
    END LOOP;
    UPDATE audit_head SET hash = v_prev, count = count + v_count WHERE id = 1;
    RETURN v_prev;
END;
$$ LANGUAGE plpgsql
"""


def upgrade() -> None:
    op.create_table(
        "service_team",
        sa.Column("code", sa.String(16), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("capacity", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("code", name="pk_service_team"),
    )
    op.create_table(
        "service_plan",
        sa.Column("id", _bigid(), autoincrement=True, nullable=False),
        sa.Column("village_code", sa.String(13), nullable=False),
        sa.Column("team_code", sa.String(16), nullable=False),
        sa.Column("rule", sa.String(100), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=False),
        sa.Column("capacity", sa.Integer(), nullable=False),
        sa.Column("created_by", sa.String(64), nullable=False),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["village_code"], ["village.code"],
                                name="fk_service_plan_village_code_village"),
        sa.ForeignKeyConstraint(["team_code"], ["service_team.code"],
                                name="fk_service_plan_team_code_service_team"),
        sa.PrimaryKeyConstraint("id", name="pk_service_plan"),
    )
    op.create_index("ix_service_plan_village_code", "service_plan", ["village_code"])
    op.create_table(
        "service_day",
        sa.Column("id", _bigid(), autoincrement=True, nullable=False),
        sa.Column("plan_id", _bigid(), nullable=True),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("village_code", sa.String(13), nullable=False),
        sa.Column("team_code", sa.String(16), nullable=False),
        sa.Column("capacity", sa.Integer(), nullable=False),
        sa.Column("booked", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("listed_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("capacity >= 1", name="ck_service_day_capacity_positive"),
        sa.CheckConstraint("booked >= 0 AND booked <= capacity",
                           name="ck_service_day_booked_within_capacity"),
        sa.ForeignKeyConstraint(["plan_id"], ["service_plan.id"],
                                name="fk_service_day_plan_id_service_plan"),
        sa.ForeignKeyConstraint(["village_code"], ["village.code"],
                                name="fk_service_day_village_code_village"),
        sa.ForeignKeyConstraint(["team_code"], ["service_team.code"],
                                name="fk_service_day_team_code_service_team"),
        sa.PrimaryKeyConstraint("id", name="pk_service_day"),
    )
    op.create_index("ix_service_day_plan_id", "service_day", ["plan_id"])
    op.create_index("ix_service_day_day", "service_day", ["day", "village_code"])
    op.create_index("uq_service_day_team_day", "service_day", ["team_code", "day"], unique=True,
                    postgresql_where=sa.text(ACTIVE_DAY_SQL), sqlite_where=sa.text(ACTIVE_DAY_SQL))
    op.create_index("uq_service_day_village_day", "service_day", ["village_code", "day"],
                    unique=True, postgresql_where=sa.text(ACTIVE_DAY_SQL),
                    sqlite_where=sa.text(ACTIVE_DAY_SQL))
    op.create_table(
        "office_closed_day",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("created_by", sa.String(64), nullable=False),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("day", name="pk_office_closed_day"),
    )
    op.create_table(
        "recording_booking",
        sa.Column("id", _bigid(), autoincrement=True, nullable=False),
        sa.Column("submission_id", _bigid(), nullable=False),
        sa.Column("service_day_id", _bigid(), nullable=False),
        sa.Column("home_visit", sa.Boolean(), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["submission_id"], ["submission.id"],
                                name="fk_recording_booking_submission_id_submission"),
        sa.ForeignKeyConstraint(["service_day_id"], ["service_day.id"],
                                name="fk_recording_booking_service_day_id_service_day"),
        sa.PrimaryKeyConstraint("id", name="pk_recording_booking"),
    )
    op.create_index("ix_recording_booking_submission_id", "recording_booking", ["submission_id"])
    op.create_index("ix_recording_booking_day", "recording_booking", ["service_day_id", "state"])
    op.create_index("uq_recording_booking_active", "recording_booking", ["submission_id"],
                    unique=True, postgresql_where=sa.text(BOOKED_SQL),
                    sqlite_where=sa.text(BOOKED_SQL))
    if op.get_bind().dialect.name == "postgresql":
        op.execute(PG_APPEND_MANY)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS bakso_audit_append_many")
    op.drop_table("recording_booking")
    op.drop_table("office_closed_day")
    op.drop_table("service_day")
    op.drop_table("service_plan")
    op.drop_table("service_team")
