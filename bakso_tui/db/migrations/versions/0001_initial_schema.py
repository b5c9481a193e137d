"""initial schema

Revision ID: 0001
Revises: 
Create Date: 2026-11-22

The audit log is append-only: triggers on both databases refuse UPDATE and
DELETE of its rows, and TRUNCATE on PostgreSQL.
"""

from alembic import op
import sqlalchemy as sa

import bakso_tui.db.types

OPEN_SQL = "state IN ('diajukan', 'diverifikasi')"


revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


PG_AUDIT_GUARD = """
CREATE OR REPLACE FUNCTION bakso_audit_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only: % refused', TG_OP;
END;
$$ LANGUAGE plpgsql
"""


def _audit_guard() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(PG_AUDIT_GUARD)
        op.execute(
            "CREATE TRIGGER audit_log_no_change BEFORE UPDATE OR DELETE ON audit_log "
            "FOR EACH ROW EXECUTE FUNCTION bakso_audit_append_only()"
        )
        op.execute(
            "CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log "
            "FOR EACH STATEMENT EXECUTE FUNCTION bakso_audit_append_only()"
        )
    else:
        for verb in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER audit_log_no_{verb.lower()} BEFORE {verb} ON audit_log "
                f"BEGIN SELECT RAISE(ABORT, 'audit_log is append-only: {verb} refused'); END"
            )


def _drop_audit_guard() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS audit_log_no_change ON audit_log")
        op.execute("DROP TRIGGER IF EXISTS audit_log_no_truncate ON audit_log")
        op.execute("DROP FUNCTION IF EXISTS bakso_audit_append_only()")
    else:
        op.execute("DROP TRIGGER IF EXISTS audit_log_no_update")
        op.execute("DROP TRIGGER IF EXISTS audit_log_no_delete")


def upgrade() -> None:
    op.create_table('app_user',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('login', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('role', sa.String(length=16), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('password_hash', sa.String(length=255), nullable=True),
    sa.Column('created_at', bakso_tui.db.types.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_app_user')),
    sa.UniqueConstraint('login', name=op.f('uq_app_user_login'))
    )
    op.create_table('audit_log',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('at', bakso_tui.db.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('actor', sa.String(length=64), nullable=False),
    sa.Column('action', sa.String(length=48), nullable=False),
    sa.Column('target_type', sa.String(length=32), nullable=False),
    sa.Column('target_id', sa.String(length=64), nullable=False),
    sa.Column('from_state', sa.String(length=24), nullable=True),
    sa.Column('to_state', sa.String(length=24), nullable=True),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('details', sa.JSON(), nullable=False),
    sa.Column('prev_hash', sa.String(length=64), nullable=False),
    sa.Column('hash', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_log')),
    sa.UniqueConstraint('hash', name=op.f('uq_audit_log_hash'))
    )
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.create_index('ix_audit_log_target', ['target_type', 'target_id'], unique=False)
    _audit_guard()

    op.create_table('bakso_meta',
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('value', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_bakso_meta'))
    )
    op.create_table('blob',
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('size', sa.BigInteger(), nullable=False),
    sa.Column('media_type', sa.String(length=64), nullable=False),
    sa.Column('data', sa.LargeBinary(), nullable=True),
    sa.Column('created_at', bakso_tui.db.types.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('sha256', name=op.f('pk_blob'))
    )
    op.create_table('kecamatan',
    sa.Column('code', sa.String(length=8), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.PrimaryKeyConstraint('code', name=op.f('pk_kecamatan'))
    )
    op.create_table('reason_code',
    sa.Column('id', sa.String(length=48), nullable=False),
    sa.Column('name', sa.String(length=300), nullable=False),
    sa.Column('name_en', sa.String(length=300), nullable=False),
    sa.Column('applies_to', sa.JSON(), nullable=False),
    sa.Column('needs_text', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reason_code'))
    )
    op.create_table('service',
    sa.Column('id', sa.String(length=48), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('name_en', sa.String(length=200), nullable=False),
    sa.Column('needs_recording', sa.Boolean(), nullable=False),
    sa.Column('service_days', sa.SmallInteger(), nullable=False),
    sa.Column('outputs', sa.JSON(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_service'))
    )
    op.create_table('requirement',
    sa.Column('service_id', sa.String(length=48), nullable=False),
    sa.Column('id', sa.String(length=48), nullable=False),
    sa.Column('name', sa.String(length=300), nullable=False),
    sa.Column('name_en', sa.String(length=300), nullable=False),
    sa.Column('mandatory', sa.Boolean(), nullable=False),
    sa.Column('position', sa.SmallInteger(), nullable=False),
    sa.ForeignKeyConstraint(['service_id'], ['service.id'], name=op.f('fk_requirement_service_id_service')),
    sa.PrimaryKeyConstraint('service_id', 'id', name=op.f('pk_requirement'))
    )
    op.create_table('village',
    sa.Column('code', sa.String(length=13), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('kecamatan_code', sa.String(length=8), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['kecamatan_code'], ['kecamatan.code'], name=op.f('fk_village_kecamatan_code_kecamatan')),
    sa.PrimaryKeyConstraint('code', name=op.f('pk_village'))
    )
    with op.batch_alter_table('village', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_village_kecamatan_code'), ['kecamatan_code'], unique=False)

    op.create_table('submission',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('number', sa.String(length=32), nullable=True),
    sa.Column('external_id', sa.String(length=64), nullable=False),
    sa.Column('village_code', sa.String(length=13), nullable=False),
    sa.Column('service_id', sa.String(length=48), nullable=False),
    sa.Column('state', sa.String(length=24), nullable=False),
    sa.Column('priority_rank', sa.SmallInteger(), nullable=False),
    sa.Column('priority_reasons', sa.JSON(), nullable=False),
    sa.Column('possible_duplicate', sa.Boolean(), nullable=False),
    sa.Column('duplicate_of_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('nik_mismatch', sa.Boolean(), nullable=False),
    sa.Column('nik_problems', sa.JSON(), nullable=False),
    sa.Column('resubmission_of_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('applicant_nik', sa.String(length=16), nullable=False),
    sa.Column('applicant_kk', sa.String(length=16), nullable=False),
    sa.Column('applicant_name', sa.String(length=200), nullable=False),
    sa.Column('name_key', sa.String(length=200), nullable=False),
    sa.Column('applicant_birth_date', sa.Date(), nullable=False),
    sa.Column('applicant_sex', sa.String(length=1), nullable=False),
    sa.Column('applicant_address', sa.Text(), nullable=False),
    sa.Column('subjects', sa.JSON(), nullable=False),
    sa.Column('operator_name', sa.String(length=200), nullable=False),
    sa.Column('operator_phone', sa.String(length=32), nullable=False),
    sa.Column('manifest', sa.JSON(), nullable=False),
    sa.Column('submitted_at', bakso_tui.db.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('received_at', bakso_tui.db.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('due_at', bakso_tui.db.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('decided_at', bakso_tui.db.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('updated_at', bakso_tui.db.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('claim_holder_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('claim_expires_at', bakso_tui.db.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('claim_token', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['claim_holder_id'], ['app_user.id'], name=op.f('fk_submission_claim_holder_id_app_user')),
    sa.ForeignKeyConstraint(['duplicate_of_id'], ['submission.id'], name=op.f('fk_submission_duplicate_of_id_submission')),
    sa.ForeignKeyConstraint(['resubmission_of_id'], ['submission.id'], name=op.f('fk_submission_resubmission_of_id_submission')),
    sa.ForeignKeyConstraint(['service_id'], ['service.id'], name=op.f('fk_submission_service_id_service')),
    sa.ForeignKeyConstraint(['village_code'], ['village.code'], name=op.f('fk_submission_village_code_village')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_submission')),
    sa.UniqueConstraint('number', name=op.f('uq_submission_number')),
    sa.UniqueConstraint('village_code', 'external_id', name='uq_submission_village_external')
    )
    with op.batch_alter_table('submission', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_submission_applicant_kk'), ['applicant_kk'], unique=False)
        batch_op.create_index(batch_op.f('ix_submission_applicant_nik'), ['applicant_nik'], unique=False)
        batch_op.create_index(batch_op.f('ix_submission_claim_holder_id'), ['claim_holder_id'], unique=False)
        batch_op.create_index('ix_submission_name_key', ['name_key'], unique=False, postgresql_ops={'name_key': 'text_pattern_ops'})
        batch_op.create_index(
            'ix_submission_queue', ['priority_rank', 'submitted_at', 'id'], unique=False,
            postgresql_where=sa.text(OPEN_SQL), sqlite_where=sa.text(OPEN_SQL),
        )
        batch_op.create_index('ix_submission_service_nik', ['service_id', 'applicant_nik'], unique=False)
        batch_op.create_index('ix_submission_state_due', ['state', 'due_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_submission_village_code'), ['village_code'], unique=False)

    op.create_table('attachment',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('submission_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('service_id', sa.String(length=48), nullable=False),
    sa.Column('requirement_id', sa.String(length=48), nullable=False),
    sa.Column('filename', sa.String(length=255), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('size', sa.BigInteger(), nullable=False),
    sa.Column('media_type', sa.String(length=64), nullable=False),
    sa.Column('pages', sa.SmallInteger(), nullable=False),
    sa.Column('info', sa.JSON(), nullable=False),
    sa.Column('problems', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['service_id', 'requirement_id'], ['requirement.service_id', 'requirement.id'], name='fk_attachment_requirement'),
    sa.ForeignKeyConstraint(['sha256'], ['blob.sha256'], name=op.f('fk_attachment_sha256_blob')),
    sa.ForeignKeyConstraint(['submission_id'], ['submission.id'], name=op.f('fk_attachment_submission_id_submission')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_attachment'))
    )
    with op.batch_alter_table('attachment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_attachment_sha256'), ['sha256'], unique=False)
        batch_op.create_index(batch_op.f('ix_attachment_submission_id'), ['submission_id'], unique=False)

    op.create_table('decision',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('submission_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('actor_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('action', sa.String(length=16), nullable=False),
    sa.Column('reason_code', sa.String(length=48), nullable=True),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('override_reason', sa.Text(), nullable=False),
    sa.Column('at', bakso_tui.db.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['app_user.id'], name=op.f('fk_decision_actor_id_app_user')),
    sa.ForeignKeyConstraint(['reason_code'], ['reason_code.id'], name=op.f('fk_decision_reason_code_reason_code')),
    sa.ForeignKeyConstraint(['submission_id'], ['submission.id'], name=op.f('fk_decision_submission_id_submission')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_decision'))
    )
    with op.batch_alter_table('decision', schema=None) as batch_op:
        batch_op.create_index('ix_decision_at', ['at'], unique=False)
        batch_op.create_index(batch_op.f('ix_decision_submission_id'), ['submission_id'], unique=False)

    op.create_table('issued_document',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('submission_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('village_code', sa.String(length=13), nullable=False),
    sa.Column('kind', sa.String(length=48), nullable=False),
    sa.Column('state', sa.String(length=24), nullable=False),
    sa.Column('created_at', bakso_tui.db.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', bakso_tui.db.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['submission_id'], ['submission.id'], name=op.f('fk_issued_document_submission_id_submission')),
    sa.ForeignKeyConstraint(['village_code'], ['village.code'], name=op.f('fk_issued_document_village_code_village')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_issued_document'))
    )
    with op.batch_alter_table('issued_document', schema=None) as batch_op:
        batch_op.create_index('ix_issued_document_state_village', ['state', 'village_code'], unique=False)
        batch_op.create_index(batch_op.f('ix_issued_document_submission_id'), ['submission_id'], unique=False)



def downgrade() -> None:
    _drop_audit_guard()
    with op.batch_alter_table('issued_document', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_issued_document_submission_id'))
        batch_op.drop_index('ix_issued_document_state_village')

    op.drop_table('issued_document')
    with op.batch_alter_table('decision', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_decision_submission_id'))
        batch_op.drop_index('ix_decision_at')

    op.drop_table('decision')
    with op.batch_alter_table('attachment', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_attachment_submission_id'))
        batch_op.drop_index(batch_op.f('ix_attachment_sha256'))

    op.drop_table('attachment')
    with op.batch_alter_table('submission', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_submission_village_code'))
        batch_op.drop_index('ix_submission_state_due')
        batch_op.drop_index('ix_submission_service_nik')
        batch_op.drop_index('ix_submission_queue')
        batch_op.drop_index('ix_submission_name_key', postgresql_ops={'name_key': 'text_pattern_ops'})
        batch_op.drop_index(batch_op.f('ix_submission_claim_holder_id'))
        batch_op.drop_index(batch_op.f('ix_submission_applicant_nik'))
        batch_op.drop_index(batch_op.f('ix_submission_applicant_kk'))

    op.drop_table('submission')
    with op.batch_alter_table('village', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_village_kecamatan_code'))

    op.drop_table('village')
    op.drop_table('requirement')
    op.drop_table('service')
    op.drop_table('reason_code')
    op.drop_table('kecamatan')
    op.drop_table('blob')
    op.drop_table('bakso_meta')
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.drop_index('ix_audit_log_target')

    op.drop_table('audit_log')
    op.drop_table('app_user')
