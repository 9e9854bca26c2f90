"""The audit log in the console: who signed in, opened, took, released which handoff, and when.

The query (newest first, paged, by operator and period) on a real SQLite file with time passed
in; then the page over HTTP against the real console and assistant (the fixtures of
tests/test_console.py): a supervisor sees the entries of what an operator has just done, never a
message's text; an operator gets 403, no session the sign-in form.

Run: .venv/bin/pytest -q tests/test_console_audit.py   (the HTTP part is marked e2e)
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import requests
import test_console
from console_support import ConsoleServers
from test_console import ASK_FOR_A_PERSON, OPERATOR, SUPERVISOR, signed_in, waiting_handoff

from bot.console.accounts import Accounts
from bot.console.tables import AUDIT

servers = test_console.servers  # the console's fixture, for this module
T0 = 1_800_000_000.0
ROW = re.compile(r'<tr data-action="(\w+)" data-operator="([\w.-]+)" data-handoff="([\w-]*)">')


def test_the_log_is_newest_first_paged_and_filtered(tmp_path: Path) -> None:
    accounts = Accounts(f"sqlite:///{tmp_path / 'console.db'}")
    try:
        for i in range(120):
            accounts.audit("ana" if i % 2 else "besa", "took", f"handoff{i:04d}", now=T0 + i * 60)
        first, more = accounts.audit_log(limit=50)
        assert more and len(first) == 50 and first[0].handoff_id == "handoff0119"
        assert [e.at for e in first] == sorted((e.at for e in first), reverse=True)
        last, more = accounts.audit_log(offset=100, limit=50)
        assert not more and len(last) == 20 and last[-1].handoff_id == "handoff0000"
        ana, _ = accounts.audit_log("ana", limit=200)
        assert len(ana) == 60 and {e.operator for e in ana} == {"ana"}
        hour, _ = accounts.audit_log(start=T0 + 60 * 60, end=T0 + 2 * 60 * 60)
        assert [e.handoff_id for e in hour] == [f"handoff{i:04d}" for i in range(119, 59, -1)]
        with pytest.raises(ValueError, match="unknown audit action"):
            accounts.audit("ana", "read the messages")
        assert "text" not in AUDIT.c and "message" not in AUDIT.c  # there is no place for what was said
    finally:
        accounts.close()


def entries(http: requests.Session, base: str, query: str = "") -> list[tuple[str, str, str]]:
    page = http.get(f"{base}/audit{query}", timeout=30)
    assert page.status_code == 200, page.text
    return ROW.findall(page.text)


@pytest.mark.e2e
def test_a_supervisor_sees_what_was_just_done_and_nobody_else_does(servers: ConsoleServers) -> None:
    base = servers.console_url
    operator, token = signed_in(servers, *OPERATOR[::2])
    handoff = waiting_handoff(servers, operator, "audit-user")
    assert operator.get(f"{base}/handoff/{handoff}", timeout=30).status_code == 200
    for action in ("take", "release"):
        done = operator.post(f"{base}/api/handoff/{handoff}/{action}", headers={"X-CSRF-Token": token}, timeout=30)
        assert done.status_code == 200, done.text
    supervisor, _ = signed_in(servers, *SUPERVISOR[::2])
    mine = entries(supervisor, base, f"?operator={OPERATOR[0]}")
    assert mine[:4] == [("released", OPERATOR[0], handoff), ("took", OPERATOR[0], handoff),
                        ("opened", OPERATOR[0], handoff), ("sign_in", OPERATOR[0], "")]
    everyone = entries(supervisor, base)
    assert everyone[0] == ("sign_in", SUPERVISOR[0], "") and ("took", OPERATOR[0], handoff) in everyone
    page = supervisor.get(f"{base}/audit?operator={OPERATOR[0]}", timeout=30).text
    assert ASK_FOR_A_PERSON not in page and "<html lang=" in page
    # past the last page, and a period without entries, are empty pages, not errors
    assert entries(supervisor, base, f"?operator={OPERATOR[0]}&page=2") == []
    assert entries(supervisor, base, "?start=2020-01-01&end=2020-01-31") == []
    assert supervisor.get(f"{base}/audit?page=0", timeout=30).status_code == 400
    assert supervisor.get(f"{base}/audit?operator=nobody", timeout=30).status_code == 400
    # an operator is refused, a browser without a session is sent to the sign-in form
    assert operator.get(f"{base}/audit", timeout=30).status_code == 403
    anonymous = requests.get(f"{base}/audit", allow_redirects=False, timeout=30)
    assert anonymous.status_code == 303 and anonymous.headers["Location"] == "/signin"
