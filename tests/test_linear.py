"""The fast scorer gives exactly scikit-learn's probabilities, for the real language and intent
models, on the real examples and on text no example looks like."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.feature_extraction.text import CountVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline

from bot.language import LanguageModel
from bot.nlu.intent_model import IntentModel
from bot.nlu.linear import LinearScorer
from bot.text import clean, fold

ODD_TEXTS = ["", " ", "!!!", "🤷‍♀️🙏", "zzzz qqqq xxxx", "112", "ok", "a" * 2000,
             "SELECT * FROM events; --", "<script>alert(1)</script>", "Ελληνικά και русский"]


def _texts(nlu_training_data, every: int = 7) -> list[str]:
    return [m.get("text") for m in nlu_training_data.intent_examples[::every]] + ODD_TEXTS


def test_language_probabilities_equal_sklearns(language_model: LanguageModel,
                                               nlu_training_data) -> None:
    scorer = language_model.scorer
    assert len(scorer.classes) == 2 and len(scorer.blocks) == 2  # binary, chars + words
    for text in _texts(nlu_training_data):
        prepared = clean(text).lower()
        expected = language_model.pipeline.predict_proba([prepared])[0]
        np.testing.assert_allclose(scorer.probabilities(prepared), expected, rtol=0, atol=1e-9)


def test_intent_probabilities_equal_sklearns(intent_model: IntentModel, nlu_training_data) -> None:
    scorer = intent_model.scorer
    assert len(scorer.classes) > 2  # multinomial
    for text in _texts(nlu_training_data):
        expected = intent_model.pipeline.predict_proba([fold(text)])[0]
        np.testing.assert_allclose(scorer.probabilities(fold(text)), expected, rtol=0, atol=1e-9)
    ranking = intent_model.rank("si mund t'i dërgoj para familjes?")
    probabilities = [p for _, p in ranking]
    assert probabilities == sorted(probabilities, reverse=True)
    assert sorted(name for name, _ in ranking) == sorted(scorer.classes)


def test_refitting_forgets_the_old_scorer() -> None:
    model = IntentModel().fit(["pershendetje", "faleminderit"], ["greet", "thank"])
    first = model.scorer
    model.fit(["hello", "thanks", "bye"], ["greet", "thank", "goodbye"])
    assert model.scorer is not first and len(model.scorer.classes) == 3


def test_other_features_are_refused() -> None:
    pipeline = Pipeline([("features", CountVectorizer()), ("clf", LogisticRegression())])
    pipeline.fit(["alpha beta", "gamma delta"], ["x", "y"])
    with pytest.raises(TypeError, match="TF-IDF"):
        LinearScorer(pipeline)
