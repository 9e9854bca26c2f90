"""`helpline operators …`: the console's accounts, managed on the server's command line.

    helpline operators add NAME --role operator|supervisor   (password asked without echo,
                                                               or read from standard input)
    helpline operators list
    helpline operators disable NAME
    helpline operators reset NAME                             (a new password, the same way)
"""

from __future__ import annotations

import getpass
import sys
import time
from collections.abc import Callable

import typer

from bot.console.accounts import ROLES, AccountError, Accounts

app = typer.Typer(help="Operator console accounts.", no_args_is_help=True)


def read_password(confirm: bool = True) -> str:
    """From the terminal without echo (twice), or the first line of standard input when it is
    not a terminal (scripts, tests)."""
    if not sys.stdin.isatty():
        return sys.stdin.readline().rstrip("\r\n")
    first = getpass.getpass("Password: ")
    if confirm and getpass.getpass("Password again: ") != first:
        raise AccountError("the two passwords differ")
    return first


def _run(action: Callable[[Accounts], object], done: str = "") -> None:
    """Runs `action`, then says `done`; an AccountError is printed as the reason, exit code 1."""
    accounts = Accounts()
    try:
        action(accounts)
        if done:
            typer.echo(done)
    except AccountError as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(1) from None
    finally:
        accounts.close()


@app.command()
def add(name: str, role: str = typer.Option("operator", help=f"One of: {', '.join(ROLES)}.")) -> None:
    """Create an account; the password is asked for (at least 10 characters)."""
    _run(lambda accounts: accounts.add(name, role, read_password()), f"operator {name} added ({role})")


@app.command("list")
def list_() -> None:
    """Every account: name, role, whether it is disabled, when it was created."""
    def show(accounts: Accounts) -> None:
        for op in accounts.operators():
            created = time.strftime("%Y-%m-%d", time.gmtime(op.created_at))
            typer.echo(f"{op.name}\t{op.role}\t{'disabled' if op.disabled else 'active'}\t{created}")
    _run(show)


@app.command()
def disable(name: str) -> None:
    """Stop an account from signing in; its open sessions end at once."""
    _run(lambda accounts: accounts.disable(name), f"operator {name} disabled")


@app.command()
def reset(name: str) -> None:
    """Set a new password (asked for); enables and unlocks the account, ends its sessions."""
    _run(lambda accounts: accounts.reset(name, read_password()), f"operator {name}: password reset")
