"""The card model: which answer card a question is asking for.

Trained on the cards' example questions in both languages and on the cards' own titles,
answers and next steps (bot.nlu.importer), which carry the words that tell similar cards apart.
Features are TF-IDF character n-grams within words, which absorb Albanian endings, Gheg forms,
typos and missing ë/ç, plus word uni- and bigrams; the text is folded first and every place is
replaced by a token of its country (bot.places.with_country_tokens), which made cross-validated
accuracy better: "London" is then the UK, not a clue to the one card that names London. A linear SVM
separates the cards (a logistic regression was as accurate in cross-validation and forty times
slower to train: reports/nlu/); the softmax of its decision values, at a temperature fitted by
cross-validation, gives every card a probability, so a question that fits no card well shows as
a low, spread-out ranking (the answer then asks which card was meant: bot.answers).

A second classifier of the same kind learns the cards' subjects (the same question for several
countries or aspects: "work_route" for Italy, Germany, the UK...). With ten to twenty examples a
card, a long question is often spread over cards of different subjects; with all the examples
of a subject together the subject is much clearer, and a card's probability is weighed by its
subject's (reports/nlu/card_report.md). Which country's card of the subject is meant is left to
the conversation: bot.answers weighs the cards by the person's country.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.pipeline import FeatureUnion, Pipeline
from sklearn.svm import LinearSVC

from bot.nlu.importer import CARD, SUBJECT
from bot.nlu.linear import LinearTextModel
from bot.places import with_country_tokens

DEFAULT_C = 1.0
DEFAULT_NGRAMS = (2, 5)
TEMPERATURE = 8.0  # the lowest held-out log loss over 3, 5, 8, 12 (bench/nlu_report.py)
SUBJECT_WEIGHT = 0.5  # p(card) × p(subject)^0.5, renormalised: the best of 0, 0.5 and 1 on bench/card_questions.yml


class _Classifier(LinearTextModel):
    """TF-IDF characters + words → linear SVM, over country-tokenised text."""

    temperature = TEMPERATURE

    def __init__(self, c: float, ngrams: tuple[int, int]) -> None:
        features = FeatureUnion([
            ("chars", TfidfVectorizer(analyzer="char_wb", ngram_range=ngrams, sublinear_tf=True,
                                      lowercase=False)),
            ("words", TfidfVectorizer(analyzer="word", ngram_range=(1, 2), token_pattern=r"(?u)\b\w+\b",
                                      sublinear_tf=True, lowercase=False)),
        ])
        self.pipeline = Pipeline([("features", features), ("clf", LinearSVC(C=c))])

    def fit(self, texts: Sequence[str], labels: Sequence[str]) -> _Classifier:
        self._fit(texts, labels)
        return self



class CardModel:
    """Ranks the answer cards for one question."""

    def __init__(self, c: float = DEFAULT_C, ngrams: tuple[int, int] = DEFAULT_NGRAMS) -> None:
        self.c, self.ngrams = c, ngrams

    def fit(self, texts: Sequence[str], cards: Sequence[str], subjects: Sequence[str]) -> CardModel:
        """`subjects[i]` is the subject of `cards[i]`."""
        if len(set(cards)) < 2:
            raise ValueError("the card model needs examples of at least two cards")
        subject_of = dict(zip(cards, subjects, strict=True))
        tokenised = [with_country_tokens(text) for text in texts]
        self._cards = _Classifier(self.c, self.ngrams).fit(tokenised, cards)
        self._subjects = None
        if len(set(subjects)) > 1:
            self._subjects = _Classifier(self.c, self.ngrams).fit(tokenised, subjects)
            position = {subject: i for i, subject in enumerate(self._subjects.scorer.classes)}
            # for each card of the card classifier, where its subject is in the subject classifier's output
            self._subject_index = np.array([position[subject_of[card]] for card in self._cards.scorer.classes])
        return self

    def rank(self, text: str, limit: int = 10) -> list[tuple[str, float]]:
        """The `limit` most likely cards with their probabilities, most likely first."""
        tokenised = with_country_tokens(text)
        scores = self._cards.scorer.probabilities(tokenised)
        if self._subjects is not None:
            subjects = self._subjects.scorer.probabilities(tokenised)
            scores = scores * subjects[self._subject_index] ** SUBJECT_WEIGHT
        scores = scores / scores.sum()
        order = np.argsort(-scores, kind="stable")[:limit]
        classes = self._cards.scorer.classes
        return [(classes[i], float(scores[i])) for i in order]


def trained_on(messages: Iterable[Message], c: float = DEFAULT_C,
               ngrams: tuple[int, int] = DEFAULT_NGRAMS) -> CardModel:
    """The card model fitted on the training messages that carry a card (bot.nlu.importer)."""
    labelled = [m for m in messages if m.get(TEXT) and m.get(CARD)]
    return CardModel(c, ngrams).fit([m.get(TEXT) for m in labelled], [m.get(CARD) for m in labelled],
                                    [m.get(SUBJECT) for m in labelled])
