"""Who may read and publish a dataset (L7): its owner, the users it is shared with, and admins.

One rule for every path that reads or publishes (the catalog, `/result`, launches and the
flows' own check through `POST /lake/access`): `DatasetAccess.level`. A dataset the caller may
not read answers like a missing one. A dataset found in the lake without a record (published
before owners existed, or by an operator's script) is adopted when first met: owned by its
latest run's publisher when that is a user, readable by every user, as it was before.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Final, Literal

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from lakebook.common.lake import UPLOADS_PREFIX, LakePaths
from lakebook.gateway.api.deps import Caller
from lakebook.gateway.models import DatasetGrant, DatasetRecord, User
from lakebook.lake.metadata import LakeMetadataError
from lakebook.lake.runs import LakeRuns
from lakebook.lake.store import LakeNotFoundError

EVERYONE: Final = "*"
Level = Literal["none", "read", "write", "owner", "admin"]
_RANK: Final[dict[Level, int]] = {"none": 0, "read": 1, "write": 2, "owner": 3, "admin": 3}
# What an adopted dataset gets: what it had before owners existed.
ADOPTED_GRANT: Final = "read"


class PublishRefusedError(Exception):
    """The caller may not publish under this dataset name (403); the message names the owner."""


@dataclass(frozen=True)
class DatasetAccess:
    """A dataset's owner (None: nobody) and what one caller may do with it."""

    name: str
    owner: str | None
    level: Level
    recorded: bool = True

    @property
    def may_read(self) -> bool:
        return _RANK[self.level] >= _RANK["read"]

    @property
    def may_publish(self) -> bool:
        return _RANK[self.level] >= _RANK["write"]

    @property
    def may_manage(self) -> bool:
        """Owners and admins change who it is shared with."""
        return self.level in ("owner", "admin")


def access_to(
    session: Session, caller: Caller, names: Iterable[str], runs: LakeRuns | None
) -> dict[str, DatasetAccess]:
    """The caller's access to each name; names without a record are adopted from the lake when
    `runs` is given and the lake has them (else: unrecorded, no owner, readable by admins)."""
    wanted = sorted(set(names))
    records = _records(session, wanted)
    if runs is not None:
        for name in wanted:
            if name not in records and adopt(session, runs, name):
                records.update(_records(session, [name]))
    grants = _grants(session, caller.name, list(records))
    return {
        name: _level(caller, name, records.get(name, _MISSING), grants.get(name)) for name in wanted
    }


def check_publish(
    session: Session, caller: Caller, name: str, runs: LakeRuns, *, claim: bool
) -> None:
    """Refuses (PublishRefusedError) unless the caller may publish under `name`; a name nobody
    has is theirs, recorded now when `claim` (the flow's check just before it writes)."""
    if caller.role == "viewer":
        raise PublishRefusedError(f"role 'viewer' cannot publish datasets (dataset {name!r})")
    found = access_to(session, caller, [name], runs)[name]
    if not found.recorded:
        # An admin's new dataset is theirs too, and private like anyone's.
        if claim:
            _claim(session, caller, name)
        return
    if found.may_publish:
        return
    if found.owner is None:
        raise PublishRefusedError(
            f"dataset {name!r} has no owner (it was in the lake before datasets had owners): "
            "only an admin may publish under it; choose another name"
        )
    raise PublishRefusedError(
        f"dataset {name!r} belongs to {found.owner!r}: publish under another name, or ask "
        f"{found.owner} to share write access with you "
        f"(lakebook share {name} --with {caller.name} --access write)"
    )


def _claim(session: Session, caller: Caller, name: str) -> None:
    """Records the caller as the owner; a publisher who claimed it a moment earlier wins."""
    try:
        with session.begin_nested():
            session.add(_record(name, caller.id, "publish"))
    except IntegrityError:
        pass
    else:
        return
    winner = access_to(session, caller, [name], None)[name]
    if not winner.may_publish:
        raise PublishRefusedError(
            f"dataset {name!r} belongs to {winner.owner!r}, who published under it a moment "
            "ago: publish under another name"
        )


def adopt(session: Session, runs: LakeRuns, name: str) -> bool:
    """Records a dataset the lake has and the database does not (L7); False if the lake has no
    published run of it either."""
    try:
        latest = runs.latest_run(name)
    except LakeNotFoundError:
        return False
    try:
        publisher = runs.read_metadata(name, latest.run_id).user
    except LakeMetadataError:
        # A metadata.json lakebook did not write names no publisher: nobody's, and one bad
        # file must not fail the whole catalog (its detail says what is wrong with it).
        publisher = None
    owner_id = None
    if publisher is not None:
        owner_id = session.scalar(select(User.id).where(User.name == publisher))
    try:
        with session.begin_nested():
            session.add(_record(name, owner_id, "adopted"))
            session.flush()
            session.add(
                DatasetGrant(
                    dataset=name,
                    grantee=EVERYONE,
                    access=ADOPTED_GRANT,
                    granted_by="lakebook",
                    granted_at=datetime.now(UTC),
                )
            )
    except IntegrityError:
        pass  # adopted or claimed by another request meanwhile: theirs stands
    return True


def readable_inputs(
    caller: Caller, paths: LakePaths, keys: Iterable[str], levels: dict[str, DatasetAccess]
) -> list[str]:
    """The lineage entries the caller may see: runs of datasets they may read, uploads of their
    own, and what lakebook does not guard (a source outside the lake, as a flow recorded it)."""
    shown = []
    for entry in keys:
        key = paths.key_of(entry) or entry
        dataset = dataset_of_key(key)
        if dataset is not None:
            if dataset in levels and levels[dataset].may_read:
                shown.append(entry)
        elif key.startswith(UPLOADS_PREFIX):
            if caller.may_access(LakePaths.upload_owner(key)):
                shown.append(entry)
        else:
            shown.append(entry)
    return shown


def dataset_of_key(key: str) -> str | None:
    """The dataset of a run's key (`processed/flows/{dataset}/{run}/…`), else None."""
    parts = key.split("/")
    if len(parts) >= 4 and parts[0] == "processed" and parts[1] == "flows":
        return parts[2]
    return None


def _record(name: str, owner_id: int | None, origin: str) -> DatasetRecord:
    return DatasetRecord(name=name, owner_id=owner_id, origin=origin, created_at=datetime.now(UTC))


def _records(session: Session, names: list[str]) -> dict[str, str | None]:
    """Owner name (None: nobody) of each recorded name."""
    if not names:
        return {}
    rows = session.execute(
        select(DatasetRecord.name, User.name)
        .outerjoin(User, User.id == DatasetRecord.owner_id)
        .where(DatasetRecord.name.in_(names))
    )
    return dict(rows.all())


def _grants(session: Session, user: str, names: list[str]) -> dict[str, str]:
    """The widest access granted to `user` (by name or to everyone) on each name."""
    if not names:
        return {}
    rows = session.execute(
        select(DatasetGrant.dataset, DatasetGrant.access).where(
            DatasetGrant.dataset.in_(names), DatasetGrant.grantee.in_([user, EVERYONE])
        )
    )
    widest: dict[str, str] = {}
    for dataset, access in rows:
        if widest.get(dataset) != "write":
            widest[dataset] = access
    return widest


def _level(caller: Caller, name: str, record: object, grant: str | None) -> DatasetAccess:
    recorded = record is not _MISSING
    owner = record if isinstance(record, str) else None
    if caller.is_admin:
        return DatasetAccess(name, owner, "admin", recorded)
    if owner is not None and owner == caller.name:
        return DatasetAccess(name, owner, "owner", recorded)
    if grant == "write" and caller.role != "viewer":
        return DatasetAccess(name, owner, "write", recorded)
    if grant in ("read", "write"):
        return DatasetAccess(name, owner, "read", recorded)
    return DatasetAccess(name, owner, "none", recorded)


_MISSING: Final = object()
