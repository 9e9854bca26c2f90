"""Data minimisation: personal identifiers are replaced before a message is processed.

The channel guard applies `redact()` to every incoming message, so phone numbers, e-mail
addresses, passport and ID numbers and IBANs never reach the NLU, the tracker store or the
logs. The assistant never needs them: it answers with facts, not with the user's details.
Short numbers (112, 116 006, a year, "3 months") are left alone. Sender ids are stored only
as keyed hashes (`hash_sender`).
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import secrets
from collections.abc import Callable
from functools import lru_cache

from bot import settings

# Order matters: IBANs and e-mails contain what would otherwise look like IDs or phones.
_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("[IBAN]", re.compile(r"\b[A-Z]{2}\d{2}(?:[ -]?[A-Z0-9]{4}){3,7}(?:[ -]?[A-Z0-9]{1,4})?\b",
                          re.IGNORECASE)),
    ("[EMAIL]", re.compile(r"\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b")),
    # passport / ID card numbers: letters and at least six digits in one token (BA1234567, J12345678A)
    ("[ID]", re.compile(r"\b(?=[A-Z0-9]*\d{6})(?=[A-Z0-9]*[A-Z])[A-Z0-9]{7,12}\b", re.IGNORECASE)),
    # ... or written apart, in capitals as on the document (BA 1234567; "me 1000000 lek" stays)
    ("[ID]", re.compile(r"\b[A-Z]{1,3}[ -]\d{6,9}[A-Z]?\b")),
    # phone numbers: 8+ digits, optionally with +, spaces, dots, dashes, slashes or brackets between
    ("[PHONE]", re.compile(r"(?<![\w+])\+?\(?\d(?:[\s()./-]*\d){7,14}(?!\w)")),
)
# A date is not a phone number: "my permit expires 01.12.2026" keeps its date.
_DATE = re.compile(r"\d{1,2}([./-])\d{1,2}\1\d{2,4}")


# Public service numbers a user may quote back ("is 0800 1212 still free?"): not personal.
PUBLIC_NUMBERS = frozenset({"08001212"})


def _replace(placeholder: str) -> Callable[[re.Match[str]], str]:
    def substitute(match: re.Match[str]) -> str:
        digits = re.sub(r"\D", "", match.group(0))
        if digits in PUBLIC_NUMBERS or _DATE.fullmatch(match.group(0)):
            return match.group(0)
        return placeholder
    return substitute


def redact(text: str) -> str:
    """The text with personal identifiers replaced by placeholders such as [PHONE]."""
    for placeholder, pattern in _PATTERNS:
        text = pattern.sub(_replace(placeholder), text)
    return text


KEY_FILE = settings.SENDER_KEY_FILE


@lru_cache(maxsize=1)
def _sender_key() -> bytes:
    """HELPLINE_SENDER_KEY, or a random key kept in var/sender.key (made on first use)."""
    configured = settings.sender_key()
    if configured:
        return configured.encode()
    KEY_FILE.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    try:  # only the first process creates it, readable by its owner only
        descriptor = os.open(KEY_FILE, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(secrets.token_hex(32).encode())
    except FileExistsError:
        KEY_FILE.chmod(0o600)  # one made before this rule
    return KEY_FILE.read_bytes().strip()


def hash_sender(sender_id: str) -> str:
    """The id a conversation is stored under: a keyed hash, so the store holds no phone number,
    Messenger id or session id that could identify the person."""
    digest = hmac.new(_sender_key(), sender_id.encode(), hashlib.sha256).hexdigest()
    return f"h-{digest[:40]}"


def purpose_key(purpose: str) -> bytes:
    """A key for one purpose (e.g. encrypting a handoff's address), derived from the sender key,
    so no second secret has to be kept and one purpose's key reveals nothing of another's."""
    return hmac.new(_sender_key(), f"purpose:{purpose}".encode(), hashlib.sha256).digest()
