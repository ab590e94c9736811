"""Malformed requests to every gateway route, each with the answer a person can act on: the status,
and the field (or words) the message must name. `{run}` in a path is a real, completed ping run of
the caller's; `{uuid}` a well-formed id nobody has. Nothing here may launch or write anything."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

API = "/api/v1"
DEEP = 100  # a transform spec nested deeper than the gateway's limit (64)
# In the workspace folder (the test writes it): schedule cases fail for their own field only.
SCHEDULED_NOTEBOOK = "bad_inputs/scheduled.ipynb"


@dataclass(frozen=True)
class Case:
    name: str
    method: str
    path: str
    status: int
    # Words the answer must contain: a field's dotted location or part of the message.
    names: tuple[str, ...] = ()
    request: dict[str, Any] = field(default_factory=dict)
    # analyst | viewer | admin | none (no Authorization header) | a raw Authorization value
    caller: str = "analyst"


def nested(depth: int) -> dict[str, Any]:
    expr: dict[str, Any] = {"col": "amount"}
    for _ in range(depth):
        expr = {"op": "+", "left": expr, "right": {"lit": 1}}
    return expr


def transform(spec: Any) -> dict[str, Any]:
    return {"json": {"parameters": {"spec": spec}}}


def spec(**changes: Any) -> dict[str, Any]:
    good: dict[str, Any] = {"inputs": [{"dataset": "sales"}], "output": "totals", "steps": []}
    return {**good, **changes}


def step(body: dict[str, Any]) -> dict[str, Any]:
    return transform(spec(steps=[body]))


def notebook(**parameters: Any) -> dict[str, Any]:
    return {"json": {"parameters": {"notebook": "reports/x.ipynb", **parameters}}}


def ingest(**parameters: Any) -> dict[str, Any]:
    good = {"upload_key": "raw/uploads/nobody/0/data.csv", "dataset": "bad_inputs_target"}
    return {"json": {"parameters": {**good, **parameters}}}


def schedule(**changes: Any) -> dict[str, Any]:
    good = {"notebook": SCHEDULED_NOTEBOOK, "cron": "0 6 * * *"}
    return {"json": {**good, **changes}}


def upload(name: str, content: bytes, media: str = "application/octet-stream") -> dict[str, Any]:
    return {"files": {"file": (name, content, media)}}


NO_PARAMETERS = {"json": {"parameters": {}}}
EXECUTE = f"{API}/flows/{{flow}}/execute"
PING = EXECUTE.format(flow="ping")
TRANSFORM = EXECUTE.format(flow="transform_dataset")
NOTEBOOK = EXECUTE.format(flow="run_notebook")
INGEST = EXECUTE.format(flow="ingest_upload")
RUNS = f"{API}/flows/runs"
SCHEDULES = f"{API}/notebooks/schedules"
DATASETS = f"{API}/lake/datasets"

AUTH_CASES = [
    Case("token without a body", "POST", f"{API}/auth/token", 422, ("username", "password")),
    Case(
        "token without a password",
        "POST",
        f"{API}/auth/token",
        422,
        ("password",),
        {"data": {"username": "ana"}},
    ),
    Case(
        "token without a user name",
        "POST",
        f"{API}/auth/token",
        422,
        ("username",),
        {"data": {"password": "x"}},
    ),
    Case(
        "token as JSON instead of a form",
        "POST",
        f"{API}/auth/token",
        422,
        ("username",),
        {"json": {"username": "ana", "password": "x"}},
    ),
    Case(
        "token for a user nobody has",
        "POST",
        f"{API}/auth/token",
        401,
        ("incorrect user name or password",),
        {"data": {"username": "nobody_here_at_all", "password": "x"}},
    ),
    Case(
        "token with a 10 000-character user name",
        "POST",
        f"{API}/auth/token",
        401,
        ("incorrect user name or password",),
        {"data": {"username": "a" * 10_000, "password": "x"}},
    ),
    Case(
        "token with a 10 000-character password",
        "POST",
        f"{API}/auth/token",
        401,
        ("incorrect user name or password",),
        {"data": {"username": "ana", "password": "p" * 10_000}},
    ),
    Case("refresh without a body", "POST", f"{API}/auth/refresh", 422, ("body",)),
    Case(
        "refresh with an empty object",
        "POST",
        f"{API}/auth/refresh",
        422,
        ("refresh_token",),
        {"json": {}},
    ),
    Case(
        "refresh with an empty token",
        "POST",
        f"{API}/auth/refresh",
        422,
        ("refresh_token",),
        {"json": {"refresh_token": ""}},
    ),
    Case(
        "refresh with a number",
        "POST",
        f"{API}/auth/refresh",
        422,
        ("refresh_token",),
        {"json": {"refresh_token": 12}},
    ),
    Case(
        "refresh with a 600-character token",
        "POST",
        f"{API}/auth/refresh",
        422,
        ("refresh_token",),
        {"json": {"refresh_token": "r" * 600}},
    ),
    Case(
        "refresh with a token nobody issued",
        "POST",
        f"{API}/auth/refresh",
        401,
        ("refresh token",),
        {"json": {"refresh_token": "not-a-refresh-token"}},
    ),
    Case(
        "refresh with a JSON list",
        "POST",
        f"{API}/auth/refresh",
        422,
        ("body",),
        {"json": ["refresh_token"]},
    ),
    Case(
        "refresh with broken JSON",
        "POST",
        f"{API}/auth/refresh",
        422,
        ("JSON",),
        {"content": b"{refresh_token:", "headers": {"Content-Type": "application/json"}},
    ),
    Case("logout without a body", "POST", f"{API}/auth/logout", 422, ("body",)),
    Case(
        "logout with an empty token",
        "POST",
        f"{API}/auth/logout",
        422,
        ("refresh_token",),
        {"json": {"refresh_token": ""}},
    ),
    Case(
        "me without a token",
        "GET",
        f"{API}/auth/me",
        401,
        ("Authorization: Bearer",),
        caller="none",
    ),
    Case("me with 'Bearer' only", "GET", f"{API}/auth/me", 401, (), caller="Bearer"),
    Case("me with a token that is no JWT", "GET", f"{API}/auth/me", 401, (), caller="Bearer abc"),
    Case("me with Basic auth", "GET", f"{API}/auth/me", 401, (), caller="Basic YWRtaW46YWRtaW4="),
    Case(
        "me with an 8 KiB Authorization header",
        "GET",
        f"{API}/auth/me",
        401,
        (),
        caller="Bearer " + "a" * 8192,
    ),
]

FLOW_CASES = [
    Case(
        "an unknown flow",
        "POST",
        EXECUTE.format(flow="no_such_flow"),
        404,
        ("no_such_flow",),
        NO_PARAMETERS,
    ),
    Case("a flow name with a slash", "POST", EXECUTE.format(flow="a%2Fb"), 404, (), NO_PARAMETERS),
    Case(
        "a flow name of 500 characters",
        "POST",
        EXECUTE.format(flow="f" * 500),
        404,
        (),
        NO_PARAMETERS,
    ),
    Case("execute without a body", "POST", PING, 422, ("body",)),
    Case(
        "execute with broken JSON",
        "POST",
        PING,
        422,
        ("JSON",),
        {"content": b"{", "headers": {"Content-Type": "application/json"}},
    ),
    Case("parameters as a list", "POST", PING, 422, ("parameters",), {"json": {"parameters": []}}),
    Case(
        "parameters as a string",
        "POST",
        PING,
        422,
        ("parameters",),
        {"json": {"parameters": "message=x"}},
    ),
    Case("a body that is a list", "POST", PING, 422, ("body",), {"json": [1, 2]}),
    Case(
        "an unknown field beside parameters",
        "POST",
        PING,
        422,
        ("body.param", "not permitted"),
        {"json": {"parameters": {}, "param": {}}},
    ),
    Case(
        "ping with an unknown parameter",
        "POST",
        PING,
        422,
        ("colour",),
        {"json": {"parameters": {"colour": "red"}}},
    ),
    Case(
        "ping with a negative wait",
        "POST",
        PING,
        422,
        ("wait_seconds",),
        {"json": {"parameters": {"wait_seconds": -1}}},
    ),
    Case(
        "ping with a wait over the limit",
        "POST",
        PING,
        422,
        ("wait_seconds",),
        {"json": {"parameters": {"wait_seconds": 100_000}}},
    ),
    Case(
        "ping with a text wait",
        "POST",
        PING,
        422,
        ("wait_seconds",),
        {"json": {"parameters": {"wait_seconds": "soon"}}},
    ),
    Case(
        "ping with an object message",
        "POST",
        PING,
        422,
        ("message",),
        {"json": {"parameters": {"message": {"a": 1}}}},
    ),
    Case(
        "a viewer launching",
        "POST",
        PING,
        403,
        ("viewer",),
        {"json": {"parameters": {}}},
        caller="viewer",
    ),
    Case(
        "an idempotency key of 1000 characters",
        "POST",
        PING,
        422,
        ("idempotency",),
        {"json": {"parameters": {"wait_seconds": -1}}, "headers": {"Idempotency-Key": "k" * 1000}},
    ),
    Case("transform without a spec", "POST", TRANSFORM, 422, ("spec",), transform(None)),
    Case("transform with a spec list", "POST", TRANSFORM, 422, ("spec",), transform([1])),
    Case(
        "transform without inputs", "POST", TRANSFORM, 422, ("inputs",), transform(spec(inputs=[]))
    ),
    Case(
        "transform with a bad input name",
        "POST",
        TRANSFORM,
        422,
        ("dataset",),
        transform(spec(inputs=[{"dataset": "../secrets"}])),
    ),
    Case(
        "transform with an upper-case input",
        "POST",
        TRANSFORM,
        422,
        ("dataset",),
        transform(spec(inputs=[{"dataset": "Sales"}])),
    ),
    Case(
        "transform with a run id that is not one",
        "POST",
        TRANSFORM,
        422,
        ("run_id",),
        transform(spec(inputs=[{"dataset": "sales", "run_id": "../../x"}])),
    ),
    Case(
        "transform without an output",
        "POST",
        TRANSFORM,
        422,
        ("output",),
        transform({"inputs": [{"dataset": "sales"}], "steps": []}),
    ),
    Case(
        "transform with a path as output",
        "POST",
        TRANSFORM,
        422,
        ("output",),
        transform(spec(output="processed/flows/x")),
    ),
    Case(
        "transform with an output of 300 characters",
        "POST",
        TRANSFORM,
        422,
        ("output",),
        transform(spec(output="o" * 300)),
    ),
    Case(
        "transform with steps as an object",
        "POST",
        TRANSFORM,
        422,
        ("steps",),
        transform(spec(steps={"step": "limit"})),
    ),
    Case("an unknown step", "POST", TRANSFORM, 422, ("pivot",), step({"step": "pivot"})),
    Case("a step without its kind", "POST", TRANSFORM, 422, ("step is missing",), step({"n": 3})),
    Case(
        "limit with a negative n", "POST", TRANSFORM, 422, ("n",), step({"step": "limit", "n": -1})
    ),
    Case(
        "limit with a text n",
        "POST",
        TRANSFORM,
        422,
        ("n",),
        step({"step": "limit", "n": "three"}),
    ),
    Case("select without columns", "POST", TRANSFORM, 422, ("columns",), step({"step": "select"})),
    Case(
        "select with a number as column",
        "POST",
        TRANSFORM,
        422,
        ("columns",),
        step({"step": "select", "columns": [3]}),
    ),
    Case("sort without by", "POST", TRANSFORM, 422, ("by",), step({"step": "sort"})),
    Case(
        "group_by with an unknown aggregate",
        "POST",
        TRANSFORM,
        422,
        ("total",),
        step(
            {
                "step": "group_by",
                "by": ["region"],
                "aggs": [{"name": "t", "expr": {"agg": "total", "col": "amount"}}],
            }
        ),
    ),
    Case(
        "group_by without by",
        "POST",
        TRANSFORM,
        422,
        ("by",),
        step({"step": "group_by", "aggs": [{"name": "t", "expr": {"agg": "sum", "col": "a"}}]}),
    ),
    Case(
        "filter with an unknown operator",
        "POST",
        TRANSFORM,
        422,
        ("condition.op",),
        step(
            {"step": "filter", "condition": {"op": "~~", "left": {"col": "a"}, "right": {"lit": 1}}}
        ),
    ),
    Case(
        "filter without a condition",
        "POST",
        TRANSFORM,
        422,
        ("condition",),
        step({"step": "filter"}),
    ),
    Case(
        "with_columns with a nameless column",
        "POST",
        TRANSFORM,
        422,
        ("name",),
        step({"step": "with_columns", "columns": [{"expr": {"lit": 1}}]}),
    ),
    Case(
        "join without a right side",
        "POST",
        TRANSFORM,
        422,
        ("right",),
        step({"step": "join", "on": ["id"]}),
    ),
    Case(
        "an expression nested 100 deep",
        "POST",
        TRANSFORM,
        422,
        ("deep",),
        step({"step": "with_columns", "columns": [{"name": "x", "expr": nested(DEEP)}]}),
    ),
    Case("notebook without a notebook", "POST", NOTEBOOK, 422, ("notebook",), {"json": {}}),
    Case(
        "a notebook above the workspace",
        "POST",
        NOTEBOOK,
        422,
        ("notebook",),
        notebook(notebook="../../etc/passwd.ipynb"),
    ),
    Case(
        "a notebook that is no .ipynb",
        "POST",
        NOTEBOOK,
        422,
        ("notebook",),
        notebook(notebook="reports/x.py"),
    ),
    Case(
        "a lake notebook key with a query",
        "POST",
        NOTEBOOK,
        422,
        ("notebook",),
        notebook(notebook="raw/notebooks/x.ipynb?versionId=1"),
    ),
    Case(
        "a lake notebook key with a fragment",
        "POST",
        NOTEBOOK,
        422,
        ("notebook",),
        notebook(notebook="raw/notebooks/x.ipynb#cell"),
    ),
    Case(
        "an absolute notebook path",
        "POST",
        NOTEBOOK,
        422,
        ("notebook",),
        notebook(notebook="/etc/x.ipynb"),
    ),
    Case(
        "notebook parameters as a list",
        "POST",
        NOTEBOOK,
        422,
        ("parameters",),
        notebook(parameters=[1]),
    ),
    Case(
        "a cell timeout of 0",
        "POST",
        NOTEBOOK,
        422,
        ("timeout_seconds",),
        notebook(timeout_seconds=0),
    ),
    Case(
        "a cell timeout of ten years",
        "POST",
        NOTEBOOK,
        422,
        ("timeout_seconds",),
        notebook(timeout_seconds=315_360_000),
    ),
    Case(
        "a kernel name with a slash",
        "POST",
        NOTEBOOK,
        422,
        ("kernel_name",),
        notebook(kernel_name="../python3"),
    ),
    Case(
        "a report name of 500 characters",
        "POST",
        NOTEBOOK,
        422,
        ("report_name",),
        notebook(report_name="r" * 500),
    ),
    Case("ingest without an upload", "POST", INGEST, 422, ("upload_key",), ingest(upload_key=None)),
    Case(
        "ingest of a key outside uploads",
        "POST",
        INGEST,
        404,
        ("no upload",),
        ingest(upload_key="processed/flows/x/1/output.parquet"),
    ),
    Case(
        "ingest of a key with ..",
        "POST",
        INGEST,
        404,
        ("no upload",),
        ingest(upload_key="raw/uploads/../../secrets.json"),
    ),
    Case(
        "ingest under a bad dataset name",
        "POST",
        INGEST,
        422,
        ("dataset",),
        ingest(dataset="My Data"),
    ),
    Case(
        "ingest with an unknown column type",
        "POST",
        INGEST,
        422,
        ("column_types",),
        ingest(column_types={"a": "money"}),
    ),
    Case(
        "ingest with a reject fraction over 1",
        "POST",
        INGEST,
        422,
        ("max_reject_fraction",),
        ingest(max_reject_fraction=2),
    ),
]

RUN_CASES = [
    Case("runs with limit 0", "GET", RUNS, 422, ("limit",), {"params": {"limit": 0}}),
    Case("runs with limit 1e6", "GET", RUNS, 422, ("limit",), {"params": {"limit": 1_000_000}}),
    Case("runs with a text limit", "GET", RUNS, 422, ("limit",), {"params": {"limit": "all"}}),
    Case("runs with offset -1", "GET", RUNS, 422, ("offset",), {"params": {"offset": -1}}),
    Case("a run id nobody has", "GET", f"{RUNS}/{{uuid}}", 404, ()),
    Case("a run id that is no uuid", "GET", f"{RUNS}/not-a-run", 404, ("not-a-run",)),
    Case("a run id of 300 characters", "GET", f"{RUNS}/{'r' * 300}", 404, ()),
    Case("logs of a run nobody has", "GET", f"{RUNS}/{{uuid}}/logs", 404, ()),
    Case(
        "logs with limit -5",
        "GET",
        f"{RUNS}/{{run}}/logs",
        422,
        ("limit",),
        {"params": {"limit": -5}},
    ),
    Case(
        "logs with a text offset",
        "GET",
        f"{RUNS}/{{run}}/logs",
        422,
        ("offset",),
        {"params": {"offset": "x"}},
    ),
    Case("states of a run nobody has", "GET", f"{RUNS}/{{uuid}}/states", 404, ()),
    Case("events of a run nobody has", "GET", f"{RUNS}/{{uuid}}/events", 404, ()),
    Case("the result of a run nobody has", "GET", f"{RUNS}/{{uuid}}/result", 404, ()),
    Case(
        "a result with rows -1",
        "GET",
        f"{RUNS}/{{run}}/result",
        422,
        ("rows",),
        {"params": {"rows": -1}},
    ),
    Case(
        "a result with a million rows",
        "GET",
        f"{RUNS}/{{run}}/result",
        422,
        ("rows",),
        {"params": {"rows": 1_000_000}},
    ),
    Case(
        "a result whose URLs expire at once",
        "GET",
        f"{RUNS}/{{run}}/result",
        422,
        ("expires_in",),
        {"params": {"expires_in": 0}},
    ),
    Case(
        "a result whose URLs last a year",
        "GET",
        f"{RUNS}/{{run}}/result",
        422,
        ("expires_in",),
        {"params": {"expires_in": 31_536_000}},
    ),
    Case(
        "the result of a ping run", "GET", f"{RUNS}/{{run}}/result", 404, ("no published result",)
    ),
    Case("the report of a ping run", "GET", f"{RUNS}/{{run}}/report", 404, ("report",)),
    Case("cancelling a run nobody has", "POST", f"{RUNS}/{{uuid}}/cancel", 404, ()),
    Case("cancelling a finished run", "POST", f"{RUNS}/{{run}}/cancel", 409, ("COMPLETED",)),
    Case(
        "another user's run",
        "GET",
        f"{RUNS}/{{run}}",
        404,
        (),
        caller="other-analyst",
    ),
    Case(
        "another user's run's logs",
        "GET",
        f"{RUNS}/{{run}}/logs",
        404,
        (),
        caller="other-analyst",
    ),
    Case(
        "cancelling another user's run",
        "POST",
        f"{RUNS}/{{run}}/cancel",
        404,
        (),
        caller="other-analyst",
    ),
    Case("runs without a token", "GET", RUNS, 401, (), caller="none"),
    Case(
        "reports with limit 0", "GET", f"{API}/reports", 422, ("limit",), {"params": {"limit": 0}}
    ),
]

SCHEDULE_CASES = [
    Case("a schedule without a body", "POST", SCHEDULES, 422, ("body",)),
    Case(
        "a schedule without a notebook",
        "POST",
        SCHEDULES,
        422,
        ("notebook",),
        {"json": {"cron": "0 6 * * *"}},
    ),
    Case(
        "a schedule without a cron",
        "POST",
        SCHEDULES,
        422,
        ("cron",),
        {"json": {"notebook": "reports/x.ipynb"}},
    ),
    Case("a cron of one word", "POST", SCHEDULES, 422, ("cron",), schedule(cron="daily")),
    Case(
        "a cron of seven fields",
        "POST",
        SCHEDULES,
        422,
        ("not five",),
        schedule(cron="* * * * * * *"),
    ),
    Case(
        "a cron with seconds", "POST", SCHEDULES, 422, ("6 fields",), schedule(cron="*/5 * * * * *")
    ),
    Case("a cron minute of 61", "POST", SCHEDULES, 422, ("cron",), schedule(cron="61 * * * *")),
    Case("a cron day of 32", "POST", SCHEDULES, 422, ("cron",), schedule(cron="0 6 32 * *")),
    Case("an empty cron", "POST", SCHEDULES, 422, ("cron",), schedule(cron="")),
    Case(
        "a cron of 200 characters",
        "POST",
        SCHEDULES,
        422,
        ("cron",),
        schedule(cron="1," * 100 + "2 * * * *"),
    ),
    Case(
        "a time zone nobody has",
        "POST",
        SCHEDULES,
        422,
        ("timezone",),
        schedule(timezone="Mars/Olympus"),
    ),
    Case(
        "a time zone of 100 characters",
        "POST",
        SCHEDULES,
        422,
        ("timezone",),
        schedule(timezone="Z" * 100),
    ),
    Case(
        "a scheduled notebook above the workspace",
        "POST",
        SCHEDULES,
        422,
        ("notebook",),
        schedule(notebook="../x.ipynb"),
    ),
    Case(
        "a scheduled notebook that is no .ipynb",
        "POST",
        SCHEDULES,
        422,
        ("notebook",),
        schedule(notebook="reports/x.txt"),
    ),
    Case(
        "a scheduled notebook that does not exist",
        "POST",
        SCHEDULES,
        422,
        ("notebook",),
        schedule(notebook="reports/not_there.ipynb"),
    ),
    Case(
        "schedule parameters as a list",
        "POST",
        SCHEDULES,
        422,
        ("parameters",),
        schedule(parameters=[1]),
    ),
    Case(
        "a schedule timeout of 0",
        "POST",
        SCHEDULES,
        422,
        ("timeout_seconds",),
        schedule(timeout_seconds=0),
    ),
    Case(
        "a schedule report name of 300 characters",
        "POST",
        SCHEDULES,
        422,
        ("report_name",),
        schedule(report_name="r" * 300),
    ),
    Case(
        "a schedule name with a slash",
        "POST",
        SCHEDULES,
        422,
        ("name",),
        schedule(name="a/b"),
    ),
    Case(
        "an unknown schedule field",
        "POST",
        SCHEDULES,
        422,
        ("every",),
        schedule(every="day"),
    ),
    Case(
        "a viewer scheduling",
        "POST",
        SCHEDULES,
        403,
        ("viewer",),
        schedule(),
        caller="viewer",
    ),
    Case(
        "pausing a schedule nobody has",
        "PATCH",
        f"{SCHEDULES}/nope",
        404,
        ("nope",),
        {"json": {"active": False}},
    ),
    Case("a change without active", "PATCH", f"{SCHEDULES}/nope", 422, ("active",), {"json": {}}),
    Case(
        "a change with active as a list",
        "PATCH",
        f"{SCHEDULES}/nope",
        422,
        ("active",),
        {"json": {"active": [True]}},
    ),
    Case("deleting a schedule nobody has", "DELETE", f"{SCHEDULES}/nope", 404, ("nope",)),
    Case("a schedule id of 500 characters", "DELETE", f"{SCHEDULES}/{'s' * 500}", 404, ()),
]

LAKE_CASES = [
    Case("a dataset nobody has", "GET", f"{DATASETS}/no_such_dataset", 404, ("no_such_dataset",)),
    Case("an upper-case dataset name", "GET", f"{DATASETS}/Sales", 404, ("Sales",)),
    Case("a dataset name with dots", "GET", f"{DATASETS}/..", 404, ()),
    Case("a dataset name of 300 characters", "GET", f"{DATASETS}/{'d' * 300}", 404, ()),
    Case("grants of a dataset nobody has", "GET", f"{DATASETS}/no_such/grants", 404, ("no_such",)),
    Case(
        "sharing a dataset nobody has",
        "PUT",
        f"{DATASETS}/no_such/grants/bob",
        404,
        ("no_such",),
        {"json": {"access": "read"}},
    ),
    Case(
        "a grant of 'admin' access",
        "PUT",
        f"{DATASETS}/no_such/grants/bob",
        422,
        ("access",),
        {"json": {"access": "admin"}},
    ),
    Case(
        "a grant with an unknown field",
        "PUT",
        f"{DATASETS}/no_such/grants/bob",
        422,
        ("until",),
        {"json": {"access": "read", "until": "never"}},
    ),
    Case(
        "a grant as a list",
        "PUT",
        f"{DATASETS}/no_such/grants/bob",
        422,
        ("body",),
        {"json": ["read"]},
    ),
    Case(
        "a grantee with spaces",
        "PUT",
        f"{DATASETS}/no_such/grants/two%20words",
        422,
        ("grantee",),
        {"json": {"access": "read"}},
    ),
    Case(
        "a grantee of 100 characters",
        "PUT",
        f"{DATASETS}/no_such/grants/{'g' * 100}",
        422,
        ("grantee",),
        {"json": {"access": "read"}},
    ),
    Case(
        "unsharing a dataset nobody has",
        "DELETE",
        f"{DATASETS}/no_such/grants/bob",
        404,
        ("no_such",),
    ),
    Case("an access check without a body", "POST", f"{API}/lake/access", 422, ("body",)),
    Case(
        "an access check with a bad name",
        "POST",
        f"{API}/lake/access",
        422,
        ("read",),
        {"json": {"read": ["../x"]}},
    ),
    Case(
        "an access check of 100 datasets",
        "POST",
        f"{API}/lake/access",
        422,
        ("read",),
        {"json": {"read": [f"d{i}" for i in range(100)]}},
    ),
    Case(
        "an access check with read as text",
        "POST",
        f"{API}/lake/access",
        422,
        ("read",),
        {"json": {"read": "sales"}},
    ),
    Case(
        "an access check with an unknown field",
        "POST",
        f"{API}/lake/access",
        422,
        ("delete",),
        {"json": {"delete": ["sales"]}},
    ),
    Case("datasets without a token", "GET", DATASETS, 401, (), caller="none"),
]

UPLOAD = f"{API}/lake/uploads"
UPLOAD_CASES = [
    Case("an upload without a file", "POST", UPLOAD, 400, ("'file'",), {"data": {"x": "1"}}),
    Case(
        "an upload as JSON",
        "POST",
        UPLOAD,
        400,
        ("file",),
        {"json": {"file": "a,b\n1,2\n"}},
    ),
    Case("an empty file", "POST", UPLOAD, 415, ("data.csv is empty",), upload("data.csv", b"")),
    Case("a file of blanks", "POST", UPLOAD, 415, ("empty",), upload("data.csv", b" \n\n ")),
    Case(
        "an executable",
        "POST",
        UPLOAD,
        415,
        (".exe",),
        upload("tool.exe", b"MZ\x90\x00\x03\x00\x00\x00"),
    ),
    Case(
        "binary bytes called .csv",
        "POST",
        UPLOAD,
        415,
        ("csv",),
        upload("data.csv", bytes(range(256)) * 4),
    ),
    Case(
        "garbage called .parquet",
        "POST",
        UPLOAD,
        415,
        ("parquet",),
        upload("data.parquet", b"not parquet at all"),
    ),
    Case(
        "JSON that is no notebook called .ipynb",
        "POST",
        UPLOAD,
        415,
        ("notebook",),
        upload("report.ipynb", b'{"cells": 3}'),
    ),
    Case(
        "a viewer uploading",
        "POST",
        UPLOAD,
        403,
        ("viewer",),
        upload("data.csv", b"a,b\n1,2\n"),
        caller="viewer",
    ),
    Case(
        "a multipart body cut short",
        "POST",
        UPLOAD,
        400,
        (),
        {
            "content": b"--XX\r\nContent-Disposition: form-data; "
            b'name="file"; filename="a.csv"\r\n\r\na,b\n',
            "headers": {"Content-Type": "multipart/form-data; boundary=XX"},
        },
    ),
]

HEALTH_CASES = [
    Case("an unknown route", "GET", f"{API}/nothing/here", 404, ()),
    Case("DELETE on the runs list", "DELETE", RUNS, 405, ()),
    Case("PUT on the datasets list", "PUT", DATASETS, 405, ()),
    Case("POST on healthz", "POST", "/healthz", 405, ()),
]

ALL_CASES = (
    AUTH_CASES + FLOW_CASES + RUN_CASES + SCHEDULE_CASES + LAKE_CASES + UPLOAD_CASES + HEALTH_CASES
)
