"""The lakebook gateway (FastAPI), the `lakebook` CLI and the embedded stack supervisor."""
