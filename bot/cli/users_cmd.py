"""``repairbot users``: console accounts — add, list, disable/enable, passwd, check (first admin)."""

from __future__ import annotations

import argparse
import getpass
import sys

ROLES = ("operator", "manager", "admin")


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``users`` command group."""
    parser = subparsers.add_parser("users", help="console accounts: add, list, disable, enable, passwd, check")
    sub = parser.add_subparsers(dest="users_command", metavar="ACTION", required=True)
    add = sub.add_parser("add", help="create an account (password from a prompt, or stdin with --password-stdin)")
    add.add_argument("name", metavar="NAME", help="login name: letters, digits, . _ -")
    add.add_argument("--role", choices=ROLES, required=True,
                     help="operator: takes over chats; manager: feedback summary and digests; admin: both")
    add.add_argument("--display-name", help="shown to colleagues (default: NAME)")
    _password_options(add)
    add.set_defaults(func=_add)
    lst = sub.add_parser("list", help="list accounts")
    lst.add_argument("--url", help="database URL (default: DATABASE_URL or the SQLite file under ./data)")
    lst.set_defaults(func=_list)
    for name, active in (("disable", False), ("enable", True)):
        p = sub.add_parser(name, help=f"{name} an account" + (" (its sessions end)" if not active else ""))
        p.add_argument("name", metavar="NAME")
        p.add_argument("--url", help="database URL (default: DATABASE_URL or the SQLite file under ./data)")
        p.set_defaults(func=_set_active, active=active)
    pw = sub.add_parser("passwd", help="set a new password (the account's sessions end)")
    pw.add_argument("name", metavar="NAME")
    _password_options(pw)
    pw.set_defaults(func=_passwd)
    chk = sub.add_parser("check", help="say how to create the first admin when there is none (used by make run)")
    chk.add_argument("--url", help="database URL (default: DATABASE_URL or the SQLite file under ./data)")
    chk.set_defaults(func=_check)


def _password_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--password-stdin", action="store_true",
                        help="read the password from the first line of standard input (for scripts)")
    parser.add_argument("--url", help="database URL (default: DATABASE_URL or the SQLite file under ./data)")


def _read_password(args: argparse.Namespace) -> str | None:
    """The new password from stdin or an interactive prompt typed twice; None when it cannot be read."""
    if args.password_stdin:
        line = sys.stdin.readline()
        return line.rstrip("\r\n") if line else None
    if not sys.stdin.isatty():
        print("repairbot users: no terminal to prompt on; use --password-stdin", file=sys.stderr)
        return None
    first = getpass.getpass("password: ")
    if getpass.getpass("again: ") != first:
        print("repairbot users: the two passwords differ", file=sys.stderr)
        return None
    return first


def _add(args: argparse.Namespace) -> int:
    from bot.app import open_database
    from bot.console.accounts import AccountError, create

    password = _read_password(args)
    if password is None:
        return 2
    db = open_database(args.url)
    try:
        with db.session() as session:
            account = create(session, args.name, role=args.role, password=password,
                             display_name=args.display_name, actor="cli")
    except AccountError as exc:
        print(f"repairbot users add: {exc}", file=sys.stderr)
        return 1
    finally:
        db.dispose()
    print(f"created {account.role} {account.username!r}; sign in at /console/login")
    return 0


def _list(args: argparse.Namespace) -> int:
    from bot.app import open_database
    from bot.console.accounts import all_accounts

    db = open_database(args.url)
    try:
        with db.session(readonly=True) as session:
            accounts = all_accounts(session)
    finally:
        db.dispose()
    for a in accounts:
        print(f"{a.username}\t{a.role}\t{'active' if a.active else 'disabled'}\t{a.display_name}")
    if not accounts:
        print("no accounts yet", file=sys.stderr)
    return 0


def _set_active(args: argparse.Namespace) -> int:
    from bot.app import open_database
    from bot.console.accounts import AccountError, set_active

    db = open_database(args.url)
    try:
        with db.session() as session:
            account = set_active(session, args.name, args.active, actor="cli")
    except AccountError as exc:
        print(f"repairbot users: {exc}", file=sys.stderr)
        return 1
    finally:
        db.dispose()
    print(f"{account.username}: {'enabled' if account.active else 'disabled'}")
    return 0


def _passwd(args: argparse.Namespace) -> int:
    from bot.app import open_database
    from bot.console.accounts import AccountError, set_password

    password = _read_password(args)
    if password is None:
        return 2
    db = open_database(args.url)
    try:
        with db.session() as session:
            account = set_password(session, args.name, password, actor="cli")
    except AccountError as exc:
        print(f"repairbot users passwd: {exc}", file=sys.stderr)
        return 1
    finally:
        db.dispose()
    print(f"{account.username}: password changed")
    return 0


def _check(args: argparse.Namespace) -> int:
    from bot.app import open_database
    from bot.console.accounts import has_admin

    db = open_database(args.url)
    try:
        with db.session(readonly=True) as session:
            ready = has_admin(session)
    finally:
        db.dispose()
    if not ready:
        print("The console (/console) has no admin account yet. Create the first one with:\n"
              "    .venv/bin/repairbot users add admin --role admin\n"
              "(it asks for a password of at least 10 characters; scripts can pipe one with --password-stdin).")
    return 0
