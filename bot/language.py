"""Language handling: language identification and explicit language switches.

Everything that decides "is this Albanian or English?" lives here, so the NLU component,
the actions and the tests share one behaviour.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import cast

from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import FeatureUnion, Pipeline

from bot.nlu.linear import LinearTextModel
from bot.text import Lang, clean, fold, words

# Tokens that say nothing about the language: shared loanwords, acronyms and chat noise.
NEUTRAL_WORDS = frozenset([
    "ok", "okay", "oke", "okk", "k", "iom", "onm", "uk", "eu", "sos", "avr", "avrr", "sms", "ps",
    "lol", "haha", "hahaha", "hmm", "mm", "aha", "wow", "hi", "hey", "hallo", "ciao", "bye",
])

# Explicit requests to change language. Folded text; the word after the verb names the target.
_TARGETS: dict[Lang, str] = {
    "sq": r"(?:shqip|shqipe|shqiptar|albanian|albanais|albanese)",
    "en": r"(?:anglisht|angleze|anglez|english|inglese|eng)",
}
_SWITCH_VERBS = (
    r"(?:speak|talk|write|answer|reply|respond|continue|switch|change|go|say|tell|explain|use|"
    r"fol|flit|flet|flasesh|flisni|flas|flasim|shkruaj|shkruj|shkru|shkruani|shkruan|pergjigju|pergjigjuni|vazhdo|"
    r"vazhdojme|kalo|kalojme|thuaj|thuaje|ma thuaj|ma thuash|shpjego|mund)"
)


# After the language name, a request ends or says "please / from now on / language".
_REQUEST_END = (r"(?=\s*(?:$|[?.!,;]|please|pls|plz|te lutem|ju lutem|language|gjuhe|from now|"
                r"tani|tash|now|only|vetem|instead|me mire|ma mire|better))")


def _switch_patterns(target: str) -> list[re.Pattern[str]]:
    return [
        # the whole message is (almost) only the language name: "shqip", "in english please"
        re.compile(rf"^(?:(?:ne|in|ma|me|only|vetem|pls|please)\s+)*{target}"
                   rf"(?:\s+(?:please|pls|te lutem|ju lutem|plz|only|vetem))*\W*$"),
        # a verb of speaking, then the language where the request ends: "can we continue in
        # english?"; not "tell me about albanian migrants" or "a duhet te flas anglisht per pune"
        re.compile(rf"\b{_SWITCH_VERBS}\b(?:\W+\w+){{0,4}}?\W+(?:ne\s+|n'|in\s+|to\s+|into\s+)?"
                   rf"{target}\b{_REQUEST_END}"),
        # "in english?" / "ne shqip te lutem" at the end of a request
        re.compile(rf"(?:\bne\s+|\bn'|\bin\s+){target}\s*(?:please|pls|te lutem|ju lutem)?\W*$"),
    ]


_SWITCH = {lang: _switch_patterns(target) for lang, target in _TARGETS.items()}


def explicit_switch(text: str) -> Lang | None:
    """The language a message explicitly asks for ("shqip", "in English please"), if any."""
    folded = fold(text)
    if len(folded) > 200:
        return None
    found = [lang for lang, patterns in _SWITCH.items() if any(p.search(folded) for p in patterns)]
    return found[0] if len(found) == 1 else None


def named_language(text: str) -> Lang | None:
    """The single language named anywhere in a message ("... in english ..."), if exactly one."""
    folded = fold(text)
    found = [lang for lang, target in _TARGETS.items() if re.search(rf"\b{target}\b", folded)]
    return found[0] if len(found) == 1 else None


@dataclass(frozen=True)
class LanguageGuess:
    """What the identifier concluded about one message."""

    language: Lang | None  # None: no clear language; keep the conversation's language
    confidence: float
    explicit: bool = False  # the user asked for this language
    best: Lang | None = None  # the most likely language even when not confident


class LanguageModel(LinearTextModel):
    """Character n-gram logistic regression telling Albanian from English chat messages.

    Trained on the assistant's own labelled NLU examples and knowledge texts, each seen both
    with and without diacritics, since people type Albanian either way.
    """

    def __init__(self) -> None:
        features = FeatureUnion([
            ("chars", TfidfVectorizer(analyzer="char_wb", ngram_range=(1, 4), sublinear_tf=True,
                                      lowercase=True, min_df=1)),
            ("words", TfidfVectorizer(analyzer="word", token_pattern=r"(?u)\b\w\w*\b",
                                      sublinear_tf=True, lowercase=True)),
        ])
        self.pipeline = Pipeline([
            ("features", features),
            ("clf", LogisticRegression(C=10.0, max_iter=2000, class_weight="balanced")),
        ])
        self.fitted = False

    def fit(self, texts: Sequence[str], labels: Sequence[Lang]) -> LanguageModel:
        """Fits on the texts as written and folded (ë→e), so both spellings are known."""
        samples: list[str] = []
        targets: list[str] = []
        for text, label in zip(texts, labels, strict=True):
            for variant in {clean(text).lower(), fold(text)}:
                samples.append(variant)
                targets.append(label)
        if len(set(targets)) < 2:
            raise ValueError("the language model needs examples of both languages")
        self._fit(samples, targets)
        self.fitted = True
        return self

    def probabilities(self, text: str) -> dict[Lang, float]:
        """Probability of each language for one text."""
        probs = self.scorer.probabilities(clean(text).lower())
        classes = cast(Iterable[Lang], self.scorer.classes)
        return {lang: float(p) for lang, p in zip(classes, probs, strict=True)}


# With three words or fewer a guess must be surer before it changes the conversation language.
SHORT_MESSAGE_WORDS = 3
LONG_THRESHOLD = 0.5
SHORT_THRESHOLD = 0.7
CLEARLY_ENGLISH = 0.8


def identify(text: str, model: LanguageModel | None) -> LanguageGuess:
    """Decides the language of one message, or None when the message carries no clear signal."""
    target = explicit_switch(text)
    if target:
        return LanguageGuess(target, 1.0, explicit=True, best=target)
    content = [w for w in words(text) if w not in NEUTRAL_WORDS]
    if not content or model is None or not model.fitted:
        return LanguageGuess(None, 0.0)
    probs = model.probabilities(" ".join(content))
    best = max(probs, key=lambda lang: probs[lang])
    confidence = probs[best]
    # ë and ç are Albanian letters, but an English sentence may name "Korçë": they decide only
    # when the sentence itself is not clearly English.
    if any(ch in text.lower() for ch in "ëç") and probs["en"] < CLEARLY_ENGLISH:
        best, confidence = "sq", max(probs["sq"], 0.9)
    threshold = SHORT_THRESHOLD if len(content) <= SHORT_MESSAGE_WORDS else LONG_THRESHOLD
    decided = best if confidence >= threshold else None
    return LanguageGuess(decided, confidence, best=best)


def switch_target(text: str, detected: Lang | None, current: Lang | None) -> Lang:
    """The language a "change language" message asks for.

    An explicit request wins; then the language the message is written in, when it differs from
    the conversation's (someone who writes "my Albanian is not good" in English wants English);
    then a language named; "change the language" in the current language means the other one.
    """
    if not text.strip():  # a button payload: its entity has already set the slot
        return current or detected or "sq"
    target = explicit_switch(text)
    if target:
        return target
    if detected and detected != current:
        return detected
    target = named_language(text)
    if target:
        return target
    if current:
        return "en" if current == "sq" else "sq"
    return detected or "sq"
