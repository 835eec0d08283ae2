"""leads: the office's follow-up of interests (status, owner, notes); query_log indexed for /stats

Revision ID: 0002_leads
Revises: 0001
Create Date: 2026-12-02 12:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0002_leads"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("query_log", schema=None) as batch_op:
        batch_op.create_index(
            "ix_query_log_results_normalized", ["results", "normalized"], unique=False
        )
    op.create_table(
        "lead",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("investor_id", sa.Integer(), nullable=True),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("owner_id", sa.BigInteger(), nullable=True),
        sa.Column("share_contact", sa.Boolean(), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("touched_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["investor_id"], ["investor.id"]),
        sa.ForeignKeyConstraint(["project_id"], ["project.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("lead", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_lead_created_at"), ["created_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_lead_investor_id"), ["investor_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_lead_owner_id"), ["owner_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_lead_project_id"), ["project_id"], unique=False)
    op.create_table(
        "lead_note",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("lead_id", sa.Integer(), nullable=False),
        sa.Column("at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("author", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("text", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.ForeignKeyConstraint(["lead_id"], ["lead.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("lead_note", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_lead_note_lead_id"), ["lead_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("lead_note", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_lead_note_lead_id"))
    op.drop_table("lead_note")
    with op.batch_alter_table("lead", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_lead_project_id"))
        batch_op.drop_index(batch_op.f("ix_lead_owner_id"))
        batch_op.drop_index(batch_op.f("ix_lead_investor_id"))
        batch_op.drop_index(batch_op.f("ix_lead_created_at"))
    op.drop_table("lead")
    with op.batch_alter_table("query_log", schema=None) as batch_op:
        batch_op.drop_index("ix_query_log_results_normalized")
