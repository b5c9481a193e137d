"""the dashboard's counters, kept by triggers; indexes for its age bands and decisions

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-29

- ``village_tally`` (village, subject, state → n): submissions per bucket
  (``open`` = ``diajukan`` + ``diverifikasi``, else the state) and issued
  documents per state, per village. ``daily_tally`` (office day, kind → n):
  submissions received per day (WITA). ``decision_tally`` (office day,
  verifier, action, reason code → n): decisions. ``open_tally`` (kind, office
  day → n): open submissions by the day they were received and the day their
  service time ends, for the age bands and "past the limit".
- Triggers keep them in the writer's transaction, on both databases. On
  PostgreSQL an INSERT or DELETE adds its rows once per statement (transition
  tables: a bulk load of 10,000 rows is one upsert per village); an UPDATE
  fires per row only when the bucket or village changes (``WHEN``), so a
  claim or a lease renewal costs nothing. The functions are ``SECURITY
  DEFINER``: the application's role needs no rights on the counters.
- ``ix_audit_log_actor``, ``ix_audit_log_action``,
  ``ix_audit_log_at``: the audit viewer's filters.
"""

from alembic import op
import sqlalchemy as sa


revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None

OPEN_SQL = "state IN ('diajukan', 'diverifikasi')"
BUCKET = "CASE WHEN {s} IN ('diajukan', 'diverifikasi') THEN 'open' ELSE {s} END"
TABLES = (("submission", "submission"), ("issued_document", "document"))


def _pg_functions(schema: str) -> list[str]:
    head = (f"RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER "
            f"SET search_path = {schema}, pg_temp AS $$\nBEGIN\n")
    upsert = ("ON CONFLICT (village_code, subject, state) "
              "DO UPDATE SET n = t.n + excluded.n;\n")
    out = []
    for table, subject in TABLES:
        state = BUCKET.format(s="state") if subject == "submission" else "state"
        received = ""
        if subject == "submission":
            received = (
                "INSERT INTO daily_tally AS t (day, kind, n)\n"
                "  SELECT (received_at AT TIME ZONE 'Asia/Makassar')::date, 'received', count(*)\n"
                "  FROM changed GROUP BY 1 ORDER BY 1\n"
                "ON CONFLICT (day, kind) DO UPDATE SET n = t.n + excluded.n;\n")
        for verb, sign in (("insert", ""), ("delete", "-")):
            body = (
                "INSERT INTO village_tally AS t (village_code, subject, state, n)\n"
                f"  SELECT village_code, '{subject}', {state}, {sign}count(*) FROM changed\n"
                "  GROUP BY 1, 3 ORDER BY 1, 3\n" + upsert
                + (received.replace("count(*)", f"{sign}count(*)") if received else ""))
            out.append(f"CREATE FUNCTION bakso_tally_{table}_{verb}() {head}{body}"
                       "RETURN NULL;\nEND $$")
        old_state = BUCKET.format(s="OLD.state") if subject == "submission" else "OLD.state"
        new_state = BUCKET.format(s="NEW.state") if subject == "submission" else "NEW.state"
        body = (
            "INSERT INTO village_tally AS t (village_code, subject, state, n)\n"
            f"  SELECT * FROM (VALUES (OLD.village_code, '{subject}', {old_state}, -1),\n"
            f"                        (NEW.village_code, '{subject}', {new_state}, 1)) v\n"
            "  ORDER BY 1, 3\n" + upsert)
        out.append(f"CREATE FUNCTION bakso_tally_{table}_update() {head}{body}"
                   "RETURN NULL;\nEND $$")
    return out


def _pg_decision(schema: str) -> list[str]:
    out = []
    for verb, sign, ref in (("insert", "", "NEW"), ("delete", "-", "OLD")):
        out.append(
            f"CREATE FUNCTION bakso_tally_decision_{verb}() RETURNS trigger LANGUAGE plpgsql "
            f"SECURITY DEFINER SET search_path = {schema}, pg_temp AS $$\nBEGIN\n"
            "INSERT INTO decision_tally AS t (day, actor_id, action, reason_code, n)\n"
            "  SELECT (at AT TIME ZONE 'Asia/Makassar')::date, actor_id, action,\n"
            f"         coalesce(reason_code, ''), {sign}count(*) FROM changed\n"
            "  GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4\n"
            "ON CONFLICT (day, actor_id, action, reason_code) DO UPDATE SET n = t.n + excluded.n;\n"
            "RETURN NULL;\nEND $$")
        out.append(
            f"CREATE TRIGGER tally_decision_{verb} AFTER {verb.upper()} ON decision "
            f"REFERENCING {ref} TABLE AS changed FOR EACH STATEMENT "
            f"EXECUTE FUNCTION bakso_tally_decision_{verb}()")
    return out


OPEN_ROW = "{r}.state IN ('diajukan', 'diverifikasi')"


def _pg_open(schema: str) -> list[str]:
    """open_tally: per statement on INSERT and DELETE, per row when a row
    becomes open or closed (or an open row's days change) on UPDATE."""
    head = (f"RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER "
            f"SET search_path = {schema}, pg_temp AS $$\nBEGIN\n")
    upsert = "ON CONFLICT (kind, day) DO UPDATE SET n = t.n + excluded.n;\n"

    def day(column: str) -> str:
        return f"({column} AT TIME ZONE 'Asia/Makassar')::date"

    out = []
    for verb, sign, ref in (("insert", "", "NEW"), ("delete", "-", "OLD")):
        out.append(
            f"CREATE FUNCTION bakso_tally_open_{verb}() {head}"
            "INSERT INTO open_tally AS t (kind, day, n)\n"
            f"  SELECT kind, day, {sign}count(*) FROM (\n"
            f"    SELECT 'due' AS kind, {day('due_at')} AS day FROM changed WHERE {OPEN_SQL}\n"
            f"    UNION ALL SELECT 'received', {day('received_at')} FROM changed WHERE {OPEN_SQL}\n"
            "  ) x GROUP BY 1, 2 ORDER BY 1, 2\n" + upsert + "RETURN NULL;\nEND $$")
        out.append(
            f"CREATE TRIGGER tally_open_{verb} AFTER {verb.upper()} ON submission "
            f"REFERENCING {ref} TABLE AS changed FOR EACH STATEMENT "
            f"EXECUTE FUNCTION bakso_tally_open_{verb}()")
    body = ""
    for row, by in (("OLD", -1), ("NEW", 1)):
        body += (
            f"IF {OPEN_ROW.format(r=row)} THEN\n"
            "INSERT INTO open_tally AS t (kind, day, n) VALUES "
            f"('due', {day(row + '.due_at')}, {by}), "
            f"('received', {day(row + '.received_at')}, {by})\n" + upsert + "END IF;\n")
    out.append(f"CREATE FUNCTION bakso_tally_open_update() {head}{body}RETURN NULL;\nEND $$")
    old_open, new_open = OPEN_ROW.format(r="OLD"), OPEN_ROW.format(r="NEW")
    out.append(
        "CREATE TRIGGER tally_open_update AFTER UPDATE OF state, received_at, due_at "
        f"ON submission FOR EACH ROW WHEN (({old_open}) IS DISTINCT FROM ({new_open}) OR "
        f"(({new_open}) AND (OLD.received_at IS DISTINCT FROM NEW.received_at "
        "OR OLD.due_at IS DISTINCT FROM NEW.due_at))) "
        "EXECUTE FUNCTION bakso_tally_open_update()")
    return out


def _sqlite_open() -> list[str]:
    def bump(row: str, by: int) -> str:
        return "".join(
            "INSERT INTO open_tally (kind, day, n) "
            f"SELECT '{kind}', date({row}.{column}, '+8 hours'), {by} "
            f"WHERE {OPEN_ROW.format(r=row)} "
            f"ON CONFLICT (kind, day) DO UPDATE SET n = n + ({by});\n"
            for kind, column in (("due", "due_at"), ("received", "received_at")))

    old_open, new_open = OPEN_ROW.format(r="OLD"), OPEN_ROW.format(r="NEW")
    return [
        f"CREATE TRIGGER tally_open_insert AFTER INSERT ON submission BEGIN\n{bump('NEW', 1)}END",
        f"CREATE TRIGGER tally_open_delete AFTER DELETE ON submission BEGIN\n{bump('OLD', -1)}END",
        "CREATE TRIGGER tally_open_update AFTER UPDATE OF state, received_at, due_at "
        f"ON submission WHEN ({old_open}) IS NOT ({new_open}) OR (({new_open}) AND "
        "(OLD.received_at IS NOT NEW.received_at OR OLD.due_at IS NOT NEW.due_at)) BEGIN\n"
        + bump("OLD", -1) + bump("NEW", 1) + "END",
    ]


def _pg_triggers() -> list[str]:
    out = []
    for table, subject in TABLES:
        old = (BUCKET.format(s="OLD.state"), BUCKET.format(s="NEW.state")) \
            if subject == "submission" else ("OLD.state", "NEW.state")
        for verb, ref in (("insert", "NEW"), ("delete", "OLD")):
            out.append(
                f"CREATE TRIGGER tally_{table}_{verb} AFTER {verb.upper()} ON {table} "
                f"REFERENCING {ref} TABLE AS changed FOR EACH STATEMENT "
                f"EXECUTE FUNCTION bakso_tally_{table}_{verb}()")
        out.append(
            f"CREATE TRIGGER tally_{table}_update AFTER UPDATE OF state, village_code ON {table} "
            f"FOR EACH ROW WHEN (({old[0]}) IS DISTINCT FROM ({old[1]}) "
            "OR OLD.village_code IS DISTINCT FROM NEW.village_code) "
            f"EXECUTE FUNCTION bakso_tally_{table}_update()")
    return out


def _sqlite_triggers() -> list[str]:
    out = []

    def bump(village: str, subject: str, state: str, by: int) -> str:
        return ("INSERT INTO village_tally (village_code, subject, state, n) "
                f"VALUES ({village}, '{subject}', {state}, {by}) "
                f"ON CONFLICT (village_code, subject, state) DO UPDATE SET n = n + ({by});\n")

    def day(received: str, by: int) -> str:
        return ("INSERT INTO daily_tally (day, kind, n) "
                f"VALUES (date({received}, '+8 hours'), 'received', {by}) "
                f"ON CONFLICT (day, kind) DO UPDATE SET n = n + ({by});\n")

    for verb, row, by in (("insert", "NEW", 1), ("delete", "OLD", -1)):
        out.append(
            f"CREATE TRIGGER tally_decision_{verb} AFTER {verb.upper()} ON decision BEGIN\n"
            "INSERT INTO decision_tally (day, actor_id, action, reason_code, n) "
            f"VALUES (date({row}.at, '+8 hours'), {row}.actor_id, {row}.action, "
            f"coalesce({row}.reason_code, ''), {by}) "
            "ON CONFLICT (day, actor_id, action, reason_code) "
            f"DO UPDATE SET n = n + ({by});\nEND")
    for table, subject in TABLES:
        def state(row: str) -> str:
            return BUCKET.format(s=f"{row}.state") if subject == "submission" else f"{row}.state"

        ins = bump("NEW.village_code", subject, state("NEW"), 1)
        dele = bump("OLD.village_code", subject, state("OLD"), -1)
        if subject == "submission":
            ins += day("NEW.received_at", 1)
            dele += day("OLD.received_at", -1)
        out.append(f"CREATE TRIGGER tally_{table}_insert AFTER INSERT ON {table} BEGIN\n{ins}END")
        out.append(f"CREATE TRIGGER tally_{table}_delete AFTER DELETE ON {table} BEGIN\n{dele}END")
        out.append(
            f"CREATE TRIGGER tally_{table}_update AFTER UPDATE OF state, village_code ON {table} "
            f"WHEN ({state('OLD')}) IS NOT ({state('NEW')}) "
            "OR OLD.village_code IS NOT NEW.village_code BEGIN\n"
            + bump("OLD.village_code", subject, state("OLD"), -1)
            + bump("NEW.village_code", subject, state("NEW"), 1) + "END")
    return out


def upgrade() -> None:
    op.create_table('village_tally',
    sa.Column('village_code', sa.String(length=13), nullable=False),
    sa.Column('subject', sa.String(length=16), nullable=False),
    sa.Column('state', sa.String(length=24), nullable=False),
    sa.Column('n', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('village_code', 'subject', 'state', name=op.f('pk_village_tally'))
    )
    op.create_table('daily_tally',
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('n', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('day', 'kind', name=op.f('pk_daily_tally'))
    )
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.create_index('ix_audit_log_actor', ['actor', 'id'], unique=False)
        batch_op.create_index('ix_audit_log_action', ['action', 'id'], unique=False)
        batch_op.create_index('ix_audit_log_at', ['at'], unique=False)
    op.create_table('open_tally',
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('n', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('kind', 'day', name=op.f('pk_open_tally'))
    )
    op.create_table('decision_tally',
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('actor_id', sa.BigInteger(), nullable=False),
    sa.Column('action', sa.String(length=16), nullable=False),
    sa.Column('reason_code', sa.String(length=48), nullable=False),
    sa.Column('n', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('day', 'actor_id', 'action', 'reason_code',
                            name=op.f('pk_decision_tally'))
    )

    bind = op.get_bind()
    postgresql = bind.dialect.name == "postgresql"
    # What is there already, counted once.
    op.execute(
        "INSERT INTO village_tally (village_code, subject, state, n) "
        f"SELECT village_code, 'submission', {BUCKET.format(s='state')}, count(*) "
        "FROM submission GROUP BY 1, 3")
    op.execute(
        "INSERT INTO village_tally (village_code, subject, state, n) "
        "SELECT village_code, 'document', state, count(*) FROM issued_document GROUP BY 1, 3")
    local_day = ("(received_at AT TIME ZONE 'Asia/Makassar')::date" if postgresql
                 else "date(received_at, '+8 hours')")
    op.execute(f"INSERT INTO daily_tally (day, kind, n) "
               f"SELECT {local_day}, 'received', count(*) FROM submission GROUP BY 1")
    for kind, column in (("received", "received_at"), ("due", "due_at")):
        op.execute(f"INSERT INTO open_tally (kind, day, n) "
                   f"SELECT '{kind}', {local_day.replace('received_at', column)}, count(*) "
                   f"FROM submission WHERE {OPEN_SQL} GROUP BY 2")
    decided_day = local_day.replace("received_at", "at")
    op.execute(f"INSERT INTO decision_tally (day, actor_id, action, reason_code, n) "
               f"SELECT {decided_day}, actor_id, action, coalesce(reason_code, ''), count(*) "
               "FROM decision GROUP BY 1, 2, 3, 4")
    if postgresql:
        schema = bind.exec_driver_sql("SELECT current_schema()").scalar()
        for statement in (_pg_functions(f'"{schema}"') + _pg_triggers()
                          + _pg_decision(f'"{schema}"') + _pg_open(f'"{schema}"')):
            op.execute(statement)
    else:
        for statement in _sqlite_triggers() + _sqlite_open():
            op.execute(statement)


def downgrade() -> None:
    postgresql = op.get_bind().dialect.name == "postgresql"
    for verb in ("insert", "delete", "update"):
        if postgresql:
            op.execute(f"DROP TRIGGER IF EXISTS tally_open_{verb} ON submission")
            op.execute(f"DROP FUNCTION IF EXISTS bakso_tally_open_{verb}()")
        else:
            op.execute(f"DROP TRIGGER IF EXISTS tally_open_{verb}")
    for verb in ("insert", "delete"):
        if postgresql:
            op.execute(f"DROP TRIGGER IF EXISTS tally_decision_{verb} ON decision")
            op.execute(f"DROP FUNCTION IF EXISTS bakso_tally_decision_{verb}()")
        else:
            op.execute(f"DROP TRIGGER IF EXISTS tally_decision_{verb}")
    for table, _ in TABLES:
        for verb in ("insert", "delete", "update"):
            if postgresql:
                op.execute(f"DROP TRIGGER IF EXISTS tally_{table}_{verb} ON {table}")
                op.execute(f"DROP FUNCTION IF EXISTS bakso_tally_{table}_{verb}()")
            else:
                op.execute(f"DROP TRIGGER IF EXISTS tally_{table}_{verb}")
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.drop_index('ix_audit_log_at')
        batch_op.drop_index('ix_audit_log_action')
        batch_op.drop_index('ix_audit_log_actor')
    op.drop_table('decision_tally')
    op.execute("DROP TABLE IF EXISTS open_tally")
    op.drop_table('daily_tally')
    op.drop_table('village_tally')
