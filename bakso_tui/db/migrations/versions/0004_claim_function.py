"""claim-next as one server-side step on PostgreSQL

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22

Claiming the next free submission, and writing its audit row, in one round
trip: the pick (FOR UPDATE SKIP LOCKED over ix_submission_free), the take, and
the chain step. The audit body is built in exactly the canonical JSON that
bakso_tui.domain.audit.entry_body produces for a claim (sorted keys, no spaces;
logins are [a-z0-9_.-] and need no escaping beyond to_json), so `bakso audit
verify` recomputes the same hash. tests/test_claims.py checks that on every run.
"""

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

PG_CLAIM = """
CREATE OR REPLACE FUNCTION bakso_claim_next(
    p_user bigint, p_login text, p_expires timestamptz, p_now timestamptz
) RETURNS TABLE (submission_id bigint, token bigint) AS $$
DECLARE
    v_id bigint;
    v_token bigint;
    v_prev text;
    v_body text;
    v_hash text;
BEGIN
    UPDATE submission
       SET state = 'diverifikasi', claim_holder_id = p_user, claim_expires_at = p_expires,
           claim_token = claim_token + 1, updated_at = p_now
     WHERE id = (SELECT s.id FROM submission s WHERE s.state = 'diajukan'
                  ORDER BY s.priority_rank, s.submitted_at, s.id
                  LIMIT 1 FOR UPDATE SKIP LOCKED)
    RETURNING submission.id, submission.claim_token INTO v_id, v_token;
    IF v_id IS NULL THEN
        RETURN;
    END IF;
    v_body := '{"action":"submission.claim","actor":' || to_json(p_login)::text
        || ',"at":"' || to_char(p_now AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US') || '+00:00"'
        || ',"details":{"token":' || v_token || '},"from":"diajukan","reason":""'
        || ',"target_id":"' || v_id || '","target_type":"submission","to":"diverifikasi"}';
    SELECT hash INTO v_prev FROM audit_head WHERE id = 1 FOR UPDATE;
    v_hash := encode(sha256(convert_to(v_prev || E'\\n' || v_body, 'UTF8')), 'hex');
    INSERT INTO audit_log (at, actor, action, target_type, target_id, from_state, to_state,
                           reason, details, prev_hash, hash)
    VALUES (p_now, p_login, 'submission.claim', 'submission', v_id::text, 'diajukan',
            'diverifikasi', '', json_build_object('token', v_token), v_prev, v_hash);
    UPDATE audit_head SET hash = v_hash, count = count + 1 WHERE id = 1;
    submission_id := v_id;
    token := v_token;
    RETURN NEXT;
END;
$$ LANGUAGE plpgsql
"""


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(PG_CLAIM)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS bakso_claim_next")
