"""A flow run's datasets checked as its owner, by the gateway, before it reads or writes (L7).

The gateway's database says who owns a dataset and whom it is shared with; the runner holds the
signing key (N5), so it asks as the run's owner with a token it mints for one minute:
`POST /api/v1/lake/access`. A run launched through the gateway was checked at launch already;
this is what holds for everything else the runner runs as a user (a schedule's run, a user's
own flow, a dataset changed between launch and run). A run with no owner (made in Prefect
directly, or a flow called in-process) is the operator's and is not checked: Prefect's API is
infrastructure (N4). The gateway not answering fails the run: nothing is read unchecked.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import Final

import httpx

from lakebook.common.access_tokens import create_access_token
from lakebook.common.settings import get_settings
from lakebook.flows.lake_tasks import current_user
from lakebook.lake.store import LakeAccessError

ACCESS_PATH: Final = "/api/v1/lake/access"
TOKEN_LIFETIME: Final = timedelta(minutes=1)
# A required claim only: the gateway applies the role it has stored for the owner.
TOKEN_ROLE_CLAIM: Final = "viewer"
TIMEOUT_SECONDS: Final = 15.0


class DatasetAccessError(LakeAccessError):
    """The run's owner may not read or publish a dataset (never retried: it will not change)."""


def check_dataset_access(*, read: Sequence[str] = (), publish: Sequence[str] = ()) -> None:
    """Raises DatasetAccessError, with the gateway's reason, unless the run's owner may read
    `read` and publish under `publish` (a name nobody has becomes theirs)."""
    owner = current_user()
    if owner is None or not (read or publish):
        return
    settings = get_settings()
    url = settings.gateway.base_url.rstrip("/") + ACCESS_PATH
    token = create_access_token(
        settings, subject=owner, role=TOKEN_ROLE_CLAIM, lifetime=TOKEN_LIFETIME
    )
    try:
        response = httpx.post(
            url,
            json={"read": list(dict.fromkeys(read)), "publish": list(dict.fromkeys(publish))},
            headers={"Authorization": f"Bearer {token}"},
            timeout=TIMEOUT_SECONDS,
            # Plain HTTP (the embedded stack) uses no TLS: without this httpx loads its CA
            # bundle anyway, 20 ms of a 26 ms check (0.2 ms without; measured 2026-12-07).
            verify=url.startswith("https://"),
        )
    except httpx.HTTPError as error:
        raise DatasetAccessError(
            f"cannot check {owner}'s access to the datasets of this run at {url} ({error}); "
            "nothing was read or published: is the gateway (LAKEBOOK_GATEWAY_URL) running?"
        ) from None
    if response.is_success:
        return
    raise DatasetAccessError(_reason(response, owner))


def _reason(response: httpx.Response, owner: str) -> str:
    try:
        detail = response.json().get("detail")
    except ValueError:
        detail = None
    if not isinstance(detail, str):
        detail = f"the gateway answered {response.status_code}: {response.text[:200]}"
    return f"{detail} (this run is {owner}'s; nothing was read or published)"
