"""CSRF protection: every state-changing request carries a token the page was given.

Signed in, the token is the session's own (`Session.csrf`, random, kept server-side); on the
sign-in form, before there is a session, it is a random value sent both as a SameSite=Strict
cookie and as a form field (double submit). The token comes in the form field `csrf` or the
header `X-CSRF-Token`; tokens are compared in constant time.
"""

from __future__ import annotations

import hmac
import re
import secrets

FIELD = "csrf"
HEADER = "X-CSRF-Token"
SIGN_IN_COOKIE = "console_signin"
TOKEN = re.compile(r"^[A-Za-z0-9_-]{43}$")  # what new_token makes


def new_token() -> str:
    return secrets.token_urlsafe(32)


def same(given: str | None, expected: str | None) -> bool:
    """True only when both tokens are present and equal (constant time)."""
    if not given or not expected:
        return False
    return hmac.compare_digest(given.encode("utf-8"), expected.encode("utf-8"))


def given_token(headers: dict[str, str] | object, form: dict[str, str] | object) -> str | None:
    """The token a request carries: its header, else its form field."""
    header = headers.get(HEADER) if hasattr(headers, "get") else None
    field = form.get(FIELD) if hasattr(form, "get") else None
    token = header or field
    return token if isinstance(token, str) else None
