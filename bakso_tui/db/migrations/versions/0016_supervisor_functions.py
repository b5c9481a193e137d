"""a supervisor's writes through the owner's functions; nobody reads password hashes

Revision ID: 0016
Revises: 0015
Create Date: 2026-11-29

- ``app_user.has_password`` (both databases): generated from
  ``password_hash IS NOT NULL``, so the accounts screen and ``users list``
  say whether an account has a password without reading the hash, which no
  login role may read (``bakso db roles`` grants ``app_user`` column by
  column, all but ``password_hash``).

PostgreSQL only (the functions are made ``SECURITY DEFINER``, owned by the
office's owner role, by ``bakso db roles``; ``db/roles.py``):

- ``bakso_user_role(actor, login, role, at)``: a role change. The caller
  manages accounts (``bakso_require_accounts``), never changes its own, and
  the last active supervisor stays one (the supervisors' rows locked first,
  so two demotions at once cannot both pass); an active account's login role
  leaves its group for the new one; the row and its audit row (``user.role``)
  in the same transaction. ``bakso_user_disable`` (0013) keeps the last
  active supervisor the same way.
- Everything else only a supervisor writes (``domain/definer.py``, each
  function described where it is made below): another's claim released or
  reassigned; the schedule's teams, plans, closed, cancelled and changed
  days and the bookings they move; batches closed, printed, handed over,
  received; and what a verifier does too, which had no function yet: a
  day's outcomes (recorded, absent) and the bookings an absence moves, and
  (any account) a day's list marked listed. The SQL of the schedule, booking
  and batch functions is in ``migrations/functions_0016.py``. Each checks the
  caller (``bakso_require_supervisor``) and the audit rows' actions and
  targets (``bakso_audit_only``, ``bakso_audit_targets``), writes, and appends the audit inside
  (``bakso_audit_sql`` or ``bakso_audit_append_many``). ``bakso db roles``
  then takes the supervisor group's table grants away (``roles.WRITES``).
"""

from importlib import import_module

import sqlalchemy as sa
from alembic import op

from bakso_tui.db.migrations.functions_0016 import (PG_BATCH, PG_BOOKINGS, PG_CLOSE, PG_LISTED,
                                                    PG_SCHEDULE)

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

DENY = "USING ERRCODE = '42501'"
BAD = "USING ERRCODE = '22023'"

PG_ROLE = f"""
CREATE OR REPLACE FUNCTION bakso_user_role(
    p_actor text, p_login text, p_role text, p_at timestamptz
) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    v_user app_user%ROWTYPE;
    v_prefix text := bakso_role_prefix();
    v_group text;
BEGIN
    PERFORM bakso_require_accounts();
    IF p_role NOT IN ('verifier', 'supervisor', 'admin') THEN
        RAISE EXCEPTION 'bakso: no role %', p_role {BAD};
    END IF;
    IF p_login = (SELECT a.login FROM bakso_caller_account() a) THEN
        RAISE EXCEPTION 'bakso: % may not change its own role', session_user {DENY};
    END IF;
    -- The supervisors first, in one order: two demotions at once wait for each other.
    PERFORM 1 FROM app_user WHERE role = 'supervisor' AND active ORDER BY id FOR UPDATE;
    SELECT * INTO v_user FROM app_user WHERE login = p_login FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'bakso: no account %', p_login {BAD};
    END IF;
    IF v_user.role = p_role THEN
        RETURN p_role;
    END IF;
    IF v_user.role = 'supervisor' AND v_user.active
       AND (SELECT count(*) FROM app_user WHERE role = 'supervisor' AND active) <= 1 THEN
        RAISE EXCEPTION 'bakso: % is the last active supervisor', p_login {BAD};
    END IF;
    UPDATE app_user SET role = p_role WHERE id = v_user.id;
    -- A disabled account's login role has no group (bakso_user_disable) and gets none.
    IF v_user.active AND v_user.db_role IS NOT NULL AND v_prefix IS NOT NULL
       AND EXISTS (SELECT 1 FROM pg_roles WHERE rolname = v_user.db_role) THEN
        FOREACH v_group IN ARRAY ARRAY['verifier', 'supervisor', 'admin'] LOOP
            IF v_group <> p_role THEN
                EXECUTE format('REVOKE %I FROM %I', v_prefix || v_group, v_user.db_role);
            END IF;
        END LOOP;
        EXECUTE format('GRANT %I TO %I', v_prefix || p_role, v_user.db_role);
    END IF;
    PERFORM bakso_audit_sql(p_at, p_actor, 'user.role', 'user', p_login, v_user.role, p_role,
                            '{{}}');
    RETURN p_role;
END $$;
"""

#: The supervisor's check (caller's rights, like ``bakso_require_accounts``):
#: the caller's active account is a supervisor's and `p_actor` is its login
#: (or the caller is free: no roles here, or a superuser). And the audit rows
#: a function is given must be of its own actions and name what it wrote (their
#: actor is checked by ``bakso_audit_append_many`` itself).
PG_SUPERVISOR = f"""
CREATE OR REPLACE FUNCTION bakso_require_supervisor(p_actor text) RETURNS void
LANGUAGE plpgsql STABLE AS $$
BEGIN
    IF bakso_caller_kind() = 'free' OR EXISTS (
        SELECT 1 FROM bakso_caller_account() a WHERE a.role = 'supervisor' AND a.login = p_actor)
    THEN
        RETURN;
    END IF;
    RAISE EXCEPTION 'bakso: % may not do a supervisor''s work as %', session_user, p_actor {DENY};
END $$;

-- The audit rows of type p_type name exactly the targets p_ids (as sets):
-- the rows a caller built describe what the function wrote, not other rows.
CREATE OR REPLACE FUNCTION bakso_audit_targets(p_audit json, p_type text, p_ids text[])
RETURNS void LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
    IF ARRAY(SELECT DISTINCT r->>'target_id' FROM json_array_elements(p_audit) r
              WHERE r->>'target_type' = p_type ORDER BY 1)
       IS DISTINCT FROM ARRAY(SELECT DISTINCT x FROM unnest(p_ids) x ORDER BY 1) THEN
        RAISE EXCEPTION 'bakso: the audit rows name another % than the one written', p_type {DENY};
    END IF;
END $$;

CREATE OR REPLACE FUNCTION bakso_audit_only(p_audit json, p_actions text[]) RETURNS void
LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM json_array_elements(p_audit) r
                WHERE NOT (r->>'action' = ANY (p_actions))) THEN
        RAISE EXCEPTION 'bakso: an audit row of another action' {DENY};
    END IF;
END $$;
"""

#: Another's claim: released, or handed to another account that may verify.
#: The audit rows are built here (their details are codes and logins).
PG_CLAIMS = f"""
CREATE OR REPLACE FUNCTION bakso_claim_release_other(
    p_actor text, p_id bigint, p_seen bigint, p_at timestamptz
) RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN
    PERFORM bakso_require_supervisor(p_actor);
    UPDATE submission SET state = 'diajukan', claim_holder_id = NULL, claim_expires_at = NULL,
           updated_at = p_at
     WHERE id = p_id AND state = 'diverifikasi' AND (p_seen IS NULL OR claim_token = p_seen);
    IF NOT FOUND THEN
        RETURN false;
    END IF;
    PERFORM bakso_audit_sql(p_at, p_actor, 'submission.release', 'submission', p_id::text,
                            'diverifikasi', 'diajukan', '{{}}');
    RETURN true;
END $$;

CREATE OR REPLACE FUNCTION bakso_claim_reassign(
    p_actor text, p_id bigint, p_to text, p_seen bigint, p_expires timestamptz, p_at timestamptz
) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
    v_to bigint;
    v_token bigint;
BEGIN
    PERFORM bakso_require_supervisor(p_actor);
    SELECT id INTO v_to FROM app_user
     WHERE login = p_to AND active AND role IN ('verifier', 'supervisor');
    IF NOT FOUND THEN
        RAISE EXCEPTION 'bakso: % may not hold a claim', p_to {BAD};
    END IF;
    UPDATE submission SET state = 'diverifikasi', claim_holder_id = v_to,
           claim_expires_at = p_expires, claim_token = claim_token + 1, updated_at = p_at
     WHERE id = p_id AND CASE WHEN p_seen IS NULL THEN state IN ('diajukan', 'diverifikasi')
                              ELSE state = 'diverifikasi' AND claim_token = p_seen END
    RETURNING claim_token INTO v_token;
    IF NOT FOUND THEN
        RETURN NULL;
    END IF;
    PERFORM bakso_audit_sql(p_at, p_actor, 'submission.reassign', 'submission', p_id::text,
                            NULL, 'diverifikasi',
                            '{{"to":' || to_json(p_to)::text || ',"token":' || v_token || '}}');
    RETURN v_token;
END $$;
"""


def _disable(locked: bool) -> str:
    """``bakso_user_disable`` as migration 0013 made it; `locked`: with the
    supervisors' rows locked first and the last active one kept, as
    ``bakso_user_role`` does (two supervisors disabling each other at once)."""
    accounts = import_module("bakso_tui.db.migrations.versions.0013_database_roles").PG_ACCOUNTS
    start = accounts.index("CREATE OR REPLACE FUNCTION bakso_user_disable")
    body = accounts[start:accounts.index("CREATE OR REPLACE FUNCTION", start + 1)]
    if not locked:
        return body
    head = ("    PERFORM bakso_require_accounts();\n"
            "    SELECT * INTO v_user FROM app_user WHERE login = p_login FOR UPDATE;\n")
    assert body.count(head) == 1
    return body.replace(head, f"""    PERFORM bakso_require_accounts();
    PERFORM 1 FROM app_user WHERE role = 'supervisor' AND active ORDER BY id FOR UPDATE;
    SELECT * INTO v_user FROM app_user WHERE login = p_login FOR UPDATE;
    IF FOUND AND v_user.active AND v_user.role = 'supervisor'
       AND (SELECT count(*) FROM app_user WHERE role = 'supervisor' AND active) <= 1 THEN
        RAISE EXCEPTION 'bakso: % is the last active supervisor', p_login {BAD};
    END IF;
""")


FUNCTIONS = ("bakso_require_supervisor", "bakso_audit_only", "bakso_audit_targets",
             "bakso_user_role",
             "bakso_claim_release_other", "bakso_claim_reassign", "bakso_batch_step",
             "bakso_team_add", "bakso_plan_create", "bakso_office_close", "bakso_day_change",
             "bakso_bookings_move", "bakso_bookings_outcome", "bakso_batch_close",
             "bakso_day_listed")


def upgrade() -> None:
    # Plain ADD COLUMN: VIRTUAL on SQLite (which cannot add a stored one), STORED
    # on PostgreSQL (its only kind before 18).
    pg = op.get_bind().dialect.name == "postgresql"
    op.add_column("app_user", sa.Column("has_password", sa.Boolean(), sa.Computed(
        "password_hash IS NOT NULL", persisted=True if pg else None)))
    if not pg:
        return
    op.execute(PG_ROLE)
    op.execute(_disable(locked=True))
    op.execute(PG_SUPERVISOR)
    op.execute(PG_CLAIMS)
    op.execute(PG_BATCH)
    op.execute(PG_SCHEDULE)
    op.execute(PG_BOOKINGS)
    op.execute(PG_CLOSE)
    op.execute(PG_LISTED)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_disable(locked=False))
        for name in reversed(FUNCTIONS):
            op.execute(f"DROP FUNCTION IF EXISTS {name}")
    op.drop_column("app_user", "has_password")
