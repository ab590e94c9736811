"""Exit codes of lakebook's processes: the `lakebook` command and the gateway server."""

EXIT_OK = 0
EXIT_FAILURE = 1
# A usage mistake: bad arguments or settings (argparse uses 2 as well).
EXIT_USAGE = 2
# What shells report for a command stopped with Ctrl-C (128 + SIGINT).
EXIT_INTERRUPTED = 130
