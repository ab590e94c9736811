"""The wire bodies of dataset owners and grants (L7): who may read and publish a dataset.

Beside `lakebook.common.api` (which would pass the module limit with them); same rules: the
class names are the OpenAPI schema names, pure pydantic.
"""

from __future__ import annotations

from datetime import datetime
from typing import Final, Literal

from pydantic import BaseModel, ConfigDict, Field

from lakebook.common.api import WireModel
from lakebook.common.lake import DatasetName

GrantAccess = Literal["read", "write"]
DatasetAccessLevel = Literal["read", "write", "owner", "admin"]
# The grantee that means every user (user names cannot contain it).
EVERYONE: Final = "*"
GRANTEE_PATTERN: Final = r"^(\*|[a-z][a-z0-9_.-]{1,63})$"


class GrantIn(BaseModel):
    """What a grant gives: `read`, or `write` (publish new runs under the name; implies read)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    access: GrantAccess = "read"


class GrantOut(WireModel):
    grantee: str = Field(description="A user name, or '*' for every user.")
    access: GrantAccess
    granted_by: str
    granted_at: datetime


class DatasetGrantsOut(WireModel):
    """A dataset's owner and whom it is shared with; only its owner and admins see this."""

    dataset: str
    owner: str | None = Field(description="None: nobody (only admins may publish under it).")
    grants: list[GrantOut]


class LakeAccessRequest(BaseModel):
    """Datasets a run is about to read and publish under, checked as the run's owner (a flow's
    own check, made before it reads or writes anything)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    read: list[DatasetName] = Field(default_factory=list, max_length=64)
    publish: list[DatasetName] = Field(default_factory=list, max_length=8)


class DatasetAccessOut(WireModel):
    name: str
    owner: str | None
    access: DatasetAccessLevel


class LakeAccessOut(WireModel):
    datasets: list[DatasetAccessOut]
