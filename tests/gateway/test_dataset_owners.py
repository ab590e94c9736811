"""Datasets have owners and grants (L7), over HTTP on the real gateway, Prefect, runner and lake:
the first publisher owns a name, nobody else publishes under it or reads it unless the owner
shares it, and the runs (launched through the gateway or made in Prefect directly with an
owner) are held to the same rule as the API."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import httpx
import polars as pl
import pytest

from lakebook.common.deployments import OWNER_TAG_PREFIX
from lakebook.lake.publisher import LakePublisher
from lakebook.lake.store import LakeStore
from tests.gateway.test_flows_api import wait_for_state
from tests.utils.prefect_http import prefect_request
from tests.utils.services import FlowStack

CSV = b"region,amount\nnorth,10\nsouth,20\nnorth,5\n"


@dataclass(frozen=True)
class Person:
    name: str
    headers: dict[str, str]


def person(stack: FlowStack, role: str = "analyst") -> Person:
    name, password = stack.gateway.add_user(role)
    token = httpx.post(
        stack.gateway.api("/auth/token"), data={"username": name, "password": password}
    ).json()["access_token"]
    return Person(name, {"Authorization": f"Bearer {token}"})


def call(stack: FlowStack, who: Person, method: str, path: str, **kwargs: Any) -> httpx.Response:
    return httpx.request(method, stack.gateway.api(path), headers=who.headers, timeout=60, **kwargs)


def ingest(stack: FlowStack, who: Person, dataset: str) -> httpx.Response:
    """Uploads CSV as `who` and launches its ingest as `dataset`."""
    files = {"file": ("sales.csv", CSV, "application/octet-stream")}
    uploaded = call(stack, who, "POST", "/lake/uploads", files=files)
    assert uploaded.status_code == 201, uploaded.text
    parameters = {"upload_key": uploaded.json()["key"], "dataset": dataset}
    return call(stack, who, "POST", "/flows/ingest_upload/execute", json={"parameters": parameters})


def published(stack: FlowStack, who: Person, dataset: str) -> str:
    """Ingests as `who` and waits for the run; returns its run id."""
    launched = ingest(stack, who, dataset)
    assert launched.status_code == 202, launched.text
    run_id: str = launched.json()["run_id"]
    assert wait_for_state(stack, who.headers, run_id, timeout=90) == "COMPLETED"
    return run_id


def transform(stack: FlowStack, who: Person, inputs: list[str], output: str) -> httpx.Response:
    spec = {"inputs": [{"dataset": name} for name in inputs], "output": output}
    return call(
        stack, who, "POST", "/flows/transform_dataset/execute", json={"parameters": {"spec": spec}}
    )


def listed(stack: FlowStack, who: Person) -> set[str]:
    response = call(stack, who, "GET", "/lake/datasets")
    assert response.status_code == 200, response.text
    return {dataset["name"] for dataset in response.json()}


def share(
    stack: FlowStack, owner: Person, dataset: str, grantee: str, access: str
) -> httpx.Response:
    return call(
        stack, owner, "PUT", f"/lake/datasets/{dataset}/grants/{grantee}", json={"access": access}
    )


def lake(stack: FlowStack) -> LakePublisher:
    return LakePublisher(LakeStore.from_settings(stack.gateway.settings))


@pytest.fixture(scope="module")
def alice(flow_stack: FlowStack) -> Person:
    return person(flow_stack)


@pytest.fixture(scope="module")
def alices_sales(flow_stack: FlowStack, alice: Person) -> str:
    """A dataset alice published first: hers, private."""
    published(flow_stack, alice, "alices_sales")
    return "alices_sales"


def test_publishing_under_another_users_name_is_refused_and_leaves_it_unchanged(
    flow_stack: FlowStack, alice: Person, alices_sales: str
) -> None:
    latest = lake(flow_stack).latest_run(alices_sales).run_id
    bob = person(flow_stack)
    own_run = published(flow_stack, bob, "bobs_sales")

    refused = ingest(flow_stack, bob, alices_sales)
    assert refused.status_code == 403, refused.text
    assert f"dataset 'alices_sales' belongs to '{alice.name}'" in refused.json()["detail"]
    over = transform(flow_stack, bob, ["bobs_sales"], alices_sales)
    assert over.status_code == 403, over.text
    assert alice.name in over.json()["detail"]

    runs = call(flow_stack, bob, "GET", "/flows/runs").json()
    assert [run["run_id"] for run in runs] == [own_run], "a refused launch ran"
    assert lake(flow_stack).latest_run(alices_sales).run_id == latest
    detail = call(flow_stack, alice, "GET", f"/lake/datasets/{alices_sales}").json()
    assert (detail["latest_run_id"], detail["owner"]) == (latest, alice.name)


def prefect_run(
    stack: FlowStack, flow: str, owner: str, parameters: dict[str, Any]
) -> dict[str, Any]:
    """A run made in Prefect directly (as a schedule's is, bypassing the gateway's launch
    checks) that belongs to `owner`; returns it once it has ended."""
    api = stack.prefect_api_url
    deployment = prefect_request("GET", f"{api}/deployments/name/{flow}/lakebook")
    assert deployment.status_code == 200, deployment.text
    created = prefect_request(
        "POST",
        f"{api}/deployments/{deployment.json()['id']}/create_flow_run",
        json={"parameters": parameters, "tags": [f"{OWNER_TAG_PREFIX}{owner}"]},
    )
    assert created.status_code == 201, created.text
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        run: dict[str, Any] = prefect_request(
            "GET", f"{api}/flow_runs/{created.json()['id']}"
        ).json()
        if run["state"]["type"] in {"COMPLETED", "FAILED", "CRASHED", "CANCELLED"}:
            return run
        time.sleep(0.3)
    raise AssertionError(f"run {created.json()['id']} did not end within 120 s")


def test_a_run_that_bypasses_the_gateway_is_held_to_its_owners_access(
    flow_stack: FlowStack, alice: Person, alices_sales: str
) -> None:
    latest = lake(flow_stack).latest_run(alices_sales).run_id
    mallory = person(flow_stack)
    published(flow_stack, mallory, "mallorys_sales")

    reads = prefect_run(
        flow_stack,
        "transform_dataset",
        mallory.name,
        {"spec": {"inputs": [{"dataset": alices_sales}], "output": "mallorys_copy"}},
    )
    assert reads["state"]["type"] == "FAILED"
    assert (
        f"there is no published dataset 'alices_sales' that {mallory.name} may read"
        in reads["state"]["message"]
    )
    writes = prefect_run(
        flow_stack,
        "transform_dataset",
        mallory.name,
        {"spec": {"inputs": [{"dataset": "mallorys_sales"}], "output": alices_sales}},
    )
    assert writes["state"]["type"] == "FAILED"
    assert f"belongs to '{alice.name}'" in writes["state"]["message"]

    assert lake(flow_stack).latest_run(alices_sales).run_id == latest
    assert "mallorys_copy" not in {d.name for d in lake(flow_stack).list_datasets()}


def test_a_transform_over_another_users_private_dataset_fails_at_launch_as_if_missing(
    flow_stack: FlowStack, alices_sales: str
) -> None:
    bob = person(flow_stack)
    private = transform(flow_stack, bob, [alices_sales], "bobs_copy")
    missing = transform(flow_stack, bob, ["nobody_has_this"], "bobs_copy")
    assert (private.status_code, missing.status_code) == (422, 422), private.text
    [error] = private.json()["detail"]
    assert error["loc"] == ["body", "parameters", "spec", "inputs", 0, "dataset"]
    assert error["msg"] == (
        "there is no published dataset 'alices_sales' (GET /api/v1/lake/datasets)"
    )
    assert missing.json()["detail"][0]["msg"] == error["msg"].replace(
        "alices_sales", "nobody_has_this"
    )
    assert call(flow_stack, bob, "GET", "/flows/runs").json() == []


def test_listing_and_detail_hide_others_private_datasets(
    flow_stack: FlowStack, alice: Person, alices_sales: str
) -> None:
    bob = person(flow_stack)
    assert alices_sales in listed(flow_stack, alice)
    assert alices_sales not in listed(flow_stack, bob)
    hidden = call(flow_stack, bob, "GET", f"/lake/datasets/{alices_sales}")
    missing = call(flow_stack, bob, "GET", "/lake/datasets/nobody_has_this")
    assert (hidden.status_code, missing.status_code) == (404, 404)
    assert hidden.json()["detail"] == "no dataset 'alices_sales'"
    # Nor are its grants an oracle.
    grants = call(flow_stack, bob, "GET", f"/lake/datasets/{alices_sales}/grants")
    assert grants.status_code == 404
    assert grants.json()["detail"] == "no dataset 'alices_sales'"
    admin = person(flow_stack, "admin")
    assert alices_sales in listed(flow_stack, admin)


def test_a_grant_makes_a_dataset_readable_and_write_lets_others_publish(
    flow_stack: FlowStack, alice: Person
) -> None:
    dataset = "shared_sales"
    published(flow_stack, alice, dataset)
    bob = person(flow_stack)
    assert dataset not in listed(flow_stack, bob)

    granted = share(flow_stack, alice, dataset, bob.name, "read")
    assert granted.status_code == 200, granted.text
    body = granted.json()
    assert (body["dataset"], body["owner"]) == (dataset, alice.name)
    assert [(g["grantee"], g["access"], g["granted_by"]) for g in body["grants"]] == [
        (bob.name, "read", alice.name)
    ]
    assert dataset in listed(flow_stack, bob)
    assert call(flow_stack, bob, "GET", f"/lake/datasets/{dataset}").json()["owner"] == alice.name
    # A reader transforms it into a dataset of their own, but does not publish under it.
    derived = transform(flow_stack, bob, [dataset], "bobs_derived")
    assert derived.status_code == 202, derived.text
    assert wait_for_state(flow_stack, bob.headers, derived.json()["run_id"], 90) == "COMPLETED"
    assert ingest(flow_stack, bob, dataset).status_code == 403
    # A reader cannot share it further.
    assert share(flow_stack, bob, dataset, "*", "read").status_code == 403

    assert share(flow_stack, alice, dataset, bob.name, "write").status_code == 200
    run_id = published(flow_stack, bob, dataset)
    detail = call(flow_stack, alice, "GET", f"/lake/datasets/{dataset}").json()
    assert (detail["latest_run_id"], detail["owner"]) == (run_id, alice.name)

    revoked = call(flow_stack, alice, "DELETE", f"/lake/datasets/{dataset}/grants/{bob.name}")
    assert revoked.status_code == 200, revoked.text
    assert revoked.json()["grants"] == []
    assert dataset not in listed(flow_stack, bob)
    # bob's own dataset no longer names, in its lineage, the input he may not read now.
    lineage = call(flow_stack, bob, "GET", "/lake/datasets/bobs_derived").json()["inputs"]
    assert lineage == []
    # Nor does the result of his own run there.
    result = call(flow_stack, bob, "GET", f"/flows/runs/{run_id}/result")
    assert result.status_code == 404
    assert f"which is not shared with {bob.name}" in result.json()["detail"]


def test_a_viewer_sees_only_what_is_shared_with_them(flow_stack: FlowStack, alice: Person) -> None:
    published(flow_stack, alice, "viewer_one")
    published(flow_stack, alice, "viewer_all")
    viewer = person(flow_stack, "viewer")
    seen = listed(flow_stack, viewer)
    assert {"viewer_one", "viewer_all"}.isdisjoint(seen)

    assert share(flow_stack, alice, "viewer_one", viewer.name, "write").status_code == 200
    assert share(flow_stack, alice, "viewer_all", "*", "read").status_code == 200
    assert {"viewer_one", "viewer_all"} <= listed(flow_stack, viewer)
    assert call(flow_stack, viewer, "GET", "/lake/datasets/viewer_one").status_code == 200
    # A write grant gives a viewer nothing more than reading: the role cannot publish.
    refused = call(flow_stack, viewer, "POST", "/lake/access", json={"publish": ["viewer_one"]})
    assert refused.status_code == 403, refused.text
    # Shared with everyone: every other user reads it too.
    assert "viewer_all" in listed(flow_stack, person(flow_stack))
    assert "viewer_one" not in listed(flow_stack, person(flow_stack))


def test_datasets_the_lake_had_before_owners_are_adopted_readable_by_everyone(
    flow_stack: FlowStack, alice: Person
) -> None:
    """An operator's (no publisher) dataset is nobody's; one whose latest run a user published
    is that user's. Both stay readable by every user, as before owners existed."""
    publisher = lake(flow_stack)
    frame = pl.DataFrame({"n": [1]})
    publisher.publish(frame, dataset="operators_seed", run_id="seed-1", flow_name="script")
    publisher.publish(frame, dataset="alices_old", run_id="old-1", flow_name="x", user="nobody")
    publisher.publish(frame, dataset="alices_old", run_id="old-2", flow_name="x", user=alice.name)
    bob = person(flow_stack)
    assert {"operators_seed", "alices_old"} <= listed(flow_stack, bob)
    old = call(flow_stack, alice, "GET", "/lake/datasets/alices_old/grants").json()
    assert (old["owner"], [(g["grantee"], g["access"]) for g in old["grants"]]) == (
        alice.name,
        [("*", "read")],
    )
    seed_refused = ingest(flow_stack, bob, "operators_seed")
    assert seed_refused.status_code == 403
    assert "has no owner" in seed_refused.json()["detail"]
    assert ingest(flow_stack, bob, "alices_old").status_code == 403
    # The owner makes an adopted dataset private again.
    assert (
        call(flow_stack, alice, "DELETE", "/lake/datasets/alices_old/grants/*").status_code == 200
    )
    assert "alices_old" not in listed(flow_stack, bob)


def test_grants_are_validated_naming_the_field(
    flow_stack: FlowStack, alice: Person, alices_sales: str
) -> None:
    path = f"/lake/datasets/{alices_sales}/grants"
    bad_access = call(flow_stack, alice, "PUT", f"{path}/{alice.name}x", json={"access": "all"})
    assert bad_access.status_code == 422
    assert bad_access.json()["detail"][0]["loc"] == ["body", "access"]
    extra = call(flow_stack, alice, "PUT", f"{path}/*", json={"acess": "read"})
    assert extra.status_code == 422
    assert extra.json()["detail"][0]["loc"] == ["body", "acess"]
    no_user = call(flow_stack, alice, "PUT", f"{path}/no_such_user", json={"access": "read"})
    assert no_user.status_code == 422
    assert no_user.json()["detail"] == [
        {
            "loc": ["path", "grantee"],
            "msg": "there is no user 'no_such_user'",
            "type": "value_error",
        }
    ]
    bad_name = call(flow_stack, alice, "PUT", f"{path}/Not%20A%20User", json={"access": "read"})
    assert bad_name.status_code == 422
    assert bad_name.json()["detail"][0]["loc"] == ["path", "grantee"]
    own = call(flow_stack, alice, "PUT", f"{path}/{alice.name}", json={"access": "read"})
    assert own.status_code == 422
    assert "owns 'alices_sales' already" in own.json()["detail"][0]["msg"]
    listed_grants = call(flow_stack, alice, "GET", path)
    assert listed_grants.status_code == 200
    assert listed_grants.json()["grants"] == []


def test_a_users_own_flow_reads_only_what_its_launcher_may_read(
    flow_stack: FlowStack, alice: Person, alices_sales: str
) -> None:
    """`read_dataset` in a `@lake_flow` (tests/user_flows) asks as the run's owner."""
    bob = person(flow_stack)
    launched = call(
        flow_stack,
        bob,
        "POST",
        "/flows/copy_of/execute",
        json={"parameters": {"dataset": alices_sales}},
    )
    assert launched.status_code == 202, launched.text
    run_id = launched.json()["run_id"]
    assert wait_for_state(flow_stack, bob.headers, run_id, timeout=90) == "FAILED"
    states = call(flow_stack, bob, "GET", f"/flows/runs/{run_id}/states").json()
    failure = states[-1]["message"] or ""
    assert f"there is no published dataset 'alices_sales' that {bob.name} may read" in failure
    assert share(flow_stack, alice, alices_sales, bob.name, "read").status_code == 200
    again = call(
        flow_stack,
        bob,
        "POST",
        "/flows/copy_of/execute",
        json={"parameters": {"dataset": alices_sales}},
    )
    assert wait_for_state(flow_stack, bob.headers, again.json()["run_id"], 90) == "COMPLETED"
    revoked = call(flow_stack, alice, "DELETE", f"/lake/datasets/{alices_sales}/grants/{bob.name}")
    assert revoked.status_code == 200
