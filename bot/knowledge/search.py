"""Ranks answer cards against a question by its words, in either language, typed any way.

The card model of the NLU pipeline (bot.nlu.card_model) chooses the answer in a conversation;
this lexical index serves what has no trained model at hand: `helpline kb search`, a card
imported after the model was trained, and the operators' script aid. Each card is indexed with
its titles, answers and example questions in both languages, folded (ë→e) and without stop
words, as word stems and as character n-grams, so "kthim", "kthehem" and "return" all reach
the return cards and a typo costs a little score instead of the answer.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from weakref import WeakKeyDictionary

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer

from bot.knowledge.model import Card, Snapshot
from bot.text import words


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
STOP_WORDS = frozenset(w for raw in (*spacy_stop_words("sq"), *spacy_stop_words("en"), *_EXTRA_STOP_WORDS)
                       for w in words(raw))
MAX_CHAR_FEATURES = 500_000  # character n-grams kept at most (the most frequent ones)


@lru_cache(maxsize=8192)
def _stems(word: str) -> tuple[str, ...]:
    if len(word) <= SHORT_STEM:
        return (word,)
    return (word[:SHORT_STEM], word[:LONG_STEM])


def terms(text: str) -> list[str]:
    """Content-word stems of a text: folded, stop words removed, cut to a short and a long prefix."""
    return [stem for w in words(text) if w not in STOP_WORDS and len(w) > 1 for stem in _stems(w)]


def card_text(card: Card) -> str:
    """What a card is found by: its titles, answers and examples in both languages, as terms."""
    raw = " ".join((card.title.sq, card.title.en, card.answer.sq, card.answer.en,
                    *card.examples.get("sq", ()), *card.examples.get("en", ())))
    return " ".join(terms(raw))


@dataclass(frozen=True)
class Hit:
    card: Card
    similarity: float  # how well the words match, 0..1


class SearchIndex:
    """TF-IDF over word stems and character n-grams.

    The card vectors (L2-normalised by TfidfVectorizer) are kept transposed, one row of
    postings per term, so that a query reads only the postings of its own terms: its cost grows
    with how common the query's terms are, not with the number of cards.
    """

    def __init__(self, cards: Sequence[Card]) -> None:
        self.cards = tuple(cards)
        corpus = [card_text(card) for card in self.cards]
        self._words = TfidfVectorizer(analyzer="word", token_pattern=r"\S+", sublinear_tf=True)
        # max_features only bounds memory on a very large store
        self._chars = TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5), sublinear_tf=True,
                                      max_features=MAX_CHAR_FEATURES)
        if any(corpus):  # an empty store (e.g. before the first import) finds nothing
            self._word_postings = self._words.fit_transform(corpus).T.tocsr()
            self._char_postings = self._chars.fit_transform(corpus).T.tocsr()
        else:
            self.cards = ()

    def similarity(self, query: str) -> np.ndarray:
        """Lexical similarity of the query to every card, 0..1."""
        text = " ".join(terms(query))
        if not text.strip() or not self.cards:
            return np.zeros(len(self.cards))
        word = (self._words.transform([text]) @ self._word_postings).toarray().ravel()
        char = (self._chars.transform([text]) @ self._char_postings).toarray().ravel()
        return WORD_WEIGHT * word + CHAR_WEIGHT * char

    def card_similarity(self, card: Card, others: Sequence[Card]) -> list[float]:
        """How much each of `others` shares the words of `card` (0..1), as the search sees them."""
        if not self.cards:
            return [0.0] * len(others)
        position = {c.key: i for i, c in enumerate(self.cards)}
        if card.key not in position:
            return [0.0] * len(others)
        columns = [position.get(other.key) for other in others]
        known = [c for c in columns if c is not None]
        word = (self._word_postings[:, known].T @ self._word_postings[:, position[card.key]]).toarray().ravel()
        char = (self._char_postings[:, known].T @ self._char_postings[:, position[card.key]]).toarray().ravel()
        scores = iter(WORD_WEIGHT * word + CHAR_WEIGHT * char)
        return [float(next(scores)) if c is not None else 0.0 for c in columns]

    def rank(self, query: str, limit: int = 5) -> list[Hit]:
        """The best-matching cards first."""
        similarity = self.similarity(query)
        return [Hit(self.cards[i], float(similarity[i])) for i in top(similarity, limit) if similarity[i] > 0]


def top(scores: np.ndarray, limit: int) -> np.ndarray:
    """Indices of the `limit` highest scores, best first, ties in card order: what a stable
    argsort gives, without sorting every card of a large store."""
    if limit < len(scores):
        threshold = np.partition(scores, len(scores) - limit)[len(scores) - limit]
        candidates = np.flatnonzero(scores >= threshold)
    else:
        candidates = np.arange(len(scores))
    return candidates[np.argsort(-scores[candidates], kind="stable")][:limit]


_INDEXES: WeakKeyDictionary[Snapshot, SearchIndex] = WeakKeyDictionary()


def index_of(snapshot: Snapshot) -> SearchIndex:
    """The search index of a snapshot, built once per snapshot."""
    index = _INDEXES.get(snapshot)
    if index is None:
        index = _INDEXES[snapshot] = SearchIndex(snapshot.cards)
    return index
