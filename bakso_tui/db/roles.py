"""PostgreSQL as the boundary: the owner, the group roles and their grants.

``bakso db roles`` (run by a superuser, after every ``bakso db upgrade``, which
calls it itself once roles exist; idempotent) makes, for one database:

- a **prefix** for every role name, stored in ``bakso_role_prefix`` with the
  database's name (migration 0012): ``bakso_`` and the
  database's name, shortened with a hash past 20 characters (``bakso`` →
  ``bakso_bakso_``). Roles are cluster-wide; two offices or test databases on
  one server never share one. A copy of the database (``CREATE DATABASE …
  TEMPLATE``) has a different name, so none of the roles apply there until
  ``bakso db roles`` runs in it;
- the **owner** ``<prefix>owner`` (NOLOGIN, CREATEROLE): every table, view,
  sequence and function of the schema is its; nobody logs in as it;
- the **groups** ``<prefix>verifier``, ``<prefix>supervisor``,
  ``<prefix>admin`` (one per account role) and ``<prefix>service`` (the intake
  and the job daemon's login role);
- their **grants** (:data:`WRITES`): every group reads every table (but no
  column of :data:`PRIVATE`: the password hashes); the audit
  (``audit_log``, ``audit_head``) and the accounts (``app_user``) are written
  only by the owner's ``SECURITY DEFINER`` functions (``bakso_audit_append``,
  ``_many``, ``bakso_claim_next``, ``bakso_user_add``/``_disable``/``_password``,
  migration 0012), which check who calls; the row checks of migration 0012
  (``submission_guard``, ``decision_guard``) hold for direct writes. A
  verifier writes nothing directly: its claims, renewals, releases and
  decisions are the functions of :data:`VERIFIER` (migration 0015).

Each person is a login role ``<prefix><login>``, member of one group, made by
``bakso users add`` (``bakso_user_add``). The program takes who it is from
``session_user`` (:func:`session_role`), never from the client's OS login.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets

from sqlalchemy import Connection, text

GROUPS = ("verifier", "supervisor", "admin", "service")

_INTAKE = ("bakso_meta", "submission", "blob", "attachment", "quarantine", "issued_document",
           "job_run", "job_daemon", "submission_sla_flag", "recording_booking", "service_day",
           "issuance_batch", "issuance_batch_document")

#: What each group may write (INSERT and UPDATE; nobody deletes, the program
#: never does): a table, or (table, columns) for UPDATE of those columns only.
WRITES: dict[str, tuple] = {
    # Nothing directly: claims, renewals, releases and decisions (with the
    # documents and bookings of an approval) are the functions of VERIFIER.
    "verifier": (),
    # Nothing directly either: a supervisor's own claims and decisions are the
    # verifier's functions; others' claims, schedules and batches are those of
    # SUPERVISOR (migration 0016, ``domain/definer.py``).
    "supervisor": (),
    "admin": (),
    "service": _INTAKE,
}

#: A verifier's writes (migration 0015, ``domain/verifier_pg.py``): each checks
#: that the caller is the account it acts as, that it verifies, and (but for
#: claiming) that it holds the claim under that fencing token.
VERIFIER = ("bakso_claim", "bakso_renew", "bakso_hold", "bakso_release", "bakso_expire_leases",
            "bakso_decide")

#: A supervisor's writes (migration 0016, ``domain/definer.py``): each checks
#: that the caller is a supervisor acting as itself (an account change: one
#: who manages accounts), writes, and appends the audit.
SUPERVISOR = ("bakso_user_role", "bakso_claim_release_other", "bakso_claim_reassign",
              "bakso_batch_step", "bakso_batch_close", "bakso_team_add", "bakso_plan_create",
              "bakso_office_close", "bakso_day_change", "bakso_bookings_move",
              "bakso_day_listed", "bakso_bookings_outcome")

#: Functions that run with the owner's rights (each checks its caller).
DEFINER = ("bakso_lock_villages", "bakso_audit_append", "bakso_audit_append_many", "bakso_audit_sql",
           "bakso_claim_next", "bakso_user_add", "bakso_user_disable", "bakso_user_password",
           "bakso_caller_kind", "bakso_caller_account", "bakso_role_prefix", *VERIFIER,
           *SUPERVISOR)


#: Columns no login role reads (table, column): its table is readable column by
#: column, every other column (migration 0016; the sign-in on PostgreSQL is the
#: server's, and ``app_user.has_password`` says whether there is one).
PRIVATE = (("app_user", "password_hash"),)


def _hide_private(conn: Connection, everyone: str) -> None:
    for table, column in PRIVATE:
        others = conn.execute(text(
            "SELECT attname FROM pg_attribute WHERE attrelid = CAST(:t AS regclass)"
            " AND attnum > 0 AND NOT attisdropped AND attname <> :c ORDER BY attnum"),
            {"t": table, "c": column}).scalars().all()
        conn.exec_driver_sql(f"REVOKE SELECT ON {_q(table)} FROM {everyone}")
        conn.exec_driver_sql(f"GRANT SELECT ({', '.join(_q(c) for c in others)})"
                             f" ON {_q(table)} TO {everyone}")


#: Functions that run with the caller's rights (row checks, helpers): their
#: search_path is fixed too, so no object of the caller's can stand in for a table.
PINNED = ("bakso_submission_guard", "bakso_decision_guard", "bakso_submission_audited",
          "bakso_audit_check", "bakso_require_accounts",
          # Migration 0015's helpers: called inside the verifier's functions, as the
          # owner; called straight, with the caller's rights, they can write nothing.
          "bakso_audit_row", "bakso_require_verifier", "bakso_lease_end", "bakso_lease_clock",
          "bakso_book",
          # Migration 0016's: the supervisor's check, the audit rows' actions.
          "bakso_require_supervisor", "bakso_audit_only", "bakso_audit_targets")


def derive_prefix(database: str) -> str:
    """``bakso_`` and the database's name in role-name characters; past 20
    characters its first 11 and 8 hex digits of its hash."""
    name = re.sub(r"[^a-z0-9_]", "_", database.lower())
    if len(name) > 20:
        name = name[:11] + hashlib.sha256(database.encode()).hexdigest()[:8]
    return f"bakso_{name}_"


def role_prefix(conn: Connection) -> str | None:
    """This database's prefix once ``bakso db roles`` ran here, else None."""
    if conn.dialect.name != "postgresql":
        return None
    return conn.execute(text("SELECT bakso_role_prefix()")).scalar()


def session_role(conn: Connection) -> str:
    return conn.execute(text("SELECT session_user")).scalar_one()


def scram_verifier(password: str, *, iterations: int = 4096) -> str:
    """The SCRAM-SHA-256 verifier PostgreSQL stores for `password` (RFC 7677):
    the server is given this, never the password, so no statement log holds it."""
    salt = secrets.token_bytes(16)
    salted = hashlib.pbkdf2_hmac("sha256", password.encode("utf-8"), salt, iterations)
    client_key = hmac.new(salted, b"Client Key", hashlib.sha256).digest()
    stored_key = hashlib.sha256(client_key).digest()
    server_key = hmac.new(salted, b"Server Key", hashlib.sha256).digest()
    b64 = lambda raw: base64.b64encode(raw).decode("ascii")  # noqa: E731
    return f"SCRAM-SHA-256${iterations}:{b64(salt)}${b64(stored_key)}:{b64(server_key)}"


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def secure(conn: Connection) -> str:
    """Make (or bring up to date) the roles and grants of this database; return
    the prefix. Needs a superuser. Runs in the caller's transaction."""
    database = conn.execute(text("SELECT current_database()")).scalar_one()
    prefix = role_prefix(conn) or derive_prefix(database)
    owner = prefix + "owner"
    groups = {g: prefix + g for g in GROUPS}
    existing = set(conn.execute(text("SELECT rolname FROM pg_roles")).scalars())
    run = lambda sql: conn.exec_driver_sql(sql)  # noqa: E731
    if owner not in existing:
        run(f"CREATE ROLE {_q(owner)} NOLOGIN CREATEROLE")
    for role in groups.values():
        if role not in existing:
            run(f"CREATE ROLE {_q(role)} NOLOGIN")
        if conn.dialect.server_version_info >= (16,):  # CREATEROLE alone no longer grants them
            run(f"GRANT {_q(role)} TO {_q(owner)} WITH ADMIN TRUE, INHERIT FALSE, SET FALSE")
    conn.execute(text("DELETE FROM bakso_role_prefix"))
    conn.execute(text("INSERT INTO bakso_role_prefix (database, prefix) VALUES (:d, :p)"),
                 {"d": database, "p": prefix})
    everyone = ", ".join(_q(r) for r in groups.values())
    run(f"REVOKE ALL ON DATABASE {_q(database)} FROM PUBLIC")
    run(f"GRANT CONNECT ON DATABASE {_q(database)} TO {everyone}")
    run("REVOKE ALL ON SCHEMA public FROM PUBLIC")
    run(f"GRANT USAGE ON SCHEMA public TO {everyone}, {_q(owner)}")
    _own(conn, owner)
    for what in ("TABLES", "SEQUENCES", "FUNCTIONS"):
        run(f"REVOKE ALL ON ALL {what} IN SCHEMA public FROM PUBLIC, {everyone}")
    run(f"GRANT SELECT ON ALL TABLES IN SCHEMA public TO {everyone}")
    _hide_private(conn, everyone)
    run(f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {everyone}")
    run(f"GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA public TO {everyone}")
    for group, tables in WRITES.items():
        for table in tables:
            if isinstance(table, tuple):
                name, columns = table
                run(f"GRANT UPDATE ({', '.join(columns)}) ON {_q(name)} TO {_q(groups[group])}")
            else:
                run(f"GRANT INSERT, UPDATE ON {_q(table)} TO {_q(groups[group])}")
    for name in DEFINER:
        run(f"ALTER FUNCTION {name} SECURITY DEFINER SET search_path = public, pg_temp")
    for name in PINNED:
        run(f"ALTER FUNCTION {name} SET search_path = public, pg_temp")
    _guard_triggers(conn)
    return prefix


#: The row checks' triggers, on the functions of migration 0013. Only here, so
#: a database without per-person roles pays nothing for them on each claim.
GUARD_TRIGGERS = {
    ("submission_audited", "submission"):
        "CREATE CONSTRAINT TRIGGER submission_audited AFTER UPDATE ON submission"
        " DEFERRABLE INITIALLY DEFERRED FOR EACH ROW"
        " WHEN (OLD.state IS DISTINCT FROM NEW.state"
        " OR OLD.claim_holder_id IS DISTINCT FROM NEW.claim_holder_id)"
        " EXECUTE FUNCTION bakso_submission_audited()",
    ("submission_guard", "submission"):
        "CREATE TRIGGER submission_guard BEFORE UPDATE ON submission"
        " FOR EACH ROW EXECUTE FUNCTION bakso_submission_guard()",
    ("decision_guard", "decision"):
        "CREATE TRIGGER decision_guard BEFORE INSERT ON decision"
        " FOR EACH ROW EXECUTE FUNCTION bakso_decision_guard()",
}


def _guard_triggers(conn: Connection) -> None:
    for (trigger, table), create in GUARD_TRIGGERS.items():
        conn.exec_driver_sql(f"DROP TRIGGER IF EXISTS {trigger} ON {table}")
        conn.exec_driver_sql(create)


def _own(conn: Connection, owner: str) -> None:
    """Hand every object of the schema to the owner role."""
    rows = conn.execute(text(
        "SELECT c.relname, c.relkind FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
        " WHERE n.nspname = 'public' AND c.relkind IN ('r', 'v', 'm', 'S', 'p')"
    )).all()
    kinds = {"r": "TABLE", "p": "TABLE", "v": "VIEW", "m": "MATERIALIZED VIEW", "S": "SEQUENCE"}
    for name, kind in rows:
        if kind == "S" and conn.execute(text(
                "SELECT 1 FROM pg_depend d JOIN pg_class s ON s.oid = d.objid"
                " WHERE s.relname = :n AND d.deptype IN ('a', 'i')"), {"n": name}).first():
            continue  # owned by its table's column: follows the table
        conn.exec_driver_sql(f"ALTER {kinds[kind]} {_q(name)} OWNER TO {_q(owner)}")
    for signature in conn.execute(text(
            "SELECT p.oid::regprocedure::text FROM pg_proc p"
            " JOIN pg_namespace n ON n.oid = p.pronamespace"
            " WHERE n.nspname = 'public' AND p.proname LIKE 'bakso\\_%'")).scalars():
        conn.exec_driver_sql(f"ALTER FUNCTION {signature} OWNER TO {_q(owner)}")


def service_login(conn: Connection, name: str) -> str:
    """The login role ``<prefix><name>`` in the service group (the intake's and the
    job daemon's, which log in by peer authentication), made when missing; its
    name returned. After :func:`secure`; needs a superuser. Idempotent."""
    prefix = role_prefix(conn)
    if prefix is None:
        raise ValueError("no roles here yet: bakso db roles first")
    role = prefix + name
    if not conn.execute(text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": role}).first():
        conn.exec_driver_sql(f"CREATE ROLE {_q(role)} LOGIN")
    conn.exec_driver_sql(f"GRANT {_q(prefix + 'service')} TO {_q(role)}")
    return role


def drop(conn: Connection) -> list[str]:
    """Remove this database's roles from the cluster (tests, and an office
    that leaves a server). Run as a superuser in the database; returns them."""
    prefix = role_prefix(conn)
    if prefix is None:
        return []
    roles = list(conn.execute(text(
        "SELECT rolname FROM pg_roles WHERE starts_with(rolname, :p)"), {"p": prefix}).scalars())
    me = session_role(conn)
    for role in roles:
        conn.exec_driver_sql(f"REASSIGN OWNED BY {_q(role)} TO {_q(me)}")
        conn.exec_driver_sql(f"DROP OWNED BY {_q(role)}")
    conn.execute(text("DELETE FROM bakso_role_prefix"))
    for role in roles:
        conn.exec_driver_sql(f"DROP ROLE {_q(role)}")
    return roles
