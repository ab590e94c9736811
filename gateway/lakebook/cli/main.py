"""The `lakebook` command: run the embedded stack, check it, manage users, sign in and run flows."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

from lakebook.cli.console import Console
from lakebook.cli.defaults import ADMIN_USER
from lakebook.common.exit_codes import EXIT_INTERRUPTED, EXIT_USAGE

# Each sub-command's module is imported when it runs, not here: `--help` and usage errors must
# not pay for Prefect, SQLAlchemy and the kernel client (seconds on a busy machine).

ROLES = ("viewer", "analyst", "admin")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="lakebook", description=__doc__)
    parser.add_argument(
        "--debug", action="store_true", help="show full tracebacks instead of one line per error"
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    up = commands.add_parser("up", help="run the embedded stack until Ctrl-C")
    up.add_argument("--no-lab", action="store_true", help="do not start JupyterLab")
    _add_data_dir(up)
    up.add_argument(
        "--notebook-dir", type=Path, default=Path.cwd(), help="JupyterLab's root (default: here)"
    )
    up.add_argument(
        "--prefect-db",
        choices=("sqlite", "postgres"),
        help="Prefect's database (LAKEBOOK_PREFECT_DB): sqlite in the data dir (the default), or "
        "postgres: the server at LAKEBOOK_PREFECT_DATABASE_URL, else one started from the "
        "machine's PostgreSQL binaries",
    )
    _add_data_dir(commands.add_parser("status", help="show which embedded services are up"))

    login = commands.add_parser("login", help="sign in to the gateway; kernels use the token")
    login.add_argument("name", nargs="?", metavar="USER", help="user name (or --user)")
    login.add_argument("--user", help="user name (asked for when missing)")
    login.add_argument(
        "--password-stdin", action="store_true", help="read the password from standard input"
    )
    _add_data_dir(login)
    run = commands.add_parser("run", help="launch a flow through the gateway and follow it")
    run.add_argument("flow", help="flow name, as `GET /flows/deployments` lists it")
    run.add_argument(
        "-p", dest="parameters", action="append", default=[], metavar="KEY=VALUE",
        help="a parameter (values read as JSON when they are: 3, true, [1,2])",
    )  # fmt: skip
    run.add_argument("--no-wait", action="store_true", help="print the run id and return")
    _add_data_dir(run)

    reports = commands.add_parser("reports", help="list your notebook reports, newest first")
    reports.add_argument(
        "--limit", type=_report_limit, default=20, help="notebook runs to look at (1-100)"
    )
    reports.add_argument("--schedule", metavar="NAME", help="only the runs of your schedule NAME")
    _add_data_dir(reports)
    _add_share_parser(commands)
    user = commands.add_parser("user", help="manage gateway users")
    user_commands = user.add_subparsers(dest="user_command", required=True, metavar="ACTION")
    add = user_commands.add_parser("add", help="add a user (prints a generated password)")
    add.add_argument("name")
    add.add_argument("--role", choices=ROLES, required=True)
    add.add_argument(
        "--password-stdin", action="store_true", help="read the password from standard input"
    )
    _add_data_dir(add)
    _add_data_dir(user_commands.add_parser("list", help="list users"))
    for action in ("disable", "enable"):
        toggle = user_commands.add_parser(action, help=f"{action} a user")
        toggle.add_argument("name")
        _add_data_dir(toggle)
    _add_schedule_parser(commands)
    return parser


def _add_share_parser(commands: Any) -> None:
    share = commands.add_parser(
        "share", help="share a dataset you own, stop sharing it, or show whom it is shared with"
    )
    share.add_argument("dataset")
    grantee = share.add_mutually_exclusive_group()
    grantee.add_argument("--with", dest="grantee", metavar="USER", help="the user to share with")
    grantee.add_argument(
        "--everyone", dest="grantee", action="store_const", const="*", help="every user"
    )
    share.add_argument(
        "--access", choices=("read", "write"), default="read",
        help="read (default), or write: publish runs under the dataset's name too",
    )  # fmt: skip
    share.add_argument("--remove", action="store_true", help="stop sharing with them")
    _add_data_dir(share)


def _add_schedule_parser(commands: Any) -> None:
    schedule = commands.add_parser(
        "schedule",
        help="run a notebook on a cron schedule; or list | pause NAME | resume NAME | delete NAME",
    )
    schedule.add_argument("target", metavar="NOTEBOOK.ipynb|list|pause|resume|delete")
    schedule.add_argument("schedule_name", nargs="?", metavar="NAME")
    schedule.add_argument("--cron", help='e.g. "0 6 * * *" (minute hour day month weekday)')
    schedule.add_argument("--timezone", default="UTC", help="IANA name, e.g. Europe/Paris")
    schedule.add_argument(
        "-p", dest="parameter", action="append", default=[], metavar="KEY=VALUE",
        help="a notebook parameter, read as the type its parameters cell declares",
    )  # fmt: skip
    schedule.add_argument("--name", help="the schedule's name (default: the notebook's)")
    schedule.add_argument(
        "--owner", default=ADMIN_USER, help=f"whose schedule (default {ADMIN_USER})"
    )
    schedule.add_argument("--all", action="store_true", help="list: everyone's schedules")
    _add_data_dir(schedule)


def _report_limit(text: str) -> int:
    """--limit of `reports`, in the gateway's bounds, refused here with argparse's usage error."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if not 1 <= value <= 100:
        raise argparse.ArgumentTypeError(f"{value} is not between 1 and 100")
    return value


def _add_data_dir(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--data-dir",
        type=Path,
        help="where data lives (default: $LAKEBOOK_DATA_DIR, else ~/.lakebook)",
    )


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    console = Console(debug=args.debug)
    try:
        return _run(args, console)
    except BrokenPipeError:
        # `lakebook status | head`: the reader left. Nothing more can be printed; say nothing.
        _detach_stdout()
        return EXIT_BROKEN_PIPE
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED


# What a shell reports for a command killed by SIGPIPE (128 + 13), as `yes | head` gives.
EXIT_BROKEN_PIPE = 141


def _detach_stdout() -> None:
    """Points stdout at /dev/null so the interpreter's final flush does not fail a second time."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())


def _run(args: argparse.Namespace, console: Console) -> int:
    from lakebook.common.settings import SettingsError, load_settings

    overrides: dict[str, Any] = {"data_dir": args.data_dir} if args.data_dir else {}
    if getattr(args, "prefect_db", None):
        overrides["prefect_db"] = args.prefect_db
    try:
        settings = load_settings(**overrides)
    except SettingsError as error:
        console.error(f"invalid settings: {error}")
        return EXIT_USAGE
    if args.command == "up":
        from lakebook.cli.stack.commands import run_up

        return run_up(settings, console, with_lab=not args.no_lab, notebook_dir=args.notebook_dir)
    if args.command == "status":
        from lakebook.cli.stack.status import run_status

        return run_status(settings, console)
    if args.command == "reports":
        from lakebook.cli.client_commands import show_reports

        return show_reports(settings, console, args.limit, args.schedule)
    if args.command == "share":
        from lakebook.cli.client_commands import share_dataset

        return share_dataset(
            settings, console, args.dataset, args.grantee, args.access, remove=args.remove
        )
    if args.command in ("login", "run"):
        from lakebook.cli import client_commands as client

        if args.command == "login":
            if args.name and args.user and args.name != args.user:
                console.error(f"two user names: {args.name!r} and --user {args.user!r}")
                return EXIT_USAGE
            user = args.name or args.user
            return client.run_login(settings, console, user, args.password_stdin)
        return client.run_flow(settings, console, args.flow, args.parameters, wait=not args.no_wait)
    if args.command == "schedule":
        from lakebook.cli.schedule_commands import run_schedule_command

        return run_schedule_command(settings, console, args)
    from lakebook.cli import user_commands as users

    if args.user_command == "add":
        return users.add_user(settings, console, args.name, args.role, args.password_stdin)
    if args.user_command == "list":
        return users.show_users(settings, console)
    return users.change_disabled(settings, console, args.name, args.user_command == "disable")


if __name__ == "__main__":
    sys.exit(main())
