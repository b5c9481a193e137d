"""requirement groups and conditions; a service's short name

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-29

- ``requirement.one_of``: the group of alternatives a requirement belongs to
  (one of the group is needed: the police report or the damaged card).
- ``requirement.mandatory_from_age`` / ``mandatory_under_age``: needed when the
  subject's age is in that range (a KIA photo from 5).
- ``requirement.needed_when`` / ``needed_when_en``: needed in a circumstance the
  verifier judges (joining someone's KK), shown beside the requirement.
- ``service.short``: a short name (KK-UBAH, KTP-BARU) for narrow columns.

``bakso db upgrade`` fills them from ``data/services.toml`` after migrating.
"""

from alembic import op
import sqlalchemy as sa


revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


# Plain ADD/DROP COLUMN on both databases (SQLite 3.35+), never a batch table
# copy: attachments point at requirement, and requirements at service.
_REQUIREMENT = (
    sa.Column('one_of', sa.String(length=48), nullable=True),
    sa.Column('mandatory_from_age', sa.SmallInteger(), nullable=True),
    sa.Column('mandatory_under_age', sa.SmallInteger(), nullable=True),
    sa.Column('needed_when', sa.Text(), nullable=False, server_default=''),
    sa.Column('needed_when_en', sa.Text(), nullable=False, server_default=''),
)


def upgrade() -> None:
    for column in _REQUIREMENT:
        op.add_column('requirement', column)
    op.add_column('service', sa.Column('short', sa.String(length=16), nullable=False,
                                       server_default=''))


def downgrade() -> None:
    op.execute("ALTER TABLE service DROP COLUMN short")
    for column in reversed(_REQUIREMENT):
        op.execute(f"ALTER TABLE requirement DROP COLUMN {column.name}")
