"""Operator accounts, sign-in with slow-down and lock, server-side sessions, the audit log.

Every method is one short transaction (the web server runs them in a thread) and takes `now`
(seconds since the epoch) so that tests move time instead of sleeping. Passwords are hashed with
argon2id (argon2-cffi's defaults); an unknown name is checked against a dummy hash, so the
answer takes as long as for a real account and does not tell which names exist.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import time
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError

from bot.console.strings import DEFAULT_LANGUAGE
from bot.console.tables import AUDIT, FAILURES, OPERATORS, SESSIONS, engine_for

ROLES = ("operator", "supervisor")
NAME = re.compile(r"^[a-z][a-z0-9._-]{1,31}$")
MIN_PASSWORD = 10
MAX_PASSWORD = 256  # argon2 hashes anything, but a megabyte "password" is an attack, not a password

IDLE_SECONDS = 30 * 60  # a session unused this long is over
ABSOLUTE_SECONDS = 12 * 3600  # and any session after a working day
FAILURE_WINDOW = 15 * 60  # failures counted over this window ...
ACCOUNT_LOCK_AFTER = 5  # ... lock the account after this many
ADDRESS_LOCK_AFTER = 20  # ... or the address (one machine trying many names)
LOCK_SECONDS = 15 * 60  # counted from the last failure
SLOW_DOWN_STEP = 0.5  # seconds added to the answer per earlier failure ...
SLOW_DOWN_MAX = 3.0  # ... up to this

AUDIT_ACTIONS = ("sign_in", "sign_out", "opened", "took", "replied", "released", "closed")

_hasher = PasswordHasher()
_DUMMY_HASH = _hasher.hash("not a password of anyone")


class AccountError(ValueError):
    """A clear sentence for the person at the command line or the sign-in form."""


@dataclass(frozen=True)
class Operator:
    name: str
    role: str
    disabled: bool
    created_at: float


@dataclass(frozen=True)
class Session:
    """A signed-in browser: who, the CSRF token its forms must carry, the console's language."""

    operator: str
    role: str
    csrf: str
    created_at: float
    language: str = DEFAULT_LANGUAGE


@dataclass(frozen=True)
class AuditEntry:
    """Who did what to which handoff, and when; there is no column for a message's text."""

    at: float
    operator: str
    action: str
    handoff_id: str | None


@dataclass(frozen=True)
class SignIn:
    """The outcome of one attempt: a session token, or why not (a key of bot.console.strings, shown
    in the operator's language) and how long to hold the answer."""

    token: str | None = None
    session: Session | None = None
    error: str | None = None  # "signin.wrong" | "signin.locked"
    minutes: int = 0  # how long the lock lasts, for "signin.locked"
    delay: float = 0.0  # seconds the server waits before answering a failure


def token_hash(token: str) -> str:
    """What the sessions table keeps instead of the token itself."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def check_name(name: str) -> str:
    if not NAME.match(name):
        raise AccountError("a name is 2-32 characters: lower-case letters, digits, '.', '_' or '-', "
                           "starting with a letter")
    return name


def check_password(password: str) -> str:
    if len(password) < MIN_PASSWORD:
        raise AccountError(f"the password is too short: at least {MIN_PASSWORD} characters")
    if len(password) > MAX_PASSWORD:
        raise AccountError(f"the password is too long: at most {MAX_PASSWORD} characters")
    return password


class Accounts:
    """The console's accounts, sessions and audit log in one database."""

    def __init__(self, url: str | None = None, engine: Engine | None = None) -> None:
        self.engine = engine or engine_for(url)

    def close(self) -> None:
        self.engine.dispose()

    # -- accounts (the CLI) ---------------------------------------------------------------------

    def add(self, name: str, role: str, password: str, now: float | None = None) -> Operator:
        if role not in ROLES:
            raise AccountError(f"the role is one of {', '.join(ROLES)}")
        check_name(name)
        hashed = _hasher.hash(check_password(password))
        created = time.time() if now is None else now
        try:
            with self.engine.begin() as connection:
                connection.execute(insert(OPERATORS).values(name=name, role=role, password_hash=hashed,
                                                            disabled=False, created_at=created))
        except IntegrityError:
            raise AccountError(f"there is already an account named {name!r}") from None
        return Operator(name, role, False, created)

    def operators(self) -> list[Operator]:
        with self.engine.begin() as connection:
            rows = connection.execute(select(OPERATORS).order_by(OPERATORS.c.name)).all()
        return [Operator(r.name, r.role, bool(r.disabled), r.created_at) for r in rows]

    def disable(self, name: str) -> None:
        """No more sign-ins for the account, and its open sessions end now."""
        with self.engine.begin() as connection:
            if connection.execute(update(OPERATORS).where(OPERATORS.c.name == name)
                                  .values(disabled=True)).rowcount == 0:
                raise AccountError(f"there is no account named {name!r}")
            connection.execute(delete(SESSIONS).where(SESSIONS.c.operator == name))

    def reset(self, name: str, password: str) -> None:
        """A new password; the account is enabled and unlocked, its old sessions end."""
        hashed = _hasher.hash(check_password(password))
        with self.engine.begin() as connection:
            if connection.execute(update(OPERATORS).where(OPERATORS.c.name == name)
                                  .values(password_hash=hashed, disabled=False)).rowcount == 0:
                raise AccountError(f"there is no account named {name!r}")
            connection.execute(delete(SESSIONS).where(SESSIONS.c.operator == name))
            connection.execute(delete(FAILURES).where(FAILURES.c.key == f"account:{name}"))

    # -- signing in -----------------------------------------------------------------------------

    @staticmethod
    def _failures(connection: Connection, key: str, now: float) -> tuple[int, float]:
        """The key's last failure (0 if none lately), and how many came in the window before it."""
        last = connection.execute(select(func.max(FAILURES.c.at)).where(
            FAILURES.c.key == key, FAILURES.c.at >= now - FAILURE_WINDOW - LOCK_SECONDS)).scalar()
        if last is None:
            return 0, 0.0
        count = connection.execute(select(func.count()).where(
            FAILURES.c.key == key, FAILURES.c.at > last - FAILURE_WINDOW, FAILURES.c.at <= last)).scalar()
        return int(count or 0), float(last)

    def locked_until(self, name: str, address: str, now: float | None = None) -> float | None:
        """When the lock on this account or address ends, or None when neither is locked."""
        now = time.time() if now is None else now
        ends = []
        with self.engine.begin() as connection:
            for key, limit in ((f"account:{name}", ACCOUNT_LOCK_AFTER), (f"address:{address}", ADDRESS_LOCK_AFTER)):
                count, last = self._failures(connection, key, now)
                if count >= limit and last + LOCK_SECONDS > now:
                    ends.append(last + LOCK_SECONDS)
        return max(ends) if ends else None

    def sign_in(self, name: str, password: str, address: str, now: float | None = None,
                language: str = DEFAULT_LANGUAGE) -> SignIn:
        """Checks the password unless the account or the address is locked; a success starts a
        session (in `language`, the sign-in page's) and forgets the account's failures."""
        now = time.time() if now is None else now
        locked = self.locked_until(name, address, now)
        if locked is not None:
            return SignIn(error="signin.locked", minutes=max(1, round((locked - now) / 60)), delay=SLOW_DOWN_MAX)
        with self.engine.begin() as connection:
            row = connection.execute(select(OPERATORS).where(OPERATORS.c.name == name)).one_or_none()
        try:
            _hasher.verify(row.password_hash if row else _DUMMY_HASH, password[:MAX_PASSWORD])
            good = row is not None and not row.disabled
        except (VerificationError, InvalidHashError):
            good = False
        if not good or row is None:
            with self.engine.begin() as connection:
                earlier, last = self._failures(connection, f"account:{name}", now)
                earlier = earlier if now - last < FAILURE_WINDOW else 0
                connection.execute(insert(FAILURES), [{"key": f"account:{name}", "at": now},
                                                      {"key": f"address:{address}", "at": now}])
                connection.execute(delete(FAILURES).where(FAILURES.c.at < now - FAILURE_WINDOW - LOCK_SECONDS))
            return SignIn(error="signin.wrong", delay=min(SLOW_DOWN_MAX, SLOW_DOWN_STEP * earlier))
        token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
        with self.engine.begin() as connection:
            connection.execute(delete(FAILURES).where(FAILURES.c.key == f"account:{name}"))
            connection.execute(delete(SESSIONS).where(SESSIONS.c.last_seen < now - IDLE_SECONDS))
            connection.execute(insert(SESSIONS).values(token_hash=token_hash(token), operator=name, csrf=csrf,
                                                       created_at=now, last_seen=now, language=language))
            connection.execute(insert(AUDIT).values(at=now, operator=name, action="sign_in"))
        return SignIn(token=token, session=Session(name, row.role, csrf, now, language))

    def session(self, token: str | None, now: float | None = None) -> Session | None:
        """The live session of a cookie's token (and it is used now), or None: unknown, idle past
        IDLE_SECONDS, older than ABSOLUTE_SECONDS, or its account disabled."""
        if not token:
            return None
        now = time.time() if now is None else now
        key = token_hash(token)
        with self.engine.begin() as connection:
            row = connection.execute(
                select(SESSIONS, OPERATORS.c.role, OPERATORS.c.disabled)
                .join(OPERATORS, OPERATORS.c.name == SESSIONS.c.operator)
                .where(SESSIONS.c.token_hash == key)).one_or_none()
            if row is None:
                return None
            if row.disabled or now - row.last_seen > IDLE_SECONDS or now - row.created_at > ABSOLUTE_SECONDS:
                connection.execute(delete(SESSIONS).where(SESSIONS.c.token_hash == key))
                return None
            connection.execute(update(SESSIONS).where(SESSIONS.c.token_hash == key).values(last_seen=now))
        return Session(row.operator, row.role, row.csrf, row.created_at, row.language or DEFAULT_LANGUAGE)

    def set_language(self, token: str, language: str) -> None:
        """The language the session's pages are shown in from now on."""
        with self.engine.begin() as connection:
            connection.execute(update(SESSIONS).where(SESSIONS.c.token_hash == token_hash(token))
                               .values(language=language))

    def sign_out(self, token: str, now: float | None = None) -> None:
        now = time.time() if now is None else now
        with self.engine.begin() as connection:
            operator = connection.execute(select(SESSIONS.c.operator).where(
                SESSIONS.c.token_hash == token_hash(token))).scalar_one_or_none()
            if operator is not None:
                connection.execute(delete(SESSIONS).where(SESSIONS.c.token_hash == token_hash(token)))
                connection.execute(insert(AUDIT).values(at=now, operator=operator, action="sign_out"))

    # -- audit ----------------------------------------------------------------------------------

    def audit(self, operator: str, action: str, handoff_id: str | None = None,
              now: float | None = None) -> None:
        """One line of who did what to which handoff; the caller never passes message text."""
        if action not in AUDIT_ACTIONS:
            raise ValueError(f"unknown audit action {action!r}")
        with self.engine.begin() as connection:
            connection.execute(insert(AUDIT).values(at=time.time() if now is None else now,
                                                    operator=operator, action=action, handoff_id=handoff_id))

    def audit_log(self, operator: str | None = None, start: float | None = None, end: float | None = None,
                  offset: int = 0, limit: int = 200) -> tuple[list[AuditEntry], bool]:
        """Entries newest first, of one operator and within [start, end) when given; `limit` of them
        from `offset`, and whether older ones follow (for the supervisors' paged page)."""
        query = select(AUDIT.c.at, AUDIT.c.operator, AUDIT.c.action, AUDIT.c.handoff_id)
        if operator is not None:
            query = query.where(AUDIT.c.operator == operator)
        if start is not None:
            query = query.where(AUDIT.c.at >= start)
        if end is not None:
            query = query.where(AUDIT.c.at < end)
        with self.engine.begin() as connection:
            rows = connection.execute(query.order_by(AUDIT.c.at.desc(), AUDIT.c.id.desc())
                                      .offset(offset).limit(limit + 1)).all()
        return [AuditEntry(*row) for row in rows[:limit]], len(rows) > limit
