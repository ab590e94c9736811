"""Pure code every lakebook part may import: settings, lake paths and the gateway's API models
(no services, no I/O)."""
