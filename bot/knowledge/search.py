"""Ranks knowledge documents against a question, in either language, typed any way.

Each document is indexed with its Albanian and English text and keywords, folded (ë→e) and
without stop words, as word stems and as character n-grams. So "kthim", "kthehem" and "return"
all reach the return facts, and a typo costs a little score instead of the answer.
"""

from __future__ import annotations

import importlib.util
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer

from bot.knowledge.store import Document
from bot.language import fold, words


def spacy_stop_words(language: str) -> frozenset[str]:
    """spaCy's stop-word list for a language, read without importing spaCy itself.

    `import spacy` pulls in TensorFlow through thinc (5 s and hundreds of MB in the action
    server); the lists are plain modules, so they are loaded on their own.
    """
    spec = importlib.util.find_spec("spacy")
    if spec is None or not spec.submodule_search_locations:
        return frozenset()
    path = Path(next(iter(spec.submodule_search_locations))) / "lang" / language / "stop_words.py"
    module_spec = importlib.util.spec_from_file_location(f"_stop_words_{language}", path)
    if module_spec is None or module_spec.loader is None:
        return frozenset()
    module = importlib.util.module_from_spec(module_spec)
    module_spec.loader.exec_module(module)
    return frozenset(module.STOP_WORDS)


# Albanian inflects by changing endings (linja, linjë, linjën; hapi, hapur), English by
# suffixes: each word is indexed by a short and a long prefix, so both kinds of variant meet.
SHORT_STEM, LONG_STEM = 4, 6
WORD_WEIGHT, CHAR_WEIGHT = 0.65, 0.35
# Chat spellings and question words that carry no topic (the stop lists lack them).
_EXTRA_STOP_WORDS = {
    "cfare", "cka", "qka", "cili", "cila", "kur", "sa", "si", "qysh", "ku", "pse", "dhe", "apo",
    "nje", "ni", "eshte", "osht", "ashte", "jane", "jan", "kam", "ke", "ka", "kemi", "keni", "kane",
    "kan", "mund", "dua", "du", "me", "te", "ne", "per", "nga", "prej", "qe", "se", "po", "a", "i",
    "e", "u", "ju", "lutem", "whats", "what", "who", "does", "did", "do", "can", "could",
    "would", "much", "many", "tell", "know", "pls", "please", "hi", "hello", "ok", "thanks",
}
STOP_WORDS = frozenset(fold(w) for w in (*spacy_stop_words("sq"), *spacy_stop_words("en"),
                                          *_EXTRA_STOP_WORDS))

_WHEN = re.compile(r"\b(when|since when|what year|which year|date|kur|qe kur|ne cilin vit|"
                   r"cilin vit|ne cfare viti|viti)\b")
# "What does IOM do against trafficking?", "cfare eshte kthimi vullnetar?": the topic's overview.
_OVERVIEW = re.compile(r"^\W*(?:\w+\W+){0,2}?(?:what (?:does|do|is|are)|whats|what's|tell me about|"
                       r"explain|cfare (?:ben|bejne|eshte|jane)|c'(?:ben|eshte)|cka (?:ben|eshte)|"
                       r"qka (?:ben|ban|osht|eshte)|me trego per|me tregoni per)\b")
OVERVIEW_BOOST = 0.08


def is_overview(question: str) -> bool:
    """Whether a question asks what something is or does, rather than for a detail."""
    return bool(_OVERVIEW.search(fold(question)))
_HOW_MANY = re.compile(r"\b(how many|how much|sa|sa veta|sa njerez)\b")
# "What number do I call?", "numri i linjes": a document that gives a phone number.
_PHONE_QUESTION = re.compile(r"\b(number|numri|numrin|numer|phone|telefon\w*|call|hotline|linj\w*)\b")
PHONE_BOOST = 0.05
_YEAR = re.compile(r"\b(19|20)\d\d\b")
_NUMBER = re.compile(r"\d+(?:[ .,]\d+)*")
# A general question ("what does IOM do against trafficking?") deserves the topic's overview;
# a dated milestone is the right answer mostly when the question asks "when".
SUMMARY_BOOST = 0.05
MILESTONE_PENALTY = 0.03
WHEN_BOOST = 0.06
HOW_MANY_BOOST = 0.10
MAX_CHAR_FEATURES = 500_000  # character n-grams kept at most (the most frequent ones)


@lru_cache(maxsize=8192)
def _stems(word: str) -> tuple[str, ...]:
    if len(word) <= SHORT_STEM:
        return (word,)
    return (word[:SHORT_STEM], word[:LONG_STEM])


def terms(text: str) -> list[str]:
    """Content-word stems of a text: folded, stop words removed, cut to a short and a long prefix."""
    return [stem for w in words(text) if w not in STOP_WORDS and len(w) > 1 for stem in _stems(w)]


def _numbers(text: str) -> list[str]:
    return re.findall(r"\d+", text.replace(" ", ""))


def document_text(doc: Document) -> str:
    """What a document is found by: both languages of its text and keywords, as terms."""
    raw = " ".join((doc.text.sq, doc.text.en, doc.keywords.sq.replace("|", " "),
                    doc.keywords.en.replace("|", " ")))
    return " ".join(terms(raw) + _numbers(raw))


def _has_phone(doc: Document) -> bool:
    return bool(doc.phone) or any(" " in n or len(n) >= 5 for n in _NUMBER.findall(doc.text.en))


def _has_count(text: str) -> bool:
    """Whether a text states a quantity: a number that is neither a year nor a phone number."""
    return any(not _YEAR.fullmatch(n) and " " not in n and len(n) < 5 for n in _NUMBER.findall(text))


@dataclass(frozen=True)
class Hit:
    document: Document
    score: float  # similarity plus boosts: the ranking order
    similarity: float  # how well the words match, before any boost


class SearchIndex:
    """TF-IDF over word stems and character n-grams, with optional per-topic boosts.

    The document vectors (L2-normalised by TfidfVectorizer) are kept transposed, one row of
    postings per term, so that a query reads only the postings of its own terms: its cost grows
    with how common the query's terms are, not with the size of the store.
    """

    def __init__(self, documents: Sequence[Document]) -> None:
        self.documents = tuple(documents)
        corpus = [document_text(d) for d in self.documents]
        self._words = TfidfVectorizer(analyzer="word", token_pattern=r"\S+", sublinear_tf=True)
        # max_features only bounds memory on a very large store (the shipped content has ~20k)
        self._chars = TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5), sublinear_tf=True,
                                      max_features=MAX_CHAR_FEATURES)
        if any(corpus):  # an empty store (e.g. before the first import) finds nothing
            self._word_postings = self._words.fit_transform(corpus).T.tocsr()
            self._char_postings = self._chars.fit_transform(corpus).T.tocsr()
        else:
            self.documents = ()
        self._dated = np.array([bool(_YEAR.search(d.text.en)) for d in self.documents])
        self._counted = np.array([_has_count(d.text.en) for d in self.documents])
        self._phoned = np.array([_has_phone(d) for d in self.documents])
        self._summary = np.array([d.summary for d in self.documents], dtype=float)
        self._prior = np.array([SUMMARY_BOOST * d.summary
                                - MILESTONE_PENALTY * (d.kind == "milestone") for d in self.documents])
        by_topic: dict[str, list[int]] = {}
        for i, doc in enumerate(self.documents):
            for topic in doc.topics:
                by_topic.setdefault(topic, []).append(i)
        self._by_topic = {topic: np.array(rows) for topic, rows in by_topic.items()}
        self._position = {doc.key: i for i, doc in enumerate(self.documents)}

    def similarity(self, query: str) -> np.ndarray:
        """Lexical similarity of the query to every document, 0..1."""
        text = " ".join(terms(query) + _numbers(query))
        if not text.strip() or not self.documents:
            return np.zeros(len(self.documents))
        word = (self._words.transform([text]) @ self._word_postings).toarray().ravel()
        char = (self._chars.transform([text]) @ self._char_postings).toarray().ravel()
        return WORD_WEIGHT * word + CHAR_WEIGHT * char

    def _boosts(self, topic_boosts: Mapping[str, float] | None,
                document_boosts: Mapping[str, float] | None) -> np.ndarray | None:
        """Per document: the largest boost among its topics, plus its own boost."""
        if not topic_boosts and not document_boosts:
            return None
        boosts = np.zeros(len(self.documents))
        for topic, boost in (topic_boosts or {}).items():
            rows = self._by_topic.get(topic)
            if rows is not None:
                boosts[rows] = np.maximum(boosts[rows], boost)
        for key, boost in (document_boosts or {}).items():
            if key in self._position:
                boosts[self._position[key]] += boost
        return boosts

    def similarity_to(self, query: str, document: Document) -> float:
        """Lexical similarity of the query to one document."""
        position = self.documents.index(document) if document in self.documents else None
        return 0.0 if position is None else float(self.similarity(query)[position])

    def rank(self, query: str, topic_boosts: Mapping[str, float] | None = None,
             document_boosts: Mapping[str, float] | None = None, limit: int = 5) -> list[Hit]:
        """Best documents first; boosts add to the score of documents of a topic or key."""
        if not self.documents:
            return []
        similarity = self.similarity(query)
        scores = similarity.copy()
        folded = fold(query)
        when = bool(_WHEN.search(folded))
        scores += self._prior * (similarity > 0)
        if when:
            scores += (WHEN_BOOST + MILESTONE_PENALTY) * self._dated
        if is_overview(query) and not when:
            scores += OVERVIEW_BOOST * self._summary
        if _HOW_MANY.search(folded):
            scores += HOW_MANY_BOOST * self._counted
        if _PHONE_QUESTION.search(folded):
            scores += PHONE_BOOST * self._phoned
        boosts = self._boosts(topic_boosts, document_boosts)
        if boosts is not None:
            scores += boosts
        return [Hit(self.documents[i], float(scores[i]), float(similarity[i])) for i in top(scores, limit)]


def top(scores: np.ndarray, limit: int) -> np.ndarray:
    """Indices of the `limit` highest scores, best first, ties in document order: what a stable
    argsort gives, without sorting every document of a large store."""
    if limit < len(scores):
        threshold = np.partition(scores, len(scores) - limit)[len(scores) - limit]
        candidates = np.flatnonzero(scores >= threshold)
    else:
        candidates = np.arange(len(scores))
    return candidates[np.argsort(-scores[candidates], kind="stable")][:limit]
