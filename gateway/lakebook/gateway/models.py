"""The gateway's tables: users, refresh tokens, run and dataset ownership, and the audit log."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    Dialect,
    ForeignKey,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator


class UtcDateTime(TypeDecorator[datetime]):
    """A moment stored in UTC and read back aware. SQLite keeps no zone: its datetimes came back
    naive, so an API answer mixed them with Prefect's aware ones (`created_at` without a zone
    beside `start_time` with one). A naive value is refused rather than guessed at."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"a naive datetime cannot be stored (its zone is unknown): {value}")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None or value.tzinfo is not None:
            return value
        return value.replace(tzinfo=UTC)


class Base(DeclarativeBase):
    pass


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True, index=True)
    role: Mapped[str] = mapped_column(String(16))
    password_hash: Mapped[str] = mapped_column(String(255))
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())


class RefreshToken(Base):
    """One issued refresh token; only its SHA-256 is stored. Rotation chains form a family."""

    __tablename__ = "refresh_tokens"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    family_id: Mapped[str] = mapped_column(String(32), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    issued_at: Mapped[datetime] = mapped_column(UtcDateTime())
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)


class FlowRunRecord(Base):
    """Who launched which Prefect flow run: the basis of every ownership check."""

    __tablename__ = "flow_runs"
    __table_args__ = (UniqueConstraint("owner_id", "idempotency_key"),)

    run_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    flow_name: Mapped[str] = mapped_column(String(64), index=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    idempotency_key: Mapped[str | None] = mapped_column(String(128), nullable=True)
    parameters: Mapped[dict[str, Any]] = mapped_column(JSON)
    # The owner's notebook schedule that made the run; None for launches.
    schedule: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)


class AuditEvent(Base):
    """An append-only record of actions that change something (never secrets)."""

    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)
    user_name: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(64))
    target: Mapped[str] = mapped_column(String(255))
    detail: Mapped[dict[str, Any]] = mapped_column(JSON)


class DatasetRecord(Base):
    """Who owns a dataset name (L7): its first publisher, or nobody for a dataset the lake had
    before owners existed whose publisher is not a user (an operator's script)."""

    __tablename__ = "datasets"

    name: Mapped[str] = mapped_column(String(63), primary_key=True)
    owner_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True, index=True
    )
    # "publish": claimed by its first publisher; "adopted": found in the lake without a record.
    origin: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())


class DatasetGrant(Base):
    """Read or write access to a dataset given by its owner (or an admin) to one user, or to
    every user when `grantee` is "*" (user names cannot contain it)."""

    __tablename__ = "dataset_grants"

    dataset: Mapped[str] = mapped_column(
        ForeignKey("datasets.name", ondelete="CASCADE"), primary_key=True
    )
    grantee: Mapped[str] = mapped_column(String(64), primary_key=True, index=True)
    access: Mapped[str] = mapped_column(String(8))
    granted_by: Mapped[str] = mapped_column(String(64))
    granted_at: Mapped[datetime] = mapped_column(UtcDateTime())
