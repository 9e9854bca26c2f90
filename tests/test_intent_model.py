"""The intent classifier: trained on the real NLU data through Rasa's own model storage, saved,
loaded back, and right about new messages in both languages, however they are typed."""

from __future__ import annotations

from pathlib import Path

import pytest
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.nlu.training_data.message import Message

from bot.nlu.components import LinearIntentClassifier
from bot.nlu.intent_model import IntentModel


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory, nlu_training_data) -> tuple[
        LinearIntentClassifier, LinearIntentClassifier]:
    """The component as `rasa train` makes it, and the same component loaded from storage."""
    storage = LocalModelStorage(tmp_path_factory.mktemp("model-storage"))
    resource = Resource("intent_classifier")
    context = ExecutionContext(GraphSchema({}), "test")
    component = LinearIntentClassifier.create({}, storage, resource, context)
    component.train(nlu_training_data)
    return component, LinearIntentClassifier.load({}, storage, resource, context)


def _intent(component: LinearIntentClassifier, text: str) -> Message:
    message = Message({"text": text})
    component.process([message])
    return message


# Messages written for this test (not in data/nlu): standard Albanian, without ë/ç, Gheg,
# English with typos.
NEW_MESSAGES = [
    ("dua të shkoj në Gjermani për punë, si ta bëj ligjërisht?", "ask_question"),
    ("si ta dergoj parane ne shqiperi", "ask_question"),
    ("due me u kthy n shpi prej italie", "ask_question"),
    ("how do I send money to my mum in albania cheaply", "ask_question"),
    ("my friend got a job offer in dubai that looks too good", "ask_question"),
    ("can i go back home from greece with your help", "ask_question"),
    ("I need to talk to a real person", "request_human"),
    ("what is iom", "ask_question"),
    ("pershendetje, si jeni?", "greet"),
    ("faleminderit shume per ndihmen", "thank"),
    ("what's the weather like in tirana tomorrow", "out_of_scope"),
    ("and how long does it take?", "ask_followup"),
]


@pytest.mark.parametrize(("text", "intent"), NEW_MESSAGES)
def test_new_messages_get_their_intent(trained, text: str, intent: str) -> None:
    _, loaded = trained
    assert _intent(loaded, text).get("intent")["name"] == intent


def test_the_loaded_model_ranks_exactly_as_the_trained_one(trained) -> None:
    component, loaded = trained
    for text, _ in NEW_MESSAGES:
        assert _intent(component, text).get("intent_ranking") == _intent(loaded, text).get(
            "intent_ranking")


def test_the_ranking_is_sorted_short_and_a_probability(trained) -> None:
    _, loaded = trained
    message = _intent(loaded, "a mund te punoj ne itali pa leje?")
    ranking = message.get("intent_ranking")
    confidences = [r["confidence"] for r in ranking]
    assert len(ranking) == 10 and confidences == sorted(confidences, reverse=True)
    assert 0.0 <= sum(confidences) <= 1.0 + 1e-9
    assert message.get("intent") == ranking[0]


def test_diacritics_make_no_difference(trained) -> None:
    _, loaded = trained
    assert loaded.model is not None
    assert loaded.model.rank("Si t'i dërgoj para familjes në Shqipëri?") == loaded.model.rank(
        "si t'i dergoj para familjes ne shqiperi?")


def test_an_untrained_component_leaves_messages_alone(tmp_path: Path) -> None:
    storage = LocalModelStorage(tmp_path)
    context = ExecutionContext(GraphSchema({}), "test")
    component = LinearIntentClassifier.load({}, storage, Resource("never-trained"), context)
    message = _intent(component, "pershendetje")
    assert message.get("intent") is None


def test_the_model_needs_two_intents() -> None:
    with pytest.raises(ValueError, match="two intents"):
        IntentModel().fit(["pershendetje", "hello"], ["greet", "greet"])
