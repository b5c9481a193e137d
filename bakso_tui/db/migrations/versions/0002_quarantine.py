"""quarantine

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22

Refused intake packages are kept whole, with their reasons.
"""

from alembic import op
import sqlalchemy as sa

import bakso_tui.db.types


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('quarantine',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('package', sa.String(length=500), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=True),
    sa.Column('size', sa.BigInteger(), nullable=False),
    sa.Column('village_code', sa.String(length=32), nullable=True),
    sa.Column('external_id', sa.String(length=64), nullable=True),
    sa.Column('reasons', sa.JSON(), nullable=False),
    sa.Column('received_at', bakso_tui.db.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('resolved_submission_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('resolved_at', bakso_tui.db.types.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['resolved_submission_id'], ['submission.id'], name=op.f('fk_quarantine_resolved_submission_id_submission')),
    sa.ForeignKeyConstraint(['sha256'], ['blob.sha256'], name=op.f('fk_quarantine_sha256_blob')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_quarantine'))
    )
    with op.batch_alter_table('quarantine', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_quarantine_sha256'), ['sha256'], unique=False)
        batch_op.create_index('ix_quarantine_village_external', ['village_code', 'external_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('quarantine', schema=None) as batch_op:
        batch_op.drop_index('ix_quarantine_village_external')
        batch_op.drop_index(batch_op.f('ix_quarantine_sha256'))

    op.drop_table('quarantine')
