"""Phone numbers in replies, marked so that every channel can make them tap-to-call.

A known number (a contact's phone) is written as a Markdown link with a `tel:` target:
"[116 006](tel:116006)". The web widget turns the mark into a link; a channel that cannot show
links shows the number (`unmark`). The number stays readable as it was in both forms.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

_MARKED = re.compile(r"\[([^\]\n]{1,40})\]\(tel:(\+?\d{2,20})\)")


def tel_target(phone: str) -> str:
    """The `tel:` target of a number as written: digits, with a leading + kept."""
    return ("+" if phone.strip().startswith("+") else "") + re.sub(r"\D", "", phone)


def _pattern(phone: str) -> re.Pattern[str]:
    """The number as it may be written in a text: its digits with any spaces, dots or dashes."""
    digits = re.sub(r"\D", "", phone)
    lead = r"\+?" if phone.strip().startswith("+") else ""
    body = r"[ .\-\u00a0]?".join(digits)
    return re.compile(rf"(?<![\d\[+]){lead}{body}(?![\d\]])")


def mark_phones(text: str, phones: Iterable[str]) -> str:
    """Marks every occurrence of the given numbers in `text` (longest numbers first), once."""
    for phone in sorted({p for p in phones if p}, key=lambda p: -len(re.sub(r"\D", "", p))):
        pieces = _MARKED.split(text)  # never mark inside an existing mark
        out = []
        for i in range(0, len(pieces), 3):
            out.append(_pattern(phone).sub(lambda m, p=phone: f"[{m.group(0)}](tel:{tel_target(p)})", pieces[i]))
            if i + 2 < len(pieces):
                out.append(f"[{pieces[i + 1]}](tel:{pieces[i + 2]})")
        text = "".join(out)
    return text


def unmark(text: str) -> str:
    """The text with the marks removed, numbers kept: for channels that show plain text."""
    return _MARKED.sub(lambda m: m.group(1), text)


def marked_numbers(text: str) -> list[str]:
    """The `tel:` targets marked in a text, in order."""
    return [m.group(2) for m in _MARKED.finditer(text)]
