"""Data access for the routes: who launched which flow run, so that routes hold no queries."""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from fastapi.concurrency import run_in_threadpool
from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from lakebook.gateway.db import session_scope
from lakebook.gateway.models import FlowRunRecord, User


@dataclass(frozen=True)
class RunRecordView:
    """A run's ownership record; it never changes, so it can be remembered."""

    run_id: str
    flow_name: str
    owner_id: int
    owner: str
    parameters: dict[str, Any]
    created_at: datetime
    schedule: str | None = None


def _runs_with_owners() -> Select[FlowRunRecord, str]:
    """The one query behind every read of run records: each with its owner's name."""
    return select(FlowRunRecord, User.name).join(User, User.id == FlowRunRecord.owner_id)


def _view(record: FlowRunRecord, owner: str) -> RunRecordView:
    return RunRecordView(
        record.run_id,
        record.flow_name,
        record.owner_id,
        owner,
        record.parameters,
        record.created_at,
        record.schedule,
    )


def find_run_record(session: Session, run_id: str) -> RunRecordView | None:
    query = _runs_with_owners().where(FlowRunRecord.run_id == run_id)
    found = session.execute(query).one_or_none()
    return None if found is None else _view(*found)


def list_run_records(
    session: Session,
    *,
    owner_id: int | None,
    flow: str | None,
    limit: int,
    offset: int,
    schedule: str | None = None,
) -> list[RunRecordView]:
    """Newest first; `owner_id` None means everyone's, `flow` None every flow's, `schedule` None
    launched and scheduled runs alike."""
    query = _runs_with_owners()
    if owner_id is not None:
        query = query.where(FlowRunRecord.owner_id == owner_id)
    if flow is not None:
        query = query.where(FlowRunRecord.flow_name == flow)
    if schedule is not None:
        query = query.where(FlowRunRecord.schedule == schedule)
    query = query.order_by(FlowRunRecord.created_at.desc()).limit(limit).offset(offset)
    return [_view(record, owner) for record, owner in session.execute(query)]


def find_launch(session: Session, owner_id: int, idempotency_key: str) -> str | None:
    """The id of the run this user already launched with this idempotency key, if any."""
    return session.scalars(
        select(FlowRunRecord.run_id).where(
            FlowRunRecord.owner_id == owner_id,
            FlowRunRecord.idempotency_key == idempotency_key,
        )
    ).one_or_none()


def record_launch(
    session: Session,
    *,
    run_id: str,
    flow_name: str,
    owner_id: int,
    idempotency_key: str | None,
    parameters: dict[str, Any],
) -> None:
    session.add(
        FlowRunRecord(
            run_id=run_id,
            flow_name=flow_name,
            owner_id=owner_id,
            idempotency_key=idempotency_key,
            parameters=parameters,
            created_at=datetime.now(UTC),
        )
    )


class RunRecords:
    """Remembered run records (bounded): reading a run needs no database round trip."""

    def __init__(self, max_entries: int = 10_000) -> None:
        self.max_entries = max_entries
        self._records: OrderedDict[str, RunRecordView] = OrderedDict()

    async def get(self, database_url: str, run_id: str) -> RunRecordView | None:
        record = self._records.get(run_id)
        if record is None:
            record = await run_in_threadpool(_load_record, database_url, run_id)
            if record is not None:
                self._records[run_id] = record
                if len(self._records) > self.max_entries:
                    self._records.popitem(last=False)
        return record


def _load_record(database_url: str, run_id: str) -> RunRecordView | None:
    with session_scope(database_url) as session:
        return find_run_record(session, run_id)
