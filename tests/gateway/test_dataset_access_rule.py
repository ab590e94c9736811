"""The dataset access rule (L7) on a real SQLite database and a local lake: claims, races,
adoption and levels. The HTTP paths that apply it are in test_dataset_owners.py."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import polars as pl
import pytest

from lakebook.common.api import Role
from lakebook.common.settings import Settings
from lakebook.gateway.api.deps import Caller
from lakebook.gateway.dataset_access import (
    PublishRefusedError,
    access_to,
    check_publish,
    readable_inputs,
)
from lakebook.gateway.db import session_scope
from lakebook.gateway.models import DatasetGrant
from lakebook.gateway.users import create_user
from lakebook.lake.publisher import LakePublisher
from lakebook.lake.store import LakeStore


@pytest.fixture
def database(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'gateway.db'}"


@pytest.fixture
def lake(tmp_path: Path) -> LakePublisher:
    (tmp_path / "lake").mkdir()
    settings = Settings(data_dir=tmp_path, lake_url=(tmp_path / "lake").as_uri())
    return LakePublisher(LakeStore.from_settings(settings))


def caller(database: str, name: str, role: Role = "analyst") -> Caller:
    with session_scope(database) as session:
        user = create_user(session, name, role, "a-long-enough-password")
        return Caller(user.id, name, role, datetime.now(UTC))


def test_the_first_claim_wins_and_the_second_is_refused_naming_the_owner(
    database: str, lake: LakePublisher
) -> None:
    alice, bob = caller(database, "alice"), caller(database, "bob")
    with session_scope(database) as first, session_scope(database) as second:
        check_publish(first, alice, "sales", lake, claim=False)
        check_publish(second, bob, "sales", lake, claim=False)  # nobody has it yet
    with session_scope(database) as session:
        check_publish(session, alice, "sales", lake, claim=True)
    with session_scope(database) as session, pytest.raises(PublishRefusedError) as refused:
        check_publish(session, bob, "sales", lake, claim=True)
    assert str(refused.value).startswith("dataset 'sales' belongs to 'alice'")
    with session_scope(database) as session:
        found = access_to(session, bob, ["sales"], lake)["sales"]
    assert (found.owner, found.level, found.may_read) == ("alice", "none", False)


def test_an_admins_new_dataset_is_theirs_and_private(database: str, lake: LakePublisher) -> None:
    admin, bob = caller(database, "root", "admin"), caller(database, "bob")
    with session_scope(database) as session:
        check_publish(session, admin, "audit", lake, claim=True)
    lake.publish(pl.DataFrame({"n": [1]}), dataset="audit", run_id="a1", flow_name="x", user="root")
    with session_scope(database) as session:
        assert access_to(session, bob, ["audit"], lake)["audit"].level == "none"
        assert access_to(session, admin, ["audit"], lake)["audit"].owner == "root"


def test_a_viewer_never_publishes_whatever_the_grant(database: str, lake: LakePublisher) -> None:
    alice, viewer = caller(database, "alice"), caller(database, "vera", "viewer")
    with session_scope(database) as session:
        check_publish(session, alice, "sales", lake, claim=True)
        session.add(
            DatasetGrant(
                dataset="sales",
                grantee="vera",
                access="write",
                granted_by="alice",
                granted_at=datetime.now(UTC),
            )
        )
    with session_scope(database) as session:
        assert access_to(session, viewer, ["sales"], lake)["sales"].level == "read"
        with pytest.raises(PublishRefusedError, match="role 'viewer' cannot publish"):
            check_publish(session, viewer, "new_one", lake, claim=True)


def test_a_dataset_the_lake_had_before_owners_is_adopted_once(
    database: str, lake: LakePublisher
) -> None:
    alice, bob = caller(database, "alice"), caller(database, "bob")
    frame = pl.DataFrame({"n": [1]})
    lake.publish(frame, dataset="old", run_id="o1", flow_name="x", user="bob")
    lake.publish(frame, dataset="old", run_id="o2", flow_name="x", user="alice")
    lake.publish(frame, dataset="seed", run_id="s1", flow_name="x")
    with session_scope(database) as session:
        found = access_to(session, bob, ["old", "seed", "absent"], lake)
    assert (found["old"].owner, found["old"].level) == ("alice", "read")
    assert (found["seed"].owner, found["seed"].level) == (None, "read")
    assert not found["absent"].recorded
    with session_scope(database) as session, pytest.raises(PublishRefusedError, match="no owner"):
        check_publish(session, alice, "seed", lake, claim=True)
    # Adopted once: a later publisher in the lake does not change the owner.
    lake.publish(frame, dataset="old", run_id="o3", flow_name="x", user="bob")
    with session_scope(database) as session:
        assert access_to(session, bob, ["old"], lake)["old"].owner == "alice"


def test_a_dataset_whose_metadata_lakebook_did_not_write_is_adopted_as_nobodys(
    database: str, lake: LakePublisher
) -> None:
    alice = caller(database, "alice")
    lake.publish(pl.DataFrame({"n": [1]}), dataset="odd", run_id="d1", flow_name="x", user="alice")
    lake.store.write_bytes(lake.paths.run_metadata_key("odd", "d1"), b'{"row_count": "many"}')
    with session_scope(database) as session:
        found = access_to(session, alice, ["odd"], lake)["odd"]
    assert (found.owner, found.level) == (None, "read")


def test_lineage_keeps_what_the_caller_may_read_and_sources_outside_the_lake(
    database: str, lake: LakePublisher
) -> None:
    alice, bob = caller(database, "alice"), caller(database, "bob")
    with session_scope(database) as session:
        check_publish(session, alice, "private_one", lake, claim=True)
    private = lake.paths.run_data_key("private_one", "r1")
    entries = [
        private,
        lake.paths.uri(private),
        "raw/uploads/alice/u1/data.csv",
        "raw/uploads/bob/u2/data.csv",
        "s3://elsewhere/raw/a.csv",
    ]
    with session_scope(database) as session:
        levels = access_to(session, bob, ["private_one"], lake)
    assert readable_inputs(bob, lake.paths, entries, levels) == [
        "raw/uploads/bob/u2/data.csv",
        "s3://elsewhere/raw/a.csv",
    ]
    with session_scope(database) as session:
        levels = access_to(session, alice, ["private_one"], lake)
    assert readable_inputs(alice, lake.paths, entries, levels) == [
        private,
        lake.paths.uri(private),
        "raw/uploads/alice/u1/data.csv",
        "s3://elsewhere/raw/a.csv",
    ]
