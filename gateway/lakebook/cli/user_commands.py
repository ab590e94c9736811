"""`lakebook user add|list|disable|enable`: manage gateway users in its database."""

from __future__ import annotations

import sys

from sqlalchemy.exc import SQLAlchemyError

from lakebook.cli.console import Console
from lakebook.common.exit_codes import EXIT_FAILURE, EXIT_OK, EXIT_USAGE
from lakebook.common.settings import Settings
from lakebook.gateway.core.security import generate_password
from lakebook.gateway.db import database_error, session_scope
from lakebook.gateway.users import UserError, create_user, list_users, set_disabled


def add_user(
    settings: Settings, console: Console, name: str, role: str, password_from_stdin: bool
) -> int:
    if password_from_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
        generated = False
    else:
        password, generated = generate_password(), True
    try:
        with session_scope(settings.gateway.database) as session:
            create_user(session, name, role, password)
    except UserError as error:
        console.error(str(error))
        return EXIT_USAGE
    except SQLAlchemyError as error:
        console.error(database_error(settings.gateway.database, error))
        return EXIT_FAILURE
    console.say(f"added user {name!r} with role {role}")
    if generated:
        console.say(f"  password (shown once): {password}")
    return EXIT_OK


def show_users(settings: Settings, console: Console) -> int:
    try:
        with session_scope(settings.gateway.database) as session:
            users = list_users(session)
            for user in users:
                state = "disabled" if user.disabled else "active"
                console.say(f"{user.name:<24} {user.role:<8} {state}")
    except SQLAlchemyError as error:
        console.error(database_error(settings.gateway.database, error))
        return EXIT_FAILURE
    return EXIT_OK


def change_disabled(settings: Settings, console: Console, name: str, disabled: bool) -> int:
    try:
        with session_scope(settings.gateway.database) as session:
            set_disabled(session, name, disabled)
    except UserError as error:
        console.error(str(error))
        return EXIT_USAGE
    except SQLAlchemyError as error:
        console.error(database_error(settings.gateway.database, error))
        return EXIT_FAILURE
    console.say(f"user {name!r} {'disabled' if disabled else 'enabled'}")
    return EXIT_OK
