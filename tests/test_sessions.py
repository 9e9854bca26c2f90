"""Server-issued web chat sessions (bot/sessions.py): only the token the server signed for a
session id, within its lifetime, resumes it."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot import keys, sessions
from bot.channels.origins import requested_session

DAY = 86_400.0


@pytest.fixture
def session_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HELPLINE_SESSION_KEY", "a-test-key")
    monkeypatch.delenv("HELPLINE_SESSION_DAYS", raising=False)
    sessions._key.cache_clear()
    yield
    sessions._key.cache_clear()


def test_an_issued_session_is_random_and_its_token_resumes_it(session_key: None) -> None:
    first, second = sessions.issue(), sessions.issue()
    assert first.session_id != second.session_id and sessions.SESSION_ID.match(first.session_id)
    assert sessions.valid(first.session_id, first.token)
    assert sessions.resume(first.session_id, first.token) == first


@pytest.mark.parametrize("forge", [
    lambda s, o: (s.session_id, o.token),  # another session's token
    lambda s, o: (o.session_id, s.token),
    lambda s, o: (s.session_id, None),  # the id alone
    lambda s, o: (s.session_id, ""),
    lambda s, o: (s.session_id, s.token[:-1] + ("0" if s.token[-1] != "0" else "1")),  # one digit changed
    lambda s, o: (s.session_id, str(int(s.token.split(".")[0]) + 1) + "." + s.token.split(".")[1]),  # re-dated
    lambda s, o: (s.session_id, s.token + "0" * 100),
    lambda s, o: (s.session_id.upper(), s.token),
    lambda s, o: (None, s.token),
    lambda s, o: (5, s.token),
])
def test_a_wrong_or_forged_token_gets_a_new_session(session_key: None, forge) -> None:
    session, other = sessions.issue(), sessions.issue()
    session_id, token = forge(session, other)
    assert not sessions.valid(session_id, token)
    fresh = sessions.resume(session_id, token)
    assert fresh.session_id not in (session.session_id, other.session_id)
    assert sessions.valid(fresh.session_id, fresh.token)


def test_a_token_expires_after_the_lifetime_setting(session_key: None, monkeypatch: pytest.MonkeyPatch) -> None:
    now = 1_800_000_000.0
    session = sessions.issue(now=now)
    assert sessions.valid(session.session_id, session.token, now=now + 30 * DAY - 1)
    assert not sessions.valid(session.session_id, session.token, now=now + 30 * DAY + 1)
    assert not sessions.valid(session.session_id, session.token, now=now - 3600)  # issued in the future
    monkeypatch.setenv("HELPLINE_SESSION_DAYS", "1")
    assert not sessions.valid(session.session_id, session.token, now=now + 2 * DAY)
    assert sessions.resume(session.session_id, session.token, now=now + 2 * DAY).session_id != session.session_id


def test_a_token_signed_with_another_key_is_not_honoured(session_key: None, monkeypatch: pytest.MonkeyPatch) -> None:
    session = sessions.issue()
    monkeypatch.setenv("HELPLINE_SESSION_KEY", "another-key")
    sessions._key.cache_clear()
    assert not sessions.valid(session.session_id, session.token)


def test_without_a_configured_key_one_file_readable_by_its_owner_only_is_shared(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HELPLINE_SESSION_KEY", raising=False)
    monkeypatch.setattr(sessions, "KEY_FILE", tmp_path / "var" / "session.key")
    sessions._key.cache_clear()
    try:
        session = sessions.issue()
        assert (tmp_path / "var" / "session.key").stat().st_mode & 0o777 == 0o600
        sessions._key.cache_clear()  # the next process reads the same key
        assert sessions.valid(session.session_id, session.token)
    finally:
        sessions._key.cache_clear()
    assert keys.file_key("configured", tmp_path / "unused.key") == b"configured"
    assert not (tmp_path / "unused.key").exists()


@pytest.mark.parametrize(("data", "asked"), [
    ({}, (None, None)),
    ({"session_id": None}, (None, None)),  # Rasa's webchat before it has an id
    ({"session_id": "0" * 32, "token": "x"}, ("0" * 32, "x")),
    ("text", None), (5, None), (None, None), ({"session_id": 5}, None), ({"session_id": "../x"}, None),
    ({"session_id": "0" * 32, "token": 5}, None),
])
def test_a_session_request_is_read_or_refused(data: object, asked: object) -> None:
    assert requested_session(data) == asked
