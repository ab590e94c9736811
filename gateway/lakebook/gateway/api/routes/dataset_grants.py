"""Dataset owners and grants (L7): whom a dataset is shared with, and the flows' own check."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, status
from sqlalchemy import select

from lakebook.common.api_datasets import (
    EVERYONE,
    GRANTEE_PATTERN,
    DatasetAccessOut,
    DatasetGrantsOut,
    GrantIn,
    GrantOut,
    LakeAccessOut,
    LakeAccessRequest,
)
from lakebook.common.lake import LakePathError, check_dataset_name
from lakebook.gateway.api.deps import API_PREFIX, Caller, CurrentUser, LakeStoreDep, SessionDep
from lakebook.gateway.audit import record_event
from lakebook.gateway.dataset_access import (
    DatasetAccess,
    PublishRefusedError,
    access_to,
    check_publish,
)
from lakebook.gateway.models import DatasetGrant
from lakebook.gateway.users import find_user
from lakebook.lake.publisher import LakePublisher
from lakebook.lake.runs import LakeRuns

router = APIRouter(prefix=f"{API_PREFIX}/lake", tags=["lake"])

Grantee = Annotated[
    str,
    Path(
        pattern=GRANTEE_PATTERN,
        description="A user name, or '*' for every user.",
        examples=["bob", "*"],
    ),
]


def managed(session: SessionDep, caller: Caller, name: str, runs: LakeRuns) -> DatasetAccess:
    """The dataset if the caller owns it or is an admin: 404 if they may not read it (as for a
    missing one), 403 if they read it but it is not theirs to share."""
    try:
        check_dataset_name(name)
    except LakePathError as error:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no dataset {name!r}") from error
    found = access_to(session, caller, [name], runs)[name]
    if not found.recorded or not (found.may_read or found.may_manage):
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no dataset {name!r}")
    if not found.may_manage:
        owner = f"its owner ({found.owner})" if found.owner else "an admin"
        raise HTTPException(
            status.HTTP_403_FORBIDDEN, f"only {owner} can change whom {name!r} is shared with"
        )
    return found


def grants_out(session: SessionDep, found: DatasetAccess) -> DatasetGrantsOut:
    rows = session.scalars(
        select(DatasetGrant)
        .where(DatasetGrant.dataset == found.name)
        .order_by(DatasetGrant.grantee)
    )
    return DatasetGrantsOut(
        dataset=found.name,
        owner=found.owner,
        grants=[
            GrantOut(
                grantee=row.grantee,
                access=row.access,  # type: ignore[arg-type]
                granted_by=row.granted_by,
                granted_at=row.granted_at,
            )
            for row in rows
        ],
    )


@router.get("/datasets/{name}/grants", response_model=DatasetGrantsOut)
def read_grants(
    name: str, user: CurrentUser, session: SessionDep, store: LakeStoreDep
) -> DatasetGrantsOut:
    """Whom the dataset is shared with (its owner and admins only)."""
    return grants_out(session, managed(session, user, name, LakePublisher(store)))


@router.put("/datasets/{name}/grants/{grantee}", response_model=DatasetGrantsOut)
def put_grant(
    name: str,
    grantee: Grantee,
    body: GrantIn,
    user: CurrentUser,
    session: SessionDep,
    store: LakeStoreDep,
) -> DatasetGrantsOut:
    """Shares the dataset with a user, or with every user ('*'): `read`, or `write` (publish
    new runs under its name). Replaces that grantee's earlier grant."""
    found = managed(session, user, name, LakePublisher(store))
    if grantee != EVERYONE:
        if find_user(session, grantee) is None:
            raise HTTPException(
                status.HTTP_422_UNPROCESSABLE_CONTENT,
                [_field_error(["path", "grantee"], f"there is no user {grantee!r}")],
            )
        if grantee == found.owner:
            raise HTTPException(
                status.HTTP_422_UNPROCESSABLE_CONTENT,
                [_field_error(["path", "grantee"], f"{grantee!r} owns {name!r} already")],
            )
    grant = session.get(DatasetGrant, (name, grantee))
    if grant is None:
        grant = DatasetGrant(dataset=name, grantee=grantee)
        session.add(grant)
    grant.access = body.access
    grant.granted_by = user.name
    grant.granted_at = datetime.now(UTC)
    session.flush()
    record_event(session, user.name, "lake.share", name, {"to": grantee, "access": body.access})
    return grants_out(session, found)


@router.delete("/datasets/{name}/grants/{grantee}", response_model=DatasetGrantsOut)
def delete_grant(
    name: str, grantee: Grantee, user: CurrentUser, session: SessionDep, store: LakeStoreDep
) -> DatasetGrantsOut:
    """Stops sharing the dataset with that grantee (nothing to remove is not an error)."""
    found = managed(session, user, name, LakePublisher(store))
    grant = session.get(DatasetGrant, (name, grantee))
    if grant is not None:
        session.delete(grant)
        session.flush()
        record_event(session, user.name, "lake.unshare", name, {"to": grantee})
    return grants_out(session, found)


@router.post("/access", response_model=LakeAccessOut)
def check_lake_access(
    body: LakeAccessRequest, user: CurrentUser, session: SessionDep, store: LakeStoreDep
) -> LakeAccessOut:
    """May the caller read these datasets and publish under those names? A flow asks as its
    run's owner before it reads or writes (L7); a name nobody has becomes the caller's. 404
    names a dataset to read that is missing or not shared with the caller (one answer for
    both), 403 a name to publish under that is someone else's, naming its owner."""
    runs = LakePublisher(store)
    readable = access_to(session, user, body.read, runs)
    for name in body.read:
        if not readable[name].may_read:
            raise HTTPException(
                status.HTTP_404_NOT_FOUND,
                f"there is no published dataset {name!r} that {user.name} may read",
            )
    for name in body.publish:
        try:
            check_publish(session, user, name, runs, claim=True)
        except PublishRefusedError as error:
            raise HTTPException(status.HTTP_403_FORBIDDEN, str(error)) from error
    found = access_to(session, user, [*body.read, *body.publish], None)
    return LakeAccessOut(
        datasets=[
            DatasetAccessOut(name=name, owner=access.owner, access=access.level)  # type: ignore[arg-type]
            for name, access in found.items()
        ]
    )


def _field_error(where: list[str], message: str) -> dict[str, object]:
    return {"loc": where, "msg": message, "type": "value_error"}
