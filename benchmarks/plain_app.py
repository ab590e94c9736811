"""The baseline a user would compare against: a plain FastAPI JSON endpoint, no auth, no I/O."""

from fastapi import FastAPI

app = FastAPI()


@app.get("/plain")
def plain() -> dict[str, object]:
    return {"run_id": "00000000-0000-0000-0000-000000000000", "state": "COMPLETED", "ok": True}
