"""Data minimisation: personal identifiers are replaced before a message is processed.

The channel guard applies `redact()` to every incoming message, so phone numbers, e-mail
addresses, passport and ID numbers and IBANs never reach the NLU, the tracker store or the
logs. The assistant never needs them: it answers with facts, not with the user's details.
Short numbers (112, 116 006, a year, "3 months") are left alone. Sender ids are stored only
as keyed hashes, one namespace per channel (`hash_sender`).
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Callable
from functools import lru_cache

from bot import settings
from bot.keys import file_key

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
    return file_key(settings.sender_key(), KEY_FILE)


def keyed_hash(text: str) -> str:
    """A keyed hash of `text` under the sender key: what is stored instead of an identifier."""
    digest = hmac.new(_sender_key(), text.encode(), hashlib.sha256).hexdigest()
    return f"h-{digest[:40]}"


def hash_sender(sender_id: str, channel: str) -> str:
    """The id a conversation is stored under: a keyed hash, so the store holds no phone number,
    Messenger id or session id that could identify the person. The channel is part of it, so the
    same id on two channels (a REST sender equal to a web session's id, a number on WhatsApp and
    on SMS) is two conversations: nobody writes into another channel's conversation by its id."""
    return keyed_hash(f"{channel}\x1f{sender_id}")


def purpose_key(purpose: str) -> bytes:
    """A key for one purpose (e.g. encrypting a handoff's address), derived from the sender key,
    so no second secret has to be kept and one purpose's key reveals nothing of another's."""
    return hmac.new(_sender_key(), f"purpose:{purpose}".encode(), hashlib.sha256).digest()
