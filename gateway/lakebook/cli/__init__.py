"""The `lakebook` command: the embedded stack, users, sign-in, runs and schedules."""
