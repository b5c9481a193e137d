"""The SQL of migration 0016's schedule, booking and batch functions, beside it
(``versions/0016_supervisor_functions.py`` makes them; it and this file are
frozen together: a later change of a function is a new migration).

A supervisor's writes on PostgreSQL (``domain/definer.py``): each function
checks its caller, takes only audit rows of its own actions, writes, and
appends them in the caller's transaction.
"""

DENY = "USING ERRCODE = '42501'"
BAD = "USING ERRCODE = '22023'"


#: One step of a batch after closing (``domain/batches/handover.py``): printed,
#: handed over, received (all or some), or a reprint. Only the steps of its
#: state machine, the batch locked and still in the state the caller read, the
#: documents the caller names all the batch's and all in the state it read
#: (else "changed meanwhile": nothing written), then the batch's columns of
#: that step and the audit rows the caller built (of these actions only).
PG_BATCH = f"""
CREATE OR REPLACE FUNCTION bakso_batch_step(
    p_actor text, p_batch bigint, p_from text, p_to text, p_docs bigint[], p_doc_from text,
    p_doc_to text, p_fields json, p_at timestamptz, p_audit json
) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    v_batch issuance_batch%ROWTYPE;
    v_moved integer;
BEGIN
    PERFORM bakso_require_supervisor(p_actor);
    PERFORM bakso_audit_only(p_audit, ARRAY['batch.print', 'batch.reprint', 'batch.handover',
        'batch.received', 'document.dicetak', 'document.diserahkan', 'document.diterima']);
    PERFORM bakso_audit_targets(p_audit, 'document', p_docs::text[]);
    PERFORM bakso_audit_targets(p_audit, 'batch', ARRAY[p_batch::text]);
    SELECT * INTO v_batch FROM issuance_batch WHERE id = p_batch FOR NO KEY UPDATE;
    IF NOT FOUND OR v_batch.state IS DISTINCT FROM p_from THEN
        RAISE EXCEPTION 'bakso: batch % changed meanwhile; read it again', p_batch {BAD};
    END IF;
    IF NOT (cardinality(p_docs) = 0 AND p_from = p_to)
       AND (p_from, p_to, p_doc_from, p_doc_to, v_batch.kind) NOT IN (
               ('ditutup', 'dicetak', 'dalam_batch', 'dicetak', 'village'),
               ('ditutup', 'dicetak', 'dalam_batch', 'dicetak', 'in_person'),
               ('dicetak', 'diserahkan', 'dicetak', 'diserahkan', 'village'),
               ('dicetak', 'dicetak', 'dicetak', 'diterima', 'in_person'),
               ('dicetak', 'selesai', 'dicetak', 'diterima', 'in_person'),
               ('diserahkan', 'diserahkan', 'diserahkan', 'diterima', 'village'),
               ('diserahkan', 'selesai', 'diserahkan', 'diterima', 'village')) THEN
        RAISE EXCEPTION 'bakso: no such step of a batch: % to %', p_from, p_to {BAD};
    END IF;
    UPDATE issued_document SET state = p_doc_to, updated_at = p_at
     WHERE id = ANY (p_docs) AND state = p_doc_from
       AND id IN (SELECT document_id FROM issuance_batch_document WHERE batch_id = p_batch);
    GET DIAGNOSTICS v_moved = ROW_COUNT;
    IF v_moved <> cardinality(p_docs) THEN
        RAISE EXCEPTION 'bakso: batch % changed meanwhile; read it again', p_batch {BAD};
    END IF;
    IF p_doc_to = 'diterima' THEN
        UPDATE issuance_batch_document SET received_at = p_at, received_by = p_actor
         WHERE batch_id = p_batch AND document_id = ANY (p_docs);
    END IF;
    IF p_to = 'selesai' AND EXISTS (
        SELECT 1 FROM issuance_batch_document b JOIN issued_document d ON d.id = b.document_id
         WHERE b.batch_id = p_batch AND d.state <> 'diterima') THEN
        RAISE EXCEPTION 'bakso: batch % has documents not received', p_batch {BAD};
    END IF;
    IF p_from = 'ditutup' AND p_to = 'dicetak' THEN
        UPDATE issuance_batch SET state = p_to, printed_at = p_at, printer = p_fields->>'printer'
         WHERE id = p_batch;
    ELSIF p_to = 'diserahkan' AND p_from = 'dicetak' THEN
        UPDATE issuance_batch SET state = p_to, handed_over_at = p_at, handed_over_by = p_actor,
               handed_over_on = (p_fields->>'handed_over_on')::date,
               handover_place = p_fields->>'handover_place',
               recipient_name = p_fields->>'recipient_name',
               recipient_position = p_fields->>'recipient_position',
               recipient_nik = p_fields->>'recipient_nik'
         WHERE id = p_batch;
    ELSIF p_to = 'selesai' THEN
        UPDATE issuance_batch SET state = p_to, received_at = p_at WHERE id = p_batch;
    END IF;
    PERFORM bakso_audit_append_many(p_audit);
END $$;
"""


#: The schedule (``domain/schedule/days.py``): a team, a plan and its days, a
#: day the office closes, a day ended (closed or cancelled), a day's capacity
#: or team changed. The rules (clashes, ranges, capacities) are Python's; a
#: function writes only active days forward of its own kind, and the audit rows
#: given (of its actions). The bookings they move are written by ``reflow``.
PG_SCHEDULE = f"""
CREATE OR REPLACE FUNCTION bakso_team_add(
    p_actor text, p_code text, p_name text, p_capacity integer, p_at timestamptz, p_audit json
) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    PERFORM bakso_require_supervisor(p_actor);
    PERFORM bakso_audit_only(p_audit, ARRAY['team.add']);
    PERFORM bakso_audit_targets(p_audit, 'team', ARRAY[p_code]);
    INSERT INTO service_team (code, name, capacity, active, created_at)
    VALUES (p_code, p_name, p_capacity, true, p_at);
    PERFORM bakso_audit_append_many(p_audit);
END $$;

CREATE OR REPLACE FUNCTION bakso_plan_create(
    p_actor text, p_plan bigint, p_village text, p_team text, p_rule text, p_from date,
    p_until date, p_capacity integer, p_days date[], p_at timestamptz, p_audit json
) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    PERFORM bakso_require_supervisor(p_actor);
    PERFORM bakso_audit_only(p_audit, ARRAY['plan.create']);
    PERFORM bakso_audit_targets(p_audit, 'village', ARRAY[p_village]);
    IF EXISTS (SELECT 1 FROM unnest(p_days) d WHERE d < p_from OR d > p_until) THEN
        RAISE EXCEPTION 'bakso: a day outside the plan''s range' {BAD};
    END IF;
    INSERT INTO service_plan (id, village_code, team_code, rule, starts_on, ends_on, capacity,
                              created_by, created_at)
    VALUES (p_plan, p_village, p_team, p_rule, p_from, p_until, p_capacity, p_actor, p_at);
    INSERT INTO service_day (plan_id, day, village_code, team_code, capacity, booked, state,
                             reason, created_at, updated_at)
    SELECT p_plan, d, p_village, p_team, p_capacity, 0, 'terjadwal', '', p_at, p_at
      FROM unnest(p_days) d ORDER BY d;
    PERFORM bakso_audit_append_many(p_audit);
END $$;

CREATE OR REPLACE FUNCTION bakso_office_close(
    p_actor text, p_day date, p_reason text, p_at timestamptz, p_audit json
) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    PERFORM bakso_require_supervisor(p_actor);
    PERFORM bakso_audit_only(p_audit, ARRAY['office.close_day']);
    PERFORM bakso_audit_targets(p_audit, 'office', ARRAY[to_char(p_day, 'YYYY-MM-DD')]);
    INSERT INTO office_closed_day (day, reason, created_by, created_at)
    VALUES (p_day, p_reason, p_actor, p_at);
    PERFORM bakso_audit_append_many(p_audit);
END $$;

-- A day closed or cancelled (p_state), or its capacity or team changed (p_state
-- NULL): only an active day, and never its date, village or bookings.
CREATE OR REPLACE FUNCTION bakso_day_change(
    p_actor text, p_day bigint, p_state text, p_reason text, p_capacity integer, p_team text,
    p_at timestamptz, p_audit json
) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    PERFORM bakso_require_supervisor(p_actor);
    PERFORM bakso_audit_only(p_audit, ARRAY['service_day.ditutup', 'service_day.dibatalkan',
                                            'service_day.change']);
    PERFORM bakso_audit_targets(p_audit, 'village',
                                ARRAY(SELECT village_code FROM service_day WHERE id = p_day));
    IF p_state IS NOT NULL AND p_state NOT IN ('ditutup', 'dibatalkan') THEN
        RAISE EXCEPTION 'bakso: a day is closed or cancelled, not %', p_state {BAD};
    END IF;
    UPDATE service_day SET state = COALESCE(p_state, state),
           reason = CASE WHEN p_state IS NULL THEN reason ELSE p_reason END,
           capacity = COALESCE(p_capacity, capacity), team_code = COALESCE(p_team, team_code),
           updated_at = p_at
     WHERE id = p_day AND state = 'terjadwal';
    IF NOT FOUND THEN
        RAISE EXCEPTION 'bakso: service day % is not active', p_day {BAD};
    END IF;
    PERFORM bakso_audit_append_many(p_audit);
END $$;
"""


#: Bookings moved by a person's change of the schedule (``reflow`` in
#: ``domain/schedule/booking.py`` decides who goes where): a supervisor's
#: change of days, or an absence a verifier or supervisor records. The caller
#: is that active account, a verifier or supervisor (``bakso_require_verifier``,
#: 0015); every booking it ends and makes is in `p_village`: live ones end as
#: moved or dropped, new ones on the village's active days for residents whose
#: documents wait for recording; the days they leave or join are counted again
#: here (never a count the caller gives).
PG_BOOKINGS = f"""
CREATE OR REPLACE FUNCTION bakso_bookings_move(
    p_user bigint, p_login text, p_village text, p_moved bigint[], p_dropped bigint[],
    p_new json, p_at timestamptz, p_audit json
) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    v_days bigint[];
    v_n integer;
BEGIN
    PERFORM bakso_require_verifier(p_user, p_login);
    PERFORM bakso_audit_only(p_audit, ARRAY['booking.create', 'booking.move',
                                            'booking.unplaced']);
    PERFORM bakso_lock_villages(ARRAY[p_village]);
    PERFORM bakso_audit_targets(p_audit, 'submission', ARRAY(
        SELECT submission_id::text FROM recording_booking WHERE id = ANY (p_moved || p_dropped)
        UNION SELECT n.submission_id::text FROM json_to_recordset(p_new) n(submission_id bigint)));
    SELECT array_agg(DISTINCT service_day_id) INTO v_days FROM recording_booking
     WHERE id = ANY (p_moved || p_dropped);
    UPDATE recording_booking b SET state = CASE WHEN b.id = ANY (p_moved) THEN 'dipindah'
                                                ELSE 'dibatalkan' END, updated_at = p_at
      FROM service_day d
     WHERE b.id = ANY (p_moved || p_dropped) AND b.state = 'dipesan'
       AND d.id = b.service_day_id AND d.village_code = p_village;
    GET DIAGNOSTICS v_n = ROW_COUNT;
    IF v_n <> cardinality(p_moved || p_dropped) THEN
        RAISE EXCEPTION 'bakso: a booking changed meanwhile; read it again' {BAD};
    END IF;
    IF EXISTS (SELECT 1 FROM json_to_recordset(p_new) n(submission_id bigint,
                                                        service_day_id bigint)
                LEFT JOIN service_day d ON d.id = n.service_day_id
                LEFT JOIN submission s ON s.id = n.submission_id
                WHERE d.id IS NULL OR s.id IS NULL OR d.state <> 'terjadwal'
                   OR d.village_code <> p_village OR s.village_code <> p_village
                   OR NOT EXISTS (SELECT 1 FROM issued_document i
                                   WHERE i.submission_id = s.id
                                     AND i.state = 'menunggu_perekaman')) THEN
        RAISE EXCEPTION 'bakso: bookings outside village %''s days or residents', p_village {BAD};
    END IF;
    INSERT INTO recording_booking (submission_id, service_day_id, home_visit, state,
                                   created_at, updated_at)
    SELECT r.submission_id, r.service_day_id, r.home_visit, 'dipesan', p_at, p_at
      FROM json_to_recordset(p_new) r(submission_id bigint, service_day_id bigint,
                                      home_visit boolean);
    v_days := COALESCE(v_days, '{{}}') || ARRAY(
        SELECT r.service_day_id FROM json_to_recordset(p_new) r(service_day_id bigint));
    UPDATE service_day d SET updated_at = p_at, booked = (
        SELECT count(*) FROM recording_booking b
         WHERE b.service_day_id = d.id AND b.state IN ('dipesan', 'direkam', 'tidak_hadir'))
     WHERE d.id = ANY (v_days);
    PERFORM bakso_audit_append_many(p_audit);
END $$;

-- A day's outcomes (``domain/schedule/outcomes.py``): its live bookings
-- recorded or absent, and the recorded residents' documents that waited for
-- recording ready to print (as many as the rows given say). The absent are
-- booked again afterwards through bakso_bookings_move.
CREATE OR REPLACE FUNCTION bakso_bookings_outcome(
    p_user bigint, p_login text, p_day bigint, p_recorded bigint[], p_absent bigint[],
    p_at timestamptz, p_audit json
) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    v_n integer;
    v_docs text[];
BEGIN
    PERFORM bakso_require_verifier(p_user, p_login);
    PERFORM bakso_audit_only(p_audit, ARRAY['booking.direkam', 'booking.tidak_hadir',
                                            'document.recorded']);
    PERFORM bakso_lock_villages(ARRAY(SELECT village_code FROM service_day WHERE id = p_day));
    UPDATE recording_booking SET state = CASE WHEN id = ANY (p_recorded) THEN 'direkam'
                                              ELSE 'tidak_hadir' END, updated_at = p_at
     WHERE id = ANY (p_recorded || p_absent) AND state = 'dipesan' AND service_day_id = p_day;
    GET DIAGNOSTICS v_n = ROW_COUNT;
    IF v_n <> cardinality(p_recorded || p_absent) THEN
        RAISE EXCEPTION 'bakso: a booking of day % changed meanwhile; read it again', p_day {BAD};
    END IF;
    PERFORM bakso_audit_targets(p_audit, 'submission', ARRAY(
        SELECT submission_id::text FROM recording_booking WHERE id = ANY (p_recorded || p_absent)));
    WITH ready AS (
        UPDATE issued_document SET state = 'siap_cetak', updated_at = p_at
         WHERE state = 'menunggu_perekaman' AND submission_id IN (
               SELECT submission_id FROM recording_booking WHERE id = ANY (p_recorded))
        RETURNING id)
    SELECT COALESCE(array_agg(id::text), '{{}}') INTO v_docs FROM ready;
    PERFORM bakso_audit_targets(p_audit, 'document', v_docs);
    PERFORM bakso_audit_append_many(p_audit);
END $$;
"""


#: A supervisor closes a village's ready documents into its batch
#: (``domain/batches/close.py``; the jobs, as the service group, write
#: directly): a new batch (`p_fields`, its id from the sequence) or the open
#: one extended; the documents still ready, or nothing; then the audit rows,
#: and the batch's count, digest and the chain's head it is anchored to.
PG_CLOSE = f"""
CREATE OR REPLACE FUNCTION bakso_batch_close(
    p_actor text, p_batch bigint, p_fields json, p_docs bigint[], p_digest text,
    p_at timestamptz, p_audit json
) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    v_start integer;
    v_n integer;
    v_hash text;
BEGIN
    PERFORM bakso_require_supervisor(p_actor);
    PERFORM bakso_audit_only(p_audit, ARRAY['document.batch', 'batch.close', 'batch.extend']);
    PERFORM bakso_audit_targets(p_audit, 'document', p_docs::text[]);
    PERFORM bakso_audit_targets(p_audit, 'batch', ARRAY[p_batch::text]);
    IF p_fields IS NOT NULL THEN
        INSERT INTO issuance_batch (id, number, kind, village_code, office_day, seq, state,
                                    documents, digest, audit_hash, audit_count, closed_at,
                                    closed_by, handover_due, service_day)
        SELECT p_batch, r.number, r.kind, r.village_code, r.office_day, r.seq, 'ditutup', 0, '',
               '', 0, p_at, p_actor, r.handover_due, r.service_day
          FROM json_to_record(p_fields) r(number text, kind text, village_code text,
                                          office_day date, seq smallint, handover_due date,
                                          service_day date);
    END IF;
    SELECT documents INTO v_start FROM issuance_batch
     WHERE id = p_batch AND state = 'ditutup' FOR NO KEY UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'bakso: batch % changed meanwhile; read it again', p_batch {BAD};
    END IF;
    UPDATE issued_document SET state = 'dalam_batch', updated_at = p_at
     WHERE id = ANY (p_docs) AND state = 'siap_cetak'
       AND village_code = (SELECT village_code FROM issuance_batch WHERE id = p_batch);
    GET DIAGNOSTICS v_n = ROW_COUNT;
    IF v_n <> cardinality(p_docs) THEN
        RAISE EXCEPTION 'bakso: documents for batch % were taken meanwhile', p_batch {BAD};
    END IF;
    INSERT INTO issuance_batch_document (document_id, batch_id, position)
    SELECT x.d, p_batch, v_start + x.n FROM unnest(p_docs) WITH ORDINALITY AS x(d, n);
    v_hash := bakso_audit_append_many(p_audit);
    UPDATE issuance_batch SET documents = v_start + cardinality(p_docs), digest = p_digest,
           closed_at = p_at, closed_by = p_actor, audit_hash = v_hash,
           audit_count = (SELECT count FROM audit_head WHERE id = 1)
     WHERE id = p_batch;
END $$;
"""


#: A day's list printed (``manifest_sheets``, anyone who sees the queue): the
#: day marked listed once, as the caller's own active account.
PG_LISTED = f"""
CREATE OR REPLACE FUNCTION bakso_day_listed(
    p_actor text, p_day bigint, p_at timestamptz, p_audit json
) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    IF bakso_caller_kind() <> 'free' AND NOT EXISTS (
        SELECT 1 FROM bakso_caller_account() a WHERE a.login = p_actor) THEN
        RAISE EXCEPTION 'bakso: % may not list days as %', session_user, p_actor {DENY};
    END IF;
    PERFORM bakso_audit_only(p_audit, ARRAY['service_day.listed']);
    PERFORM bakso_audit_targets(p_audit, 'village',
                                ARRAY(SELECT village_code FROM service_day WHERE id = p_day));
    UPDATE service_day SET listed_at = p_at WHERE id = p_day AND listed_at IS NULL;
    IF FOUND THEN
        PERFORM bakso_audit_append_many(p_audit);
    END IF;
END $$;
"""
