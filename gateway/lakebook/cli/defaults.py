"""Constants the `lakebook` command's parser needs, kept apart so `--help` imports nothing heavy."""

ADMIN_USER = "admin"
