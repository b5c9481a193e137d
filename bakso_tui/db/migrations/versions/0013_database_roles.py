"""per-person database roles: accounts know their login role, writes are checked in the server

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-29

- ``app_user.db_role``: the PostgreSQL login role of the account (NULL on
  SQLite, and for accounts made before ``bakso db roles``).
- PostgreSQL only, the server's half of ``db/roles.py`` (docs/deploy.md):
  the table ``bakso_role_prefix`` and the function of that name (this
  database's prefix, stored for *this* database's name, so a copy made with
  ``CREATE DATABASE … TEMPLATE`` has none until ``bakso db roles`` runs
  there; only the owner writes it);
  ``bakso_caller_kind()``: 'free' (roles not set up, or a superuser),
  'person' (an active account's login role), 'service' (the intake and
  job daemon's role), 'none';
  the account functions ``bakso_user_add``, ``bakso_user_disable``,
  ``bakso_user_password`` (group checked inside; they create, lock and
  set the password of the login role, release a disabled person's claims,
  and audit each change);
  ``bakso_audit_append`` / ``_many`` and ``bakso_claim_next`` check the
  caller: a person writes the audit only as itself (or ``system`` for the
  lease expiries its claims trigger), the body hashed is the row stored;
  the functions of the row checks (their triggers are made by ``bakso db
  roles``, so a database without per-person roles pays nothing for them) on
  ``submission`` (only the holder decides, only a supervisor
  takes another's live claim or hands one to somebody else; at the commit,
  a change of state or holder has its audit row from the same transaction) and
  ``decision`` (only as oneself); ``bakso_lock_villages`` (the village row
  locks of schedules and batches, which need UPDATE rights on ``village``).

They are created with the caller's rights; ``bakso db roles`` makes the
account and audit functions ``SECURITY DEFINER``, owned by the office's owner
role, with a fixed ``search_path``.
"""

from importlib import import_module

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

DENY = "USING ERRCODE = '42501'"

PG_HELPERS = f"""
CREATE OR REPLACE FUNCTION bakso_role_prefix() RETURNS text LANGUAGE sql STABLE AS $$
    SELECT prefix FROM bakso_role_prefix WHERE database = current_database()
$$;

CREATE OR REPLACE FUNCTION bakso_caller_kind() RETURNS text LANGUAGE plpgsql STABLE AS $$
DECLARE
    v_prefix text := bakso_role_prefix();
BEGIN
    IF v_prefix IS NULL
       OR EXISTS (SELECT 1 FROM pg_roles WHERE rolname = session_user AND rolsuper) THEN
        RETURN 'free';
    END IF;
    IF EXISTS (SELECT 1 FROM app_user WHERE db_role = session_user::text AND active) THEN
        RETURN 'person';
    END IF;
    IF pg_has_role(session_user, v_prefix || 'service', 'MEMBER') THEN
        RETURN 'service';
    END IF;
    RETURN 'none';
END $$;

CREATE OR REPLACE FUNCTION bakso_caller_account() RETURNS TABLE (id bigint, login text, role text)
LANGUAGE sql STABLE AS $$
    SELECT u.id, u.login, u.role FROM app_user u
     WHERE u.db_role = session_user::text AND u.active
$$;

CREATE OR REPLACE FUNCTION bakso_audit_check(
    p_at timestamptz, p_actor text, p_action text, p_target_type text, p_target_id text,
    p_from text, p_to text, p_reason text, p_details json, p_body text
) RETURNS void LANGUAGE plpgsql STABLE AS $$
DECLARE
    v_kind text := bakso_caller_kind();
    v_body jsonb := p_body::jsonb;
BEGIN
    IF v_body->>'actor' IS DISTINCT FROM p_actor OR v_body->>'action' IS DISTINCT FROM p_action
       OR v_body->>'target_type' IS DISTINCT FROM p_target_type
       OR v_body->>'target_id' IS DISTINCT FROM p_target_id
       OR v_body->>'from' IS DISTINCT FROM p_from OR v_body->>'to' IS DISTINCT FROM p_to
       OR v_body->>'reason' IS DISTINCT FROM p_reason
       OR v_body->'details' IS DISTINCT FROM p_details::jsonb
       OR (v_body->>'at')::timestamptz IS DISTINCT FROM p_at THEN
        RAISE EXCEPTION 'bakso: the audit row differs from the body it hashes' {DENY};
    END IF;
    IF v_kind = 'free' THEN
        RETURN;
    ELSIF v_kind = 'person' THEN
        IF p_actor = (SELECT a.login FROM bakso_caller_account() a) THEN
            RETURN;
        END IF;
        IF p_actor = 'system' AND p_action IN
           ('submission.lease_expired', 'submission.flag', 'batch.overdue') THEN
            RETURN;
        END IF;
    ELSIF v_kind = 'service' THEN
        IF NOT EXISTS (SELECT 1 FROM app_user WHERE login = p_actor) THEN
            RETURN;
        END IF;
    END IF;
    RAISE EXCEPTION 'bakso: % may not write the audit as %', session_user, p_actor {DENY};
END $$;
"""

#: The chain's append, one row, as migration 0005 left it, with the caller checked first.
CHECK_APPEND = ("PERFORM bakso_audit_check(p_at, p_actor, p_action, p_target_type, p_target_id,"
                " p_from, p_to, p_reason, p_details, p_body);\n    ")
CHECK_MANY = ("PERFORM bakso_audit_check(r.at, r.actor, r.action, r.target_type, r.target_id,"
              " r.from_state, r.to_state, r.reason, r.details, r.body);\n        ")
CHECK_CLAIM = f"""IF bakso_caller_kind() <> 'free' AND NOT EXISTS (
        SELECT 1 FROM bakso_caller_account() a WHERE a.id = p_user AND a.login = p_login) THEN
        RAISE EXCEPTION 'bakso: % may not claim as %', session_user, p_login {DENY};
    END IF;
    IF NOT EXISTS (SELECT 1 FROM app_user WHERE id = p_user AND active) THEN
        RAISE EXCEPTION 'bakso: the account % is disabled', p_login {DENY};
    END IF;
    """

#: A row appended from SQL: the body built as `audit.entry_body` builds it
#: (canonical JSON, keys sorted, no spaces), `p_details` already canonical.
PG_AUDIT_SQL = """
CREATE OR REPLACE FUNCTION bakso_audit_sql(
    p_at timestamptz, p_actor text, p_action text, p_target_type text, p_target_id text,
    p_from text, p_to text, p_details text
) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    v_body text;
BEGIN
    v_body := '{"action":' || to_json(p_action)::text || ',"actor":' || to_json(p_actor)::text
        || ',"at":"' || to_char(p_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US') || '+00:00"'
        || ',"details":' || p_details
        || ',"from":' || COALESCE(to_json(p_from)::text, 'null') || ',"reason":""'
        || ',"target_id":' || to_json(p_target_id)::text
        || ',"target_type":' || to_json(p_target_type)::text
        || ',"to":' || COALESCE(to_json(p_to)::text, 'null') || '}';
    RETURN bakso_audit_append(p_at, p_actor, p_action, p_target_type, p_target_id, p_from, p_to,
                              '', p_details::json, v_body);
END $$;
"""

PG_ACCOUNTS = f"""
CREATE OR REPLACE FUNCTION bakso_require_accounts() RETURNS void LANGUAGE plpgsql STABLE AS $$
BEGIN
    IF bakso_caller_kind() = 'free' OR EXISTS (
        SELECT 1 FROM bakso_caller_account() a WHERE a.role IN ('supervisor', 'admin')) THEN
        RETURN;
    END IF;
    RAISE EXCEPTION 'bakso: % may not manage accounts', session_user {DENY};
END $$;

CREATE OR REPLACE FUNCTION bakso_user_add(
    p_actor text, p_login text, p_name text, p_role text, p_hash text, p_verifier text,
    p_at timestamptz
) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
    v_prefix text := bakso_role_prefix();
    v_db_role text;
    v_id bigint;
BEGIN
    PERFORM bakso_require_accounts();
    IF p_role NOT IN ('verifier', 'supervisor', 'admin') THEN
        RAISE EXCEPTION 'bakso: no role %', p_role USING ERRCODE = '22023';
    END IF;
    IF v_prefix IS NOT NULL THEN
        v_db_role := v_prefix || p_login;
        IF octet_length(v_db_role) > 63 THEN
            RAISE EXCEPTION 'bakso: login role % is too long', v_db_role USING ERRCODE = '22023';
        END IF;
        IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = v_db_role) THEN
            RAISE EXCEPTION 'bakso: role % exists', v_db_role USING ERRCODE = '42710';
        END IF;
        EXECUTE format('CREATE ROLE %I LOGIN IN ROLE %I', v_db_role, v_prefix || p_role);
        IF p_verifier IS NOT NULL THEN
            EXECUTE format('ALTER ROLE %I PASSWORD %L', v_db_role, p_verifier);
        END IF;
    END IF;
    INSERT INTO app_user (login, name, role, active, password_hash, created_at, db_role)
    VALUES (p_login, p_name, p_role, true, p_hash, p_at, v_db_role) RETURNING id INTO v_id;
    PERFORM bakso_audit_sql(p_at, p_actor, 'user.add', 'user', p_login, NULL, 'active',
                            '{{"role":' || to_json(p_role)::text || '}}');
    RETURN v_id;
END $$;

CREATE OR REPLACE FUNCTION bakso_user_disable(p_actor text, p_login text, p_at timestamptz)
RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
    v_user app_user%ROWTYPE;
    v_group text;
    v_released integer := 0;
    r record;
BEGIN
    PERFORM bakso_require_accounts();
    SELECT * INTO v_user FROM app_user WHERE login = p_login FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'bakso: no account %', p_login USING ERRCODE = '22023';
    END IF;
    IF NOT v_user.active THEN
        RETURN 0;
    END IF;
    UPDATE app_user SET active = false WHERE id = v_user.id;
    IF v_user.db_role IS NOT NULL AND bakso_role_prefix() IS NOT NULL
       AND EXISTS (SELECT 1 FROM pg_roles WHERE rolname = v_user.db_role) THEN
        EXECUTE format('ALTER ROLE %I NOLOGIN', v_user.db_role);
        FOREACH v_group IN ARRAY ARRAY['verifier', 'supervisor', 'admin'] LOOP
            EXECUTE format('REVOKE %I FROM %I', bakso_role_prefix() || v_group, v_user.db_role);
        END LOOP;
    END IF;
    PERFORM bakso_audit_sql(p_at, p_actor, 'user.disable', 'user', p_login, 'active',
                            'disabled', '{{}}');
    FOR r IN
        UPDATE submission SET state = 'diajukan', claim_holder_id = NULL,
               claim_expires_at = NULL, updated_at = p_at
         WHERE claim_holder_id = v_user.id AND state = 'diverifikasi'
        RETURNING id
    LOOP
        PERFORM bakso_audit_sql(p_at, p_actor, 'submission.release', 'submission', r.id::text,
                                'diverifikasi', 'diajukan',
                                '{{"disabled":' || to_json(p_login)::text || '}}');
        v_released := v_released + 1;
    END LOOP;
    RETURN v_released;
END $$;

CREATE OR REPLACE FUNCTION bakso_user_password(
    p_actor text, p_login text, p_hash text, p_verifier text, p_at timestamptz
) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    v_user app_user%ROWTYPE;
BEGIN
    PERFORM bakso_require_accounts();
    IF p_verifier IS NOT NULL AND p_verifier NOT LIKE 'SCRAM-SHA-256$%' THEN
        RAISE EXCEPTION 'bakso: only a SCRAM verifier, never a password' USING ERRCODE = '22023';
    END IF;
    SELECT * INTO v_user FROM app_user WHERE login = p_login FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'bakso: no account %', p_login USING ERRCODE = '22023';
    END IF;
    UPDATE app_user SET password_hash = p_hash WHERE id = v_user.id;
    IF p_verifier IS NOT NULL AND v_user.db_role IS NOT NULL AND bakso_role_prefix() IS NOT NULL
       AND EXISTS (SELECT 1 FROM pg_roles WHERE rolname = v_user.db_role) THEN
        EXECUTE format('ALTER ROLE %I PASSWORD %L', v_user.db_role, p_verifier);
    END IF;
    PERFORM bakso_audit_sql(p_at, p_actor, 'user.password', 'user', p_login, NULL, NULL, '{{}}');
END $$;
"""

#: Row checks: they run with the caller's rights, and pass inside the owner's
#: functions (claim-next, the account functions), whose own checks hold there.
PG_GUARDS = f"""
CREATE OR REPLACE FUNCTION bakso_submission_guard() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    v_kind text;
    v_me bigint;
    v_role text;
BEGIN
    IF current_user::text = bakso_role_prefix() || 'owner' THEN
        RETURN NEW;
    END IF;
    v_kind := bakso_caller_kind();
    IF v_kind IN ('free', 'service') THEN
        RETURN NEW;
    END IF;
    SELECT a.id, a.role INTO v_me, v_role FROM bakso_caller_account() a;
    IF v_me IS NULL THEN
        RAISE EXCEPTION 'bakso: % has no active account', session_user {DENY};
    END IF;
    IF OLD.state = 'diverifikasi' AND NEW.state NOT IN ('diajukan', 'diverifikasi')
       AND OLD.claim_holder_id IS DISTINCT FROM v_me THEN
        RAISE EXCEPTION 'bakso: only the holder decides submission %', OLD.id {DENY};
    END IF;
    IF NEW.claim_holder_id IS DISTINCT FROM OLD.claim_holder_id AND NEW.claim_holder_id <> v_me
       AND v_role <> 'supervisor' THEN
        RAISE EXCEPTION 'bakso: only a supervisor hands submission % to another', OLD.id {DENY};
    END IF;
    IF OLD.state = 'diverifikasi' AND OLD.claim_holder_id <> v_me
       AND OLD.claim_expires_at > now() AND v_role <> 'supervisor'
       AND (NEW.claim_holder_id IS DISTINCT FROM OLD.claim_holder_id
            OR NEW.state IS DISTINCT FROM OLD.state) THEN
        RAISE EXCEPTION 'bakso: submission % is held by another', OLD.id {DENY};
    END IF;
    IF v_role = 'verifier' AND OLD.state NOT IN ('diajukan', 'diverifikasi') THEN
        RAISE EXCEPTION 'bakso: submission % is closed', OLD.id {DENY};
    END IF;
    RETURN NEW;
END $$;

CREATE OR REPLACE FUNCTION bakso_decision_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF current_user::text = bakso_role_prefix() || 'owner'
       OR bakso_caller_kind() IN ('free', 'service') THEN
        RETURN NEW;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM bakso_caller_account() a WHERE a.id = NEW.actor_id) THEN
        RAISE EXCEPTION 'bakso: % decides only as itself', session_user {DENY};
    END IF;
    RETURN NEW;
END $$;

-- At the commit: a person's change of a submission's state or holder has its
-- audit row, appended in the same transaction (age(xmin) = 0), as that person
-- (or as the system, for a lease that ran out). A claim or a decision made
-- straight in SQL, past the audit, is refused.
CREATE OR REPLACE FUNCTION bakso_submission_audited() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    v_login text;
BEGIN
    IF current_user::text = bakso_role_prefix() || 'owner'
       OR bakso_caller_kind() IN ('free', 'service') THEN
        RETURN NULL;
    END IF;
    SELECT a.login INTO v_login FROM bakso_caller_account() a;
    IF NOT EXISTS (
        SELECT 1 FROM audit_log a
         WHERE a.target_type = 'submission' AND a.target_id = NEW.id::text
           AND a.to_state = NEW.state AND age(a.xmin) = 0
           AND (a.actor = v_login OR a.action = 'submission.lease_expired')) THEN
        RAISE EXCEPTION 'bakso: submission % changed without its audit row', NEW.id {DENY};
    END IF;
    RETURN NULL;
END $$;

"""

#: The row checks' triggers: ``bakso db roles`` makes them (``db/roles.py``),
#: so a database without per-person roles pays nothing for them on each claim.
GUARD_TRIGGERS = (("submission_audited", "submission"), ("submission_guard", "submission"),
                  ("decision_guard", "decision"))

#: Row locks on villages (schedules and batches serialise on them): a lock
#: needs UPDATE on the table, which no group has, so the owner takes it; the
#: lock lasts until the caller's transaction ends.
PG_LOCK_VILLAGES = """
CREATE OR REPLACE FUNCTION bakso_lock_villages(p_codes text[]) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM 1 FROM village WHERE code = ANY(p_codes) ORDER BY code FOR NO KEY UPDATE;
END $$;
"""

NEW_FUNCTIONS = ("bakso_lock_villages", "bakso_role_prefix", "bakso_caller_kind",
                 "bakso_caller_account", "bakso_audit_check", "bakso_audit_sql", "bakso_require_accounts",
                 "bakso_user_add", "bakso_user_disable", "bakso_user_password",
                 "bakso_submission_guard", "bakso_decision_guard", "bakso_submission_audited")


def _version(name: str):
    return import_module(f"bakso_tui.db.migrations.versions.{name}")


def _old_append() -> str:
    v5 = _version("0005_audit_queue_lock")
    return v5._queued(v5._append())


def _old_claim() -> str:
    v5 = _version("0005_audit_queue_lock")
    return v5._queued(v5._claim(), v5.NO_FLUSH_WAIT)


def _old_many() -> str:
    return _version("0010_mobile_service_days").PG_APPEND_MANY


def _after_begin(body: str, check: str) -> str:
    head, sep, tail = body.partition("BEGIN\n    ")
    assert sep and "BEGIN\n    " not in tail
    return head + sep + check + tail


def upgrade() -> None:
    # Plain ADD COLUMN and a unique index: on SQLite a batch copy of the table
    # fails once claims and decisions point at its rows (foreign keys).
    op.add_column("app_user", sa.Column("db_role", sa.String(length=63), nullable=True))
    op.create_index("uq_app_user_db_role", "app_user", ["db_role"], unique=True)
    op.create_table(
        "bakso_role_prefix",
        sa.Column("database", sa.String(length=63), nullable=False),
        sa.Column("prefix", sa.String(length=40), nullable=False),
        sa.PrimaryKeyConstraint("database", name="pk_bakso_role_prefix"),
    )
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(PG_HELPERS)
    op.execute(_after_begin(_old_append(), CHECK_APPEND))
    many = _old_many()
    loop = "    LOOP\n        "
    assert many.count(loop) == 1
    op.execute(many.replace(loop, loop + CHECK_MANY))
    op.execute(_after_begin(_old_claim(), CHECK_CLAIM))
    op.execute(PG_AUDIT_SQL)
    op.execute(PG_ACCOUNTS)
    op.execute(PG_GUARDS)
    op.execute(PG_LOCK_VILLAGES)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for trigger, table in GUARD_TRIGGERS:
            op.execute(f"DROP TRIGGER IF EXISTS {trigger} ON {table}")
        op.execute(_old_append())
        op.execute(_old_many())
        op.execute(_old_claim())
        for name in reversed(NEW_FUNCTIONS):
            op.execute(f"DROP FUNCTION IF EXISTS {name}")
    op.drop_table("bakso_role_prefix")
    op.drop_index("uq_app_user_db_role", table_name="app_user")
    op.drop_column("app_user", "db_role")
