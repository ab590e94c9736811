"""lakebook's Prefect flows and the lake publisher they write through."""
