"""Pure code every lakebook part may import: settings and lake paths (no services, no I/O)."""
