"""claim indexes and the audit chain's head

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22

Claiming the next free submission must not walk past the work already claimed
(which sits at the front of the work order): a partial index over free rows
only, and one over live leases to find the expired ones.

The audit chain's newest hash moves to a one-row table that writers lock with
SELECT … FOR UPDATE (one round trip for the lock and the fresh value), in place
of an advisory lock followed by a read of the newest row. On PostgreSQL the
append itself is one server-side function, so the lock is held for one step.
"""

from alembic import op
import sqlalchemy as sa

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

# The chain step on the server: lock the head, link, insert, move the head. The
# body is the canonical JSON the client computed (bakso_tui.domain.audit), so the
# hash is sha256(prev + "\n" + body) exactly as `bakso audit verify` recomputes it.
PG_APPEND = """
CREATE OR REPLACE FUNCTION bakso_audit_append(
    p_at timestamptz, p_actor text, p_action text, p_target_type text, p_target_id text,
    p_from text, p_to text, p_reason text, p_details json, p_body text
) RETURNS text AS $$
DECLARE
    v_prev text;
    v_hash text;
BEGIN
    SELECT hash INTO v_prev FROM audit_head WHERE id = 1 FOR UPDATE;
    v_hash := encode(sha256(convert_to(v_prev || E'\\n' || p_body, 'UTF8')), 'hex');
    INSERT INTO audit_log (at, actor, action, target_type, target_id, from_state, to_state,
                           reason, details, prev_hash, hash)
    VALUES (p_at, p_actor, p_action, p_target_type, p_target_id, p_from, p_to,
            p_reason, p_details, v_prev, v_hash);
    UPDATE audit_head SET hash = v_hash, count = count + 1 WHERE id = 1;
    RETURN v_hash;
END;
$$ LANGUAGE plpgsql
"""

FREE_SQL = "state = 'diajukan'"
CLAIMED_SQL = "state = 'diverifikasi'"


def upgrade() -> None:
    op.create_table(
        "audit_head",
        sa.Column("id", sa.SmallInteger(), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.Column("count", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_head")),
    )
    op.execute(
        "INSERT INTO audit_head (id, hash, count) SELECT 1, "
        "COALESCE((SELECT hash FROM audit_log ORDER BY id DESC LIMIT 1), "
        "'0000000000000000000000000000000000000000000000000000000000000000'), "
        "(SELECT COUNT(*) FROM audit_log)"
    )
    with op.batch_alter_table("submission", schema=None) as batch_op:
        batch_op.create_index(
            "ix_submission_free", ["priority_rank", "submitted_at", "id"], unique=False,
            postgresql_where=sa.text(FREE_SQL), sqlite_where=sa.text(FREE_SQL),
        )
        batch_op.create_index(
            "ix_submission_lease", ["claim_expires_at"], unique=False,
            postgresql_where=sa.text(CLAIMED_SQL), sqlite_where=sa.text(CLAIMED_SQL),
        )


    if op.get_bind().dialect.name == "postgresql":
        op.execute(PG_APPEND)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS bakso_audit_append")
    op.drop_table("audit_head")
    with op.batch_alter_table("submission", schema=None) as batch_op:
        batch_op.drop_index("ix_submission_lease")
        batch_op.drop_index("ix_submission_free")
