"""issuance batches, the handover record, and the scheduler's runs

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-29

- ``issuance_batch``: one batch of documents per village per office day
  (``BAST/<village code>/<yyyymmdd>/<n>``), with its digest, the audit
  chain's head at closing, printing, and the handover record (recipient's
  name, position and NIK, when and where).
- ``issuance_batch_document``: which documents a batch holds. Its primary key
  is the document, so the database itself refuses a document in two batches.
- ``service.handover``: ``village`` (in the village's batch) or ``in_person``
  (handed to the resident on the village's service day).
- ``job_run`` and ``job_daemon``: each run of a scheduled job, and who runs
  the one scheduler daemon. ``submission_sla_flag``: when a submission was
  found past its service-time limit.
"""

from alembic import op
import sqlalchemy as sa

import bakso_tui.db.types


revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('job_daemon',
    sa.Column('id', sa.SmallInteger(), nullable=False),
    sa.Column('host', sa.String(length=255), nullable=False),
    sa.Column('pid', sa.Integer(), nullable=False),
    sa.Column('started_at', bakso_tui.db.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('stopped_at', bakso_tui.db.types.UTCDateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_job_daemon'))
    )
    op.create_table('job_run',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('job_id', sa.String(length=48), nullable=False),
    sa.Column('started_at', bakso_tui.db.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('finished_at', bakso_tui.db.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('outcome', sa.String(length=16), nullable=False),
    sa.Column('counts', sa.JSON(), nullable=False),
    sa.Column('error', sa.Text(), nullable=False),
    sa.Column('host', sa.String(length=255), nullable=False),
    sa.Column('pid', sa.Integer(), nullable=False),
    sa.Column('trigger', sa.String(length=16), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_job_run'))
    )
    with op.batch_alter_table('job_run', schema=None) as batch_op:
        batch_op.create_index('ix_job_run_job', ['job_id', 'started_at'], unique=False)

    op.create_table('issuance_batch',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('number', sa.String(length=48), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('village_code', sa.String(length=13), nullable=False),
    sa.Column('office_day', sa.Date(), nullable=False),
    sa.Column('seq', sa.SmallInteger(), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('documents', sa.Integer(), nullable=False),
    sa.Column('digest', sa.String(length=64), nullable=False),
    sa.Column('audit_hash', sa.String(length=64), nullable=False),
    sa.Column('audit_count', sa.BigInteger(), nullable=False),
    sa.Column('closed_at', bakso_tui.db.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('closed_by', sa.String(length=64), nullable=False),
    sa.Column('handover_due', sa.Date(), nullable=False),
    sa.Column('overdue_at', bakso_tui.db.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('service_day', sa.Date(), nullable=True),
    sa.Column('printed_at', bakso_tui.db.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('printer', sa.String(length=128), nullable=True),
    sa.Column('handed_over_at', bakso_tui.db.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('handed_over_on', sa.Date(), nullable=True),
    sa.Column('handover_place', sa.String(length=16), nullable=True),
    sa.Column('handed_over_by', sa.String(length=64), nullable=True),
    sa.Column('recipient_name', sa.String(length=200), nullable=True),
    sa.Column('recipient_position', sa.String(length=200), nullable=True),
    sa.Column('recipient_nik', sa.String(length=16), nullable=True),
    sa.Column('received_at', bakso_tui.db.types.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['village_code'], ['village.code'], name=op.f('fk_issuance_batch_village_code_village')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_issuance_batch')),
    sa.UniqueConstraint('number', name=op.f('uq_issuance_batch_number')),
    sa.UniqueConstraint('village_code', 'office_day', 'kind', 'seq', name='uq_issuance_batch_slot')
    )
    with op.batch_alter_table('issuance_batch', schema=None) as batch_op:
        batch_op.create_index('ix_issuance_batch_day', ['office_day', 'village_code', 'id'], unique=False)
        batch_op.create_index('ix_issuance_batch_open', ['handover_due'], unique=False, postgresql_where=sa.text("state IN ('ditutup', 'dicetak')"), sqlite_where=sa.text("state IN ('ditutup', 'dicetak')"))
        batch_op.create_index('ix_issuance_batch_village', ['village_code', 'office_day', 'id'], unique=False)

    op.create_table('submission_sla_flag',
    sa.Column('submission_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('flagged_at', bakso_tui.db.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['submission_id'], ['submission.id'], name=op.f('fk_submission_sla_flag_submission_id_submission')),
    sa.PrimaryKeyConstraint('submission_id', name=op.f('pk_submission_sla_flag'))
    )
    op.create_table('issuance_batch_document',
    sa.Column('document_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('batch_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('received_at', bakso_tui.db.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('received_by', sa.String(length=64), nullable=True),
    sa.ForeignKeyConstraint(['batch_id'], ['issuance_batch.id'], name=op.f('fk_issuance_batch_document_batch_id_issuance_batch')),
    sa.ForeignKeyConstraint(['document_id'], ['issued_document.id'], name=op.f('fk_issuance_batch_document_document_id_issued_document')),
    sa.PrimaryKeyConstraint('document_id', name=op.f('pk_issuance_batch_document'))
    )
    with op.batch_alter_table('issuance_batch_document', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_issuance_batch_document_batch_id'), ['batch_id'], unique=False)

    op.add_column('service', sa.Column('handover', sa.String(length=16),
                                       server_default='village', nullable=False))



def downgrade() -> None:
    # Not a batch (table copy) on SQLite: requirements point at service.
    op.execute("ALTER TABLE service DROP COLUMN handover")

    with op.batch_alter_table('issuance_batch_document', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_issuance_batch_document_batch_id'))

    op.drop_table('issuance_batch_document')
    op.drop_table('submission_sla_flag')
    with op.batch_alter_table('issuance_batch', schema=None) as batch_op:
        batch_op.drop_index('ix_issuance_batch_village')
        batch_op.drop_index('ix_issuance_batch_open', postgresql_where=sa.text("state IN ('ditutup', 'dicetak')"), sqlite_where=sa.text("state IN ('ditutup', 'dicetak')"))
        batch_op.drop_index('ix_issuance_batch_day')

    op.drop_table('issuance_batch')
    with op.batch_alter_table('job_run', schema=None) as batch_op:
        batch_op.drop_index('ix_job_run_job')

    op.drop_table('job_run')
    op.drop_table('job_daemon')
