"""The card classifier and its training data: the cards' examples reach Rasa through the
importer, the component trains, is saved, loaded back, and ranks the cards of new questions;
the situation extractor turns words into the slots' entities."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import FIXTURE_KNOWLEDGE
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.nlu.training_data.message import Message

from bot.nlu.card_model import CardModel
from bot.nlu.components import CARD_RANKING, CardClassifier, SituationExtractor, example_language
from bot.nlu.importer import CARD, QUESTION_INTENT, KnowledgeImporter, card_examples

ROOT = Path(__file__).resolve().parents[1]


def test_every_example_of_a_card_becomes_a_labelled_question() -> None:
    data = card_examples(FIXTURE_KNOWLEDGE)
    questions = data.intent_examples
    assert {m.get("intent") for m in questions} == {QUESTION_INTENT}
    assert len([m for m in questions if m.get(CARD) == "work_it"]) == 16  # 8 per language
    assert {example_language(m) for m in questions} == {"sq", "en"}
    # the cards' own texts train the card model, not the intent classifier
    texts = [m for m in data.training_examples if not m.get("intent")]
    assert len(texts) == 6 * 3 * 2 and all(m.get(CARD) for m in texts)


def test_rasa_reads_the_cards_through_the_configured_importer() -> None:
    importer = KnowledgeImporter(str(ROOT / "config.yml"), str(ROOT / "domain.yml"), [str(ROOT / "data")])
    nlu = importer.get_nlu_data()
    assert {m.get(CARD) for m in nlu.training_examples if m.get(CARD)} == {c.key for c in _real_cards()}
    assert any(m.get("intent") == "greet" for m in nlu.intent_examples)  # data/nlu is still read


def _real_cards():
    from bot.knowledge.loader import read_knowledge
    from bot.knowledge.schema import Card

    return read_knowledge(ROOT / "data" / "knowledge").entities[Card]


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> tuple[CardClassifier, CardClassifier]:
    """The component trained on the fixture cards as `rasa train` does, and loaded back."""
    storage = LocalModelStorage(tmp_path_factory.mktemp("model-storage"))
    resource = Resource("card_classifier")
    context = ExecutionContext(GraphSchema({}), "test")
    component = CardClassifier.create({}, storage, resource, context)
    component.train(card_examples(FIXTURE_KNOWLEDGE))
    return component, CardClassifier.load({}, storage, resource, context)


def _ranking(component: CardClassifier, text: str) -> list[dict]:
    message = Message({"text": text})
    component.process([message])
    return message.get(CARD_RANKING)


@pytest.mark.parametrize(("text", "card"), [
    ("Sa kohë duhet që të vijë nulla osta nga Italia?", "work_it_duration"),
    ("qysh me shku me pun n'gjermani me nji oferte", "work_de"),
    ("my sister is in Naples, which number helps against trafficking there?", "help_abroad_it"),
    ("a marrin viktimat strehim falas?", "help_services"),
])
def test_new_questions_get_their_card(trained, text: str, card: str) -> None:
    _, loaded = trained
    assert _ranking(loaded, text)[0]["card"] == card


def test_the_loaded_model_ranks_exactly_as_the_trained_one(trained) -> None:
    component, loaded = trained
    for text in ("si punoj ne itali", "help in milan", "sa kohe zgjat"):
        assert _ranking(component, text) == _ranking(loaded, text)


def test_the_ranking_is_sorted_and_a_probability(trained) -> None:
    _, loaded = trained
    ranking = _ranking(loaded, "work visa")
    confidences = [r["confidence"] for r in ranking]
    assert len(ranking) == 6 and confidences == sorted(confidences, reverse=True)
    assert sum(confidences) == pytest.approx(1.0, abs=1e-3)


def test_a_town_counts_as_its_country(trained) -> None:
    # "Bologna" is in no example; the model reads it as Italy
    _, loaded = trained
    assert _ranking(loaded, "how do I get a job in Bologna legally")[0]["card"] == "work_it"


def test_trained_without_cards_the_component_ranks_nothing(tmp_path: Path) -> None:
    storage = LocalModelStorage(tmp_path)
    context = ExecutionContext(GraphSchema({}), "test")
    component = CardClassifier.create({}, storage, Resource("no-cards"), context)
    component.train(card_examples(FIXTURE_KNOWLEDGE).__class__())
    assert _ranking(component, "anything") is None


def test_the_model_needs_two_cards() -> None:
    with pytest.raises(ValueError, match="two cards"):
        CardModel().fit(["si punoj ne itali", "work in italy"], ["work_it", "work_it"], ["work", "work"])


def test_the_real_model_knows_its_own_examples(card_model) -> None:
    # On its training data the model must be nearly always right; far less means cards whose
    # examples contradict each other.
    messages = [m for m in card_examples().intent_examples]
    right = sum(card_model.rank(m.get("text"), 1)[0][0] == m.get(CARD) for m in messages)
    assert right / len(messages) >= 0.95


def test_the_situation_extractor_adds_the_slots_entities() -> None:
    message = Message({"text": "vajza ime 15 vjeç është në Milano"})
    SituationExtractor().process([message])
    found = {e["entity"]: e["value"] for e in message.get("entities")}
    assert found == {"country": "IT", "location": "abroad", "asker": "relative", "minor": True}
    quiet = Message({"text": "faleminderit"})
    SituationExtractor().process([quiet])
    assert quiet.get("entities") is None

