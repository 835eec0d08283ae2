"""Tables of the catalog and the Create/Public variants that cross layer boundaries."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Column, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

PUBLISHED = "published"
WITHDRAWN = "withdrawn"
PROJECT_STATUSES = (PUBLISHED, WITHDRAWN)


def utcnow() -> datetime:
    """Timezone-aware now, stored as UTC."""
    return datetime.now(UTC)


class ProjectBase(SQLModel):
    """Every field of the exchange format (see shared catalog-format.md)."""

    code: str = Field(index=True, unique=True, max_length=128)
    name: str
    name_en: str | None = None
    batch: str = Field(index=True, max_length=64)
    published_on: date | None = None
    region: str | None = None
    industry: str | None = None
    investment_cny: float | None = None
    private_capital_cny: float | None = None
    cooperation: str | None = None
    stage: str | None = None
    owner: str | None = None
    contact: str | None = None
    summary: str
    summary_en: str | None = None
    tags: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    status: str = Field(default=PUBLISHED, index=True, max_length=16)


class Project(ProjectBase, table=True):
    __tablename__ = "project"

    id: int | None = Field(default=None, primary_key=True)
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow, index=True)


class ProjectCreate(ProjectBase):
    """A validated row of an import file or an admin's /add."""


class ProjectPublic(ProjectBase):
    """A project as handed to the index and the bot (detached from any session)."""

    id: int
    created_at: datetime
    updated_at: datetime


class Batch(SQLModel, table=True):
    """A promotion batch (推介批次); announced once to subscribers."""

    __tablename__ = "batch"

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(index=True, unique=True, max_length=64)
    published_on: date | None = None
    created_at: datetime = Field(default_factory=utcnow)
    announced_at: datetime | None = None
    announced_by: int | None = Field(default=None, sa_type=BigInteger)


class Investor(SQLModel, table=True):
    """A Telegram user of the bot and their investment profile."""

    __tablename__ = "investor"

    id: int | None = Field(default=None, primary_key=True)
    telegram_user_id: int = Field(sa_type=BigInteger, index=True, unique=True)
    chat_id: int | None = Field(default=None, sa_type=BigInteger)
    username: str | None = None
    full_name: str | None = None
    language: str | None = Field(default=None, max_length=16)
    sectors: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    regions: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    ticket_min_cny: float | None = None
    ticket_max_cny: float | None = None
    cooperation_modes: list[str] = Field(
        default_factory=list, sa_column=Column(JSON, nullable=False)
    )
    stages: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class Interest(SQLModel, table=True):
    """An investor's "I'm interested" in a project."""

    __tablename__ = "interest"

    id: int | None = Field(default=None, primary_key=True)
    investor_id: int = Field(foreign_key="investor.id", index=True)
    project_id: int = Field(foreign_key="project.id", index=True)
    note: str | None = None
    share_contact: bool = False
    created_at: datetime = Field(default_factory=utcnow)


class Subscription(SQLModel, table=True):
    """An investor's wish to hear about new batches: all, profile-fitting, or by filter."""

    __tablename__ = "subscription"

    id: int | None = Field(default=None, primary_key=True)
    investor_id: int = Field(foreign_key="investor.id", index=True)
    chat_id: int = Field(sa_type=BigInteger)
    mode: str = Field(default="all", max_length=16)  # all | profile | filter
    sectors: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    regions: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    active: bool = Field(default=True, index=True)
    deactivated_reason: str | None = None
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class Delivery(SQLModel, table=True):
    """The durable outbox: one row per subscriber and batch, so each digest goes out once."""

    __tablename__ = "delivery"
    __table_args__ = (UniqueConstraint("batch_code", "investor_id", name="uq_delivery_batch"),)

    id: int | None = Field(default=None, primary_key=True)
    batch_code: str = Field(index=True, max_length=64)
    investor_id: int = Field(foreign_key="investor.id", index=True)
    subscription_id: int | None = Field(default=None, foreign_key="subscription.id")
    chat_id: int = Field(sa_type=BigInteger)
    project_codes: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    status: str = Field(default="pending", index=True, max_length=16)  # see catalog/outbox.py
    sender: str | None = Field(default=None, max_length=128)  # the lease holder that claimed it
    attempts: int = 0
    last_error: str | None = None
    message_id: int | None = None
    created_at: datetime = Field(default_factory=utcnow)
    sent_at: datetime | None = None


class Lease(SQLModel, table=True):
    """A role only one process may hold at a time (the outbox sender), held until it expires
    unless renewed; times are seconds since the epoch by the database's clock (catalog/lease.py)."""

    __tablename__ = "lease"

    name: str = Field(primary_key=True, max_length=32)
    holder: str | None = Field(default=None, max_length=128)
    acquired_at: float = 0.0
    expires_at: float = 0.0


class AuditEntry(SQLModel, table=True):
    """Who changed what in the catalog, and when."""

    __tablename__ = "audit_entry"

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow, index=True)
    actor: str = Field(max_length=64)  # "tg:<user id>" or "cli"
    action: str = Field(max_length=32)  # import | add | edit | withdraw | restore | publish
    project_code: str | None = Field(default=None, index=True, max_length=128)
    changes: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


class QueryLog(SQLModel, table=True):
    """What investors searched for, and how many results they got (for /stats)."""

    __tablename__ = "query_log"
    __table_args__ = (
        # /stats and the report: searches that found nothing, grouped by text, without a scan
        Index("ix_query_log_results_normalized", "results", "normalized"),
    )

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow, index=True)
    investor_id: int | None = Field(default=None, index=True)
    query: str
    normalized: str = Field(index=True)
    results: int = 0


LEAD_NEW = "new"
LEAD_CONTACTED = "contacted"
LEAD_TALKS = "talks"
LEAD_SIGNED = "signed"
LEAD_DECLINED = "declined"
LEAD_STATUSES = (LEAD_NEW, LEAD_CONTACTED, LEAD_TALKS, LEAD_SIGNED, LEAD_DECLINED)
LEAD_OPEN = (LEAD_NEW, LEAD_CONTACTED, LEAD_TALKS)


class Lead(SQLModel, table=True):
    """An interest as the office follows it up: status, owner, consent as the investor gave it.

    /forget sets investor_id to None and drops the notes: the row stays as an anonymous count.
    """

    __tablename__ = "lead"

    id: int | None = Field(default=None, primary_key=True)
    project_id: int = Field(foreign_key="project.id", index=True)
    investor_id: int | None = Field(default=None, foreign_key="investor.id", index=True)
    status: str = Field(default=LEAD_NEW, max_length=16)
    owner_id: int | None = Field(default=None, sa_type=BigInteger, index=True)
    share_contact: bool = False
    created_at: datetime = Field(default_factory=utcnow, index=True)
    touched_at: datetime = Field(default_factory=utcnow)


class LeadNote(SQLModel, table=True):
    """A dated note an admin (or the investor's own note) added to a lead."""

    __tablename__ = "lead_note"

    id: int | None = Field(default=None, primary_key=True)
    lead_id: int = Field(foreign_key="lead.id", index=True)
    at: datetime = Field(default_factory=utcnow)
    author: str = Field(max_length=64)  # "tg:<id>", "cli" or "investor"
    text: str
