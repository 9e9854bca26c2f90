"""Operator accounts: hashing, sign-in, slow-down and lock, session expiry, CSRF, the CLI.

Time is passed in (`now=`), never slept; the database is a real SQLite file of the test's own.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli import app
from bot.console import csrf
from bot.console.accounts import (
    ABSOLUTE_SECONDS,
    ACCOUNT_LOCK_AFTER,
    ADDRESS_LOCK_AFTER,
    IDLE_SECONDS,
    LOCK_SECONDS,
    AccountError,
    Accounts,
)
from bot.console.tables import OPERATORS, SESSIONS

T0 = 1_800_000_000.0
PASSWORD = "correct horse battery"


@pytest.fixture
def accounts(tmp_path: Path) -> Accounts:
    made = Accounts(f"sqlite:///{tmp_path / 'console.db'}")
    made.add("ana", "operator", PASSWORD, now=T0)
    yield made
    made.close()


def test_only_a_hash_of_the_password_and_of_the_session_token_is_stored(accounts: Accounts) -> None:
    signed = accounts.sign_in("ana", PASSWORD, "10.0.0.1", now=T0)
    assert signed.token and signed.session and signed.session.role == "operator"
    with accounts.engine.begin() as connection:
        stored = connection.execute(OPERATORS.select()).one().password_hash
        session_keys = [row.token_hash for row in connection.execute(SESSIONS.select())]
    assert stored.startswith("$argon2id$") and PASSWORD not in stored
    assert signed.token not in session_keys and len(session_keys) == 1


def test_bad_accounts_are_refused_with_a_reason(accounts: Accounts) -> None:
    with pytest.raises(AccountError, match="already an account"):
        accounts.add("ana", "operator", PASSWORD)
    with pytest.raises(AccountError, match="too short"):
        accounts.add("besa", "operator", "short")
    with pytest.raises(AccountError, match="role"):
        accounts.add("besa", "admin", PASSWORD)
    with pytest.raises(AccountError, match="a name is"):
        accounts.add("Besa Hoxha", "operator", PASSWORD)
    with pytest.raises(AccountError, match="no account"):
        accounts.disable("nobody")


def test_a_wrong_password_slows_down_then_locks_the_account(accounts: Accounts) -> None:
    delays = [accounts.sign_in("ana", "wrong password!", "10.0.0.1", now=T0 + i).delay
              for i in range(ACCOUNT_LOCK_AFTER)]
    assert delays[0] == 0 and delays == sorted(delays) and delays[-1] > delays[1]
    locked = accounts.sign_in("ana", PASSWORD, "10.0.0.2", now=T0 + 10)
    assert locked.token is None and locked.error == "signin.locked" and locked.minutes == LOCK_SECONDS // 60
    # still locked just before the lock ends, open right after it
    assert accounts.sign_in("ana", PASSWORD, "10.0.0.2", now=T0 + ACCOUNT_LOCK_AFTER - 2 + LOCK_SECONDS).token is None
    assert accounts.sign_in("ana", PASSWORD, "10.0.0.2", now=T0 + ACCOUNT_LOCK_AFTER + LOCK_SECONDS).token


def test_one_address_trying_many_names_is_locked(accounts: Accounts) -> None:
    for i in range(ADDRESS_LOCK_AFTER):
        accounts.sign_in(f"guess{i}", "whatever123", "10.9.9.9", now=T0 + i)
    assert accounts.sign_in("ana", PASSWORD, "10.9.9.9", now=T0 + 30).token is None
    assert accounts.sign_in("ana", PASSWORD, "10.0.0.1", now=T0 + 30).token  # another address is fine


def test_unknown_names_and_disabled_accounts_get_the_same_answer(accounts: Accounts) -> None:
    unknown = accounts.sign_in("nobody", PASSWORD, "10.0.0.1", now=T0)
    accounts.disable("ana")
    disabled = accounts.sign_in("ana", PASSWORD, "10.0.0.1", now=T0)
    assert unknown.error == disabled.error and unknown.token is None and disabled.token is None


def test_sessions_expire_when_idle_and_after_a_working_day(accounts: Accounts) -> None:
    token = accounts.sign_in("ana", PASSWORD, "10.0.0.1", now=T0).token
    assert accounts.session(token, now=T0 + IDLE_SECONDS - 1)
    assert accounts.session(token, now=T0 + 2 * IDLE_SECONDS - 2)  # used, so still alive
    assert accounts.session(token, now=T0 + 3 * IDLE_SECONDS) is None  # idle too long: gone
    token = accounts.sign_in("ana", PASSWORD, "10.0.0.1", now=T0).token
    for step in range(1, ABSOLUTE_SECONDS // (IDLE_SECONDS // 2)):
        assert accounts.session(token, now=T0 + step * IDLE_SECONDS / 2), step
    assert accounts.session(token, now=T0 + ABSOLUTE_SECONDS + 1) is None


def test_sign_out_disable_and_reset_end_sessions(accounts: Accounts) -> None:
    token = accounts.sign_in("ana", PASSWORD, "10.0.0.1", now=T0).token
    accounts.sign_out(token, now=T0 + 1)
    assert accounts.session(token, now=T0 + 2) is None
    token = accounts.sign_in("ana", PASSWORD, "10.0.0.1", now=T0).token
    accounts.reset("ana", "a brand new password")
    assert accounts.session(token, now=T0 + 2) is None
    assert accounts.sign_in("ana", PASSWORD, "10.0.0.1", now=T0 + 3).token is None
    assert accounts.sign_in("ana", "a brand new password", "10.0.0.1", now=T0 + 4).token
    actions = [entry.action for entry in accounts.audit_log()[0]]
    assert actions.count("sign_in") == 3 and "sign_out" in actions


def test_csrf_tokens_are_compared_whole() -> None:
    token = csrf.new_token()
    assert csrf.same(token, token)
    assert not csrf.same(token[:-1] + ("A" if token[-1] != "A" else "B"), token)
    assert not csrf.same(None, token) and not csrf.same("", token) and not csrf.same(token, None)
    assert csrf.given_token({csrf.HEADER: token}, {}) == token
    assert csrf.given_token({}, {csrf.FIELD: token}) == token
    assert csrf.given_token({}, {}) is None


def test_the_cli_adds_lists_disables_and_resets(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HELPLINE_DB_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    runner = CliRunner()
    added = runner.invoke(app, ["operators", "add", "drita", "--role", "supervisor"], input=f"{PASSWORD}\n")
    assert added.exit_code == 0, added.output
    assert runner.invoke(app, ["operators", "add", "drita"], input=f"{PASSWORD}\n").exit_code == 1
    short = runner.invoke(app, ["operators", "add", "erion"], input="short\n")
    assert short.exit_code == 1 and "too short" in short.output
    listed = runner.invoke(app, ["operators", "list"])
    assert "drita\tsupervisor\tactive" in listed.output
    assert runner.invoke(app, ["operators", "disable", "drita"]).exit_code == 0
    assert "drita\tsupervisor\tdisabled" in runner.invoke(app, ["operators", "list"]).output
    assert runner.invoke(app, ["operators", "reset", "drita"], input="another long password\n").exit_code == 0
    assert Accounts(f"sqlite:///{tmp_path / 'cli.db'}").sign_in("drita", "another long password", "x").token
