"""a verifier's writes as the owner's functions: claim, renew, release, expire, decide

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-29

PostgreSQL only. With per-person roles (``bakso db roles``) the verifier group
has no INSERT or UPDATE on any table: every write a verifier makes is one of
these functions, which ``bakso db roles`` makes ``SECURITY DEFINER`` (owned by
the office's owner role, ``search_path`` fixed; ``db/roles.py``). The program
calls them only on a database with per-person roles (``domain/verifier_pg.py``);
SQLite and a PostgreSQL without roles keep the Python writes.

The rules stay in Python (which requirements are missing, which reasons are
demanded, which documents an approval issues, which day is booked): Python
works out what to write. The functions check the authority to write it and
write it with its audit rows, in the caller's transaction:

- ``bakso_require_verifier(user, login)``: the caller is that active account
  (``bakso_caller_account``, migration 0013) and it verifies (a verifier or a
  supervisor); a superuser or a database without roles passes
  (``bakso_caller_kind() = 'free'``);
- ``bakso_claim(user, login, submission, expires, at)``: a free submission, or
  one whose lease ran out, is the caller's with a new fencing token (NULL when
  it is not claimable); ``bakso_renew(…, token, expires, at)``: the holder's
  live lease is extended; ``bakso_hold(…, token, at)``: the holder's claim is
  locked for its decision; ``bakso_release(…, token, at)``: the holder gives it
  back; ``bakso_expire_leases(at)``: leases that ran out go back to the queue
  (any verifier, supervisor or the service; audited as ``system``);
- ``bakso_decide(user, login, submission, token, action, reason_code, reason,
  override, overridden, documents, document_state, booking, at)``: only the
  holder, under its token, with its lease still running (else SQLSTATE
  ``BK001``, "not held"); the action and its reason code valid (the code
  applies to the action, its text given where the code demands one); an
  approval passes over the NIK and duplicate flags only with an override
  naming them; the documents are exactly the service's outputs, in the state
  its recording says; the bookings stay in the submission's village, on its
  active days, for residents waiting for recording; then the decision, the
  state, the documents, the bookings and the days' counts, each with its audit
  row.

Time is the client's, as for ``bakso_claim_next`` (the tests' clocks are not
the server's): a lease ends at most a day after the time given (which its
audit row shows), and another's lease counts as run out only once the
server's clock says so too (a person's clock set ahead takes nobody's claim).

The audit rows are built by ``bakso_audit_row`` (the canonical body of
``audit.entry_body``, with a reason) and appended by ``bakso_audit_append``;
``bakso_audit_sql`` (migration 0013) now calls it.
"""

from importlib import import_module

from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

DENY = "USING ERRCODE = '42501'"
BAD = "USING ERRCODE = '22023'"
#: The claim is not the caller's (any more): another holds it, the token is
#: stale, or the lease ran out. The program says "nothing was changed".
NOT_HELD = "BK001"

PG_AUDIT_ROW = """
CREATE OR REPLACE FUNCTION bakso_audit_row(
    p_at timestamptz, p_actor text, p_action text, p_target_type text, p_target_id text,
    p_from text, p_to text, p_reason text, p_details text
) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    v_body text;
BEGIN
    v_body := '{"action":' || to_json(p_action)::text || ',"actor":' || to_json(p_actor)::text
        || ',"at":"' || to_char(p_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US') || '+00:00"'
        || ',"details":' || p_details
        || ',"from":' || COALESCE(to_json(p_from)::text, 'null')
        || ',"reason":' || to_json(p_reason)::text
        || ',"target_id":' || to_json(p_target_id)::text
        || ',"target_type":' || to_json(p_target_type)::text
        || ',"to":' || COALESCE(to_json(p_to)::text, 'null') || '}';
    RETURN bakso_audit_append(p_at, p_actor, p_action, p_target_type, p_target_id, p_from, p_to,
                              p_reason, p_details::json, v_body);
END $$;

CREATE OR REPLACE FUNCTION bakso_audit_sql(
    p_at timestamptz, p_actor text, p_action text, p_target_type text, p_target_id text,
    p_from text, p_to text, p_details text
) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
    RETURN bakso_audit_row(p_at, p_actor, p_action, p_target_type, p_target_id, p_from, p_to,
                           '', p_details);
END $$;
"""

PG_CHECKS = f"""
CREATE OR REPLACE FUNCTION bakso_require_verifier(p_user bigint, p_login text) RETURNS void
LANGUAGE plpgsql STABLE AS $$
BEGIN
    IF bakso_caller_kind() <> 'free' AND NOT EXISTS (
        SELECT 1 FROM bakso_caller_account() a
         WHERE a.id = p_user AND a.login = p_login AND a.role IN ('verifier', 'supervisor')) THEN
        RAISE EXCEPTION 'bakso: % may not verify as %', session_user, p_login {DENY};
    END IF;
    IF NOT EXISTS (SELECT 1 FROM app_user WHERE id = p_user AND login = p_login AND active
                   AND role IN ('verifier', 'supervisor')) THEN
        RAISE EXCEPTION 'bakso: the account % may not verify', p_login {DENY};
    END IF;
END $$;

-- A lease the client asks for: at most a day (the longest lease setting)
-- after the time it gives (which its audit row shows).
CREATE OR REPLACE FUNCTION bakso_lease_end(p_expires timestamptz, p_at timestamptz)
RETURNS timestamptz LANGUAGE plpgsql STABLE AS $$
BEGIN
    IF p_expires > p_at + interval '1 day' THEN
        RAISE EXCEPTION 'bakso: a lease ends within a day, not at %', p_expires {BAD};
    END IF;
    RETURN p_expires;
END $$;

-- The time another's lease is judged by: a person's clock may not run ahead
-- of the server's to take it early.
CREATE OR REPLACE FUNCTION bakso_lease_clock(p_at timestamptz) RETURNS timestamptz
LANGUAGE sql STABLE AS $$
    SELECT CASE WHEN bakso_caller_kind() = 'person' THEN least(p_at, now()) ELSE p_at END
$$;
"""

PG_CLAIMS = f"""
CREATE OR REPLACE FUNCTION bakso_claim(
    p_user bigint, p_login text, p_submission bigint, p_expires timestamptz, p_at timestamptz
) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
    v_before text;
    v_token bigint;
BEGIN
    PERFORM bakso_require_verifier(p_user, p_login);
    SELECT state INTO v_before FROM submission
     WHERE id = p_submission AND (state = 'diajukan' OR (state = 'diverifikasi'
           AND claim_expires_at < bakso_lease_clock(p_at)))
       FOR UPDATE SKIP LOCKED;
    IF NOT FOUND THEN
        RETURN NULL;
    END IF;
    UPDATE submission
       SET state = 'diverifikasi', claim_holder_id = p_user,
           claim_expires_at = bakso_lease_end(p_expires, p_at), claim_token = claim_token + 1,
           updated_at = p_at
     WHERE id = p_submission
    RETURNING claim_token INTO v_token;
    PERFORM bakso_audit_row(p_at, p_login, 'submission.claim', 'submission', p_submission::text,
                            v_before, 'diverifikasi', '', '{{"token":' || v_token || '}}');
    RETURN v_token;
END $$;

CREATE OR REPLACE FUNCTION bakso_renew(
    p_user bigint, p_login text, p_submission bigint, p_token bigint, p_expires timestamptz,
    p_at timestamptz
) RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN
    PERFORM bakso_require_verifier(p_user, p_login);
    UPDATE submission SET claim_expires_at = bakso_lease_end(p_expires, p_at)
     WHERE id = p_submission AND state = 'diverifikasi' AND claim_holder_id = p_user
       AND claim_token = p_token AND claim_expires_at > p_at;
    RETURN FOUND;
END $$;

-- The holder's claim locked for a decision (as the Python writes' SELECT …
-- FOR UPDATE does): the row first, then the audit's and the village's locks,
-- in the order every other writer takes them.
CREATE OR REPLACE FUNCTION bakso_hold(
    p_user bigint, p_login text, p_submission bigint, p_token bigint, p_at timestamptz
) RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN
    PERFORM bakso_require_verifier(p_user, p_login);
    PERFORM 1 FROM submission
     WHERE id = p_submission AND state = 'diverifikasi' AND claim_holder_id = p_user
       AND claim_token = p_token AND claim_expires_at > p_at
       FOR UPDATE;
    RETURN FOUND;
END $$;

CREATE OR REPLACE FUNCTION bakso_release(
    p_user bigint, p_login text, p_submission bigint, p_token bigint, p_at timestamptz
) RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN
    PERFORM bakso_require_verifier(p_user, p_login);
    UPDATE submission
       SET state = 'diajukan', claim_holder_id = NULL, claim_expires_at = NULL, updated_at = p_at
     WHERE id = p_submission AND state = 'diverifikasi' AND claim_holder_id = p_user
       AND claim_token = p_token;
    IF NOT FOUND THEN
        RETURN false;
    END IF;
    PERFORM bakso_audit_row(p_at, p_login, 'submission.release', 'submission',
                            p_submission::text, 'diverifikasi', 'diajukan', '', '{{}}');
    RETURN true;
END $$;

CREATE OR REPLACE FUNCTION bakso_expire_leases(p_at timestamptz)
RETURNS TABLE (submission_id bigint) LANGUAGE plpgsql AS $$
DECLARE
    v_kind text := bakso_caller_kind();
    v_id bigint;
BEGIN
    IF v_kind NOT IN ('free', 'service') AND NOT EXISTS (
        SELECT 1 FROM bakso_caller_account() a WHERE a.role IN ('verifier', 'supervisor')) THEN
        RAISE EXCEPTION 'bakso: % may not return leases', session_user {DENY};
    END IF;
    FOR v_id IN
        UPDATE submission
           SET state = 'diajukan', claim_holder_id = NULL, claim_expires_at = NULL,
               updated_at = p_at
         WHERE id IN (SELECT s.id FROM submission s WHERE s.state = 'diverifikasi'
                       AND s.claim_expires_at < bakso_lease_clock(p_at)
                       ORDER BY s.id FOR UPDATE SKIP LOCKED)
        RETURNING submission.id
    LOOP
        PERFORM bakso_audit_row(p_at, 'system', 'submission.lease_expired', 'submission',
                                v_id::text, 'diverifikasi', 'diajukan', '', '{{}}');
        submission_id := v_id;
        RETURN NEXT;
    END LOOP;
END $$;
"""

#: The decision's audit details as `decisions._details` makes them (keys sorted).
PG_DECIDE = f"""
CREATE OR REPLACE FUNCTION bakso_decide(
    p_user bigint, p_login text, p_submission bigint, p_token bigint, p_action text,
    p_reason_code text, p_reason text, p_override text, p_overridden text[],
    p_documents text[], p_document_state text, p_booking json, p_at timestamptz
) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
    v_sub submission%ROWTYPE;
    v_service service%ROWTYPE;
    v_to text;
    v_applies json;
    v_needs_text boolean;
    v_decision bigint;
    v_details text := '';
    v_doc bigint;
    v_kind text;
BEGIN
    PERFORM bakso_require_verifier(p_user, p_login);
    v_to := CASE p_action WHEN 'approve' THEN 'disetujui' WHEN 'return' THEN 'dikembalikan'
                          WHEN 'reject' THEN 'ditolak' END;
    IF v_to IS NULL THEN
        RAISE EXCEPTION 'bakso: no decision %', p_action {BAD};
    END IF;
    SELECT * INTO v_sub FROM submission WHERE id = p_submission FOR UPDATE;
    IF NOT FOUND OR v_sub.state <> 'diverifikasi' OR v_sub.claim_holder_id IS DISTINCT FROM p_user
       OR v_sub.claim_token IS DISTINCT FROM p_token OR v_sub.claim_expires_at <= p_at THEN
        RAISE EXCEPTION 'bakso: % does not hold submission % under token %',
            p_login, p_submission, p_token USING ERRCODE = '{NOT_HELD}';
    END IF;
    SELECT * INTO v_service FROM service WHERE id = v_sub.service_id;
    p_reason := COALESCE(p_reason, '');
    p_override := COALESCE(p_override, '');
    p_overridden := COALESCE(p_overridden, '{{}}');
    IF p_action = 'approve' THEN
        IF p_reason_code IS NOT NULL THEN
            RAISE EXCEPTION 'bakso: an approval has no reason code' {BAD};
        END IF;
        IF (v_sub.nik_mismatch AND NOT 'nik' = ANY(p_overridden))
           OR (v_sub.possible_duplicate AND NOT 'duplicate' = ANY(p_overridden))
           OR (cardinality(p_overridden) > 0 AND btrim(p_override, E' \\t\\r\\n') = '') THEN
            RAISE EXCEPTION 'bakso: approving submission % passes over its flags unsaid',
                p_submission {BAD};
        END IF;
        IF p_document_state IS DISTINCT FROM (CASE WHEN v_service.needs_recording
               THEN 'menunggu_perekaman' ELSE 'siap_cetak' END)
           OR (SELECT array_agg(k ORDER BY k) FROM unnest(p_documents) k) IS DISTINCT FROM
              (SELECT array_agg(k ORDER BY k) FROM json_array_elements_text(v_service.outputs) k)
        THEN
            RAISE EXCEPTION 'bakso: service % does not issue %', v_service.id, p_documents {BAD};
        END IF;
    ELSE
        SELECT applies_to, needs_text INTO v_applies, v_needs_text
          FROM reason_code WHERE id = p_reason_code;
        IF NOT FOUND OR NOT (v_applies::jsonb ? p_action) THEN
            RAISE EXCEPTION 'bakso: reason % is not for %', p_reason_code, p_action {BAD};
        END IF;
        IF v_needs_text AND btrim(p_reason, E' \\t\\r\\n') = '' THEN
            RAISE EXCEPTION 'bakso: reason % needs its text', p_reason_code {BAD};
        END IF;
        IF p_override <> '' OR cardinality(p_overridden) > 0
           OR cardinality(COALESCE(p_documents, '{{}}')) > 0 OR p_booking IS NOT NULL THEN
            RAISE EXCEPTION 'bakso: only an approval overrides, issues or books' {BAD};
        END IF;
    END IF;

    INSERT INTO decision (submission_id, actor_id, action, reason_code, reason, override_reason, at)
    VALUES (p_submission, p_user, p_action, p_reason_code, p_reason, p_override, p_at)
    RETURNING id INTO v_decision;
    UPDATE submission SET state = v_to, decided_at = p_at, claim_holder_id = NULL,
           claim_expires_at = NULL, updated_at = p_at
     WHERE id = p_submission;
    IF p_override <> '' THEN
        v_details := '"overridden":['  -- the keys sorted: "overridden" < "override"
            || COALESCE((SELECT string_agg(to_json(o)::text, ',' ORDER BY i)
                           FROM unnest(p_overridden) WITH ORDINALITY AS u(o, i)), '')
            || '],"override":' || to_json(p_override)::text;
    END IF;
    IF p_reason <> '' THEN
        v_details := v_details || CASE WHEN v_details = '' THEN '' ELSE ',' END
            || '"text":' || to_json(p_reason)::text;
    END IF;
    PERFORM bakso_audit_row(p_at, p_login, 'submission.' || p_action, 'submission',
                            p_submission::text, 'diverifikasi', v_to,
                            COALESCE(p_reason_code, ''), '{{' || v_details || '}}');
    IF p_action <> 'approve' THEN
        RETURN v_decision;
    END IF;

    FOREACH v_kind IN ARRAY COALESCE(p_documents, '{{}}') LOOP
        INSERT INTO issued_document (submission_id, village_code, kind, state, created_at,
                                     updated_at)
        VALUES (p_submission, v_sub.village_code, v_kind, p_document_state, p_at, p_at)
        RETURNING id INTO v_doc;
        PERFORM bakso_audit_row(p_at, p_login, 'document.create', 'document', v_doc::text,
                                NULL, p_document_state, '',
                                '{{"kind":' || to_json(v_kind)::text || ',"submission":'
                                || p_submission || '}}');
    END LOOP;
    IF p_booking IS NULL THEN
        RETURN v_decision;
    END IF;
    PERFORM bakso_book(p_login, v_sub, v_service, p_booking, p_at);
    RETURN v_decision;
END $$;
"""

#: The recording bookings of an approval, as `schedule.booking` planned them:
#: {"moved": [booking id], "dropped": [booking id], "new": [{"submission_id",
#: "service_day_id", "home_visit"}]}, all in the approved submission's village.
PG_BOOK = f"""
CREATE OR REPLACE FUNCTION bakso_book(
    p_login text, p_sub submission, p_service service, p_booking json, p_at timestamptz
) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    v_moved bigint[] := ARRAY(SELECT json_array_elements_text(p_booking->'moved')::bigint);
    v_dropped bigint[] := ARRAY(SELECT json_array_elements_text(p_booking->'dropped')::bigint);
    v_village text := to_json(p_sub.village_code)::text;
    v_touched bigint[];
    r record;
BEGIN
    IF current_user::text IS DISTINCT FROM bakso_role_prefix() || 'owner'
       AND bakso_caller_kind() <> 'free' THEN  -- only inside bakso_decide
        RAISE EXCEPTION 'bakso: bookings are made by bakso_decide' {DENY};
    END IF;
    IF NOT p_service.needs_recording THEN
        RAISE EXCEPTION 'bakso: service % books no recording', p_service.id {BAD};
    END IF;
    PERFORM bakso_lock_villages(ARRAY[p_sub.village_code]);
    IF EXISTS (SELECT 1 FROM recording_booking b JOIN service_day d ON d.id = b.service_day_id
                WHERE b.id = ANY(v_moved || v_dropped)
                  AND (b.state <> 'dipesan' OR d.village_code <> p_sub.village_code))
       OR cardinality(v_moved || v_dropped) <> (SELECT count(*) FROM recording_booking b
                                                 WHERE b.id = ANY(v_moved || v_dropped))
       OR EXISTS (SELECT 1 FROM json_to_recordset(COALESCE(p_booking->'new', '[]'))
                     AS n(submission_id bigint, service_day_id bigint, home_visit boolean)
                   LEFT JOIN service_day d ON d.id = n.service_day_id
                   LEFT JOIN submission s ON s.id = n.submission_id
                   WHERE d.id IS NULL OR s.id IS NULL OR d.state <> 'terjadwal'
                      OR d.village_code <> p_sub.village_code
                      OR s.village_code <> p_sub.village_code
                      OR d.day <= (p_at AT TIME ZONE 'Asia/Makassar')::date
                      OR NOT EXISTS (SELECT 1 FROM issued_document i
                                      WHERE i.submission_id = s.id
                                        AND i.state = 'menunggu_perekaman')) THEN
        RAISE EXCEPTION 'bakso: bookings outside submission %''s village or days', p_sub.id {BAD};
    END IF;
    SELECT array_agg(DISTINCT x) INTO v_touched FROM (
        SELECT service_day_id AS x FROM recording_booking WHERE id = ANY(v_moved || v_dropped)
        UNION SELECT n.service_day_id FROM json_to_recordset(COALESCE(p_booking->'new', '[]'))
                     AS n(submission_id bigint, service_day_id bigint, home_visit boolean)) t;
    -- Audit first, while the old bookings still say where each resident was.
    FOR r IN
        SELECT n.submission_id, to_char(old.day, 'YYYY-MM-DD') AS from_day,
               to_char(d.day, 'YYYY-MM-DD') AS to_day
          FROM json_to_recordset(COALESCE(p_booking->'new', '[]'))
                     AS n(submission_id bigint, service_day_id bigint, home_visit boolean) JOIN service_day d ON d.id = n.service_day_id
          LEFT JOIN LATERAL (SELECT od.day FROM recording_booking ob
                               JOIN service_day od ON od.id = ob.service_day_id
                              WHERE ob.id = ANY(v_moved) AND ob.submission_id = n.submission_id
                              LIMIT 1) old ON true
         ORDER BY old.day IS NOT NULL, n.submission_id
    LOOP
        PERFORM bakso_audit_row(p_at, p_login,
                                CASE WHEN r.from_day IS NULL THEN 'booking.create'
                                     ELSE 'booking.move' END,
                                'submission', r.submission_id::text, r.from_day, r.to_day, '',
                                '{{"village":' || v_village || '}}');
    END LOOP;
    FOR r IN
        SELECT b.submission_id, to_char(d.day, 'YYYY-MM-DD') AS from_day
          FROM recording_booking b JOIN service_day d ON d.id = b.service_day_id
         WHERE b.id = ANY(v_dropped) ORDER BY b.submission_id
    LOOP
        PERFORM bakso_audit_row(p_at, p_login, 'booking.unplaced', 'submission',
                                r.submission_id::text, r.from_day, NULL, '',
                                '{{"village":' || v_village || '}}');
    END LOOP;
    UPDATE recording_booking SET state = 'dipindah', updated_at = p_at WHERE id = ANY(v_moved);
    UPDATE recording_booking SET state = 'dibatalkan', updated_at = p_at WHERE id = ANY(v_dropped);
    INSERT INTO recording_booking (submission_id, service_day_id, home_visit, state, created_at,
                                   updated_at)
    SELECT n.submission_id, n.service_day_id, n.home_visit, 'dipesan', p_at, p_at
      FROM json_to_recordset(COALESCE(p_booking->'new', '[]'))
           AS n(submission_id bigint, service_day_id bigint, home_visit boolean);
    UPDATE service_day d
       SET booked = (SELECT count(*) FROM recording_booking b WHERE b.service_day_id = d.id
                      AND b.state IN ('dipesan', 'direkam', 'tidak_hadir')),
           updated_at = p_at
     WHERE d.id = ANY(v_touched);
END $$;
"""

NEW_FUNCTIONS = ("bakso_decide", "bakso_book", "bakso_expire_leases", "bakso_release", "bakso_hold",
                 "bakso_renew", "bakso_claim", "bakso_lease_clock", "bakso_lease_end",
                 "bakso_require_verifier", "bakso_audit_row")


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(PG_AUDIT_ROW)
    op.execute(PG_CHECKS)
    op.execute(PG_CLAIMS)
    op.execute(PG_BOOK)
    op.execute(PG_DECIDE)


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(import_module("bakso_tui.db.migrations.versions.0013_database_roles").PG_AUDIT_SQL)
    for name in NEW_FUNCTIONS:
        op.execute(f"DROP FUNCTION IF EXISTS {name}")
