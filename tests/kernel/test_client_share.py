"""`lb.share` / `lb.unshare` / `lb.grants` against the real gateway, Prefect, runner and lake:
a dataset is its publisher's until they share it (L7)."""

from __future__ import annotations

from collections.abc import Callable

import polars as pl
import pytest

from lakebook.kernel import LakebookClient
from lakebook.kernel.errors import LakebookNotFound, LakebookPermissionError


def test_a_dataset_is_read_by_others_once_its_owner_shares_it(
    client_for: Callable[[str], LakebookClient],
) -> None:
    alice, bob = client_for("analyst"), client_for("analyst")
    uploaded = alice.upload(pl.DataFrame({"region": ["east"], "amount": [5]}))
    run = alice.run("ingest_upload", upload_key=uploaded.key, dataset="client_shared")
    assert run.wait(timeout=120) == "COMPLETED"
    assert "client_shared" not in {dataset.name for dataset in bob.datasets()}
    with pytest.raises(LakebookNotFound, match="no dataset 'client_shared'"):
        bob.dataset("client_shared")

    bob_name = bob.me().name
    grants = alice.share("client_shared", with_=bob_name)
    assert [(g.grantee, g.access) for g in grants.grants] == [(bob_name, "read")]
    assert bob.dataset("client_shared").owner == alice.me().name
    with pytest.raises(LakebookPermissionError, match="only its owner"):
        bob.share("client_shared")
    assert alice.grants("client_shared").owner == alice.me().name

    assert alice.unshare("client_shared", with_=bob_name).grants == []
    with pytest.raises(LakebookNotFound):
        bob.dataset("client_shared")
