"""Plain text helpers shared by every module: cleaning, folding (ë→e, ç→c) and words.

They live apart from the language model (bot.language) so that editing a pattern here does
not touch what the trained models are made of.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Literal

Lang = Literal["sq", "en"]
LANGUAGES: tuple[Lang, ...] = ("sq", "en")

_QUOTES = str.maketrans({"’": "'", "‘": "'", "`": "'", "´": "'", "“": '"', "”": '"', "„": '"',
                         "–": "-", "—": "-"})
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u2028\u2029]")
# Invisible in a text, so removed rather than spaced: a soft hyphen or a word joiner inside a
# phone number must not split it into pieces that no longer look like one (bot/privacy.py).
_INVISIBLE = re.compile(r"[\u00ad\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\ufeff]")
_WORD = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)?", re.UNICODE)


def clean(text: str) -> str:
    """Removes control and invisible characters and normalises white space; keeps diacritics.
    NFKC turns look-alikes into the plain characters ("＠" → "@", "０６９" → "069")."""
    text = _CONTROL.sub(" ", _INVISIBLE.sub("", unicodedata.normalize("NFKC", text or "")))
    return re.sub(r"\s+", " ", text).strip()


def fold(text: str) -> str:
    """Lower-cases and strips diacritics (ë→e, ç→c), so that "Shqipëri" and "shqiperi" match."""
    decomposed = unicodedata.normalize("NFKD", clean(text).translate(_QUOTES).lower())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def words(text: str) -> list[str]:
    """Alphabetic words of the folded text (digits, emoji and punctuation dropped)."""
    return _WORD.findall(fold(text))


def as_language(value: object) -> Lang | None:
    """A slot or payload value as a supported language, or None for anything else."""
    return value if value in LANGUAGES else None
