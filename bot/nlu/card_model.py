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
"""

from __future__ import annotations

from collections.abc import Sequence

from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.pipeline import FeatureUnion, Pipeline
from sklearn.svm import LinearSVC

from bot.nlu.linear import LinearTextModel
from bot.places import with_country_tokens

DEFAULT_C = 1.0
DEFAULT_NGRAMS = (2, 5)
TEMPERATURE = 8.0  # the lowest held-out log loss over 3, 5, 8, 12 (bench/nlu_report.py)


class CardModel(LinearTextModel):
    """Ranks the answer cards for one question."""

    temperature = TEMPERATURE

    def __init__(self, c: float = DEFAULT_C, ngrams: tuple[int, int] = DEFAULT_NGRAMS) -> None:
        features = FeatureUnion([
            ("chars", TfidfVectorizer(analyzer="char_wb", ngram_range=ngrams, sublinear_tf=True,
                                      lowercase=False)),
            ("words", TfidfVectorizer(analyzer="word", ngram_range=(1, 2), token_pattern=r"(?u)\b\w+\b",
                                      sublinear_tf=True, lowercase=False)),
        ])
        self.pipeline = Pipeline([("features", features), ("clf", LinearSVC(C=c))])

    def fit(self, texts: Sequence[str], cards: Sequence[str]) -> CardModel:
        if len(set(cards)) < 2:
            raise ValueError("the card model needs examples of at least two cards")
        self._fit([with_country_tokens(text) for text in texts], cards)
        return self

    def rank(self, text: str, limit: int = 10) -> list[tuple[str, float]]:
        """The `limit` most likely cards with their probabilities, most likely first."""
        probabilities = self.scorer.probabilities(with_country_tokens(text))
        order = probabilities.argsort()[::-1][:limit]
        return [(self.scorer.classes[i], float(probabilities[i])) for i in order]
