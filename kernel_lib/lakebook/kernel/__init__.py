"""lakebook inside the Jupyter kernel: DuckDB magics, the gateway client and widgets."""
