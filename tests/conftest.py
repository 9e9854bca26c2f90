"""Shared fixtures for the unit tests: the real knowledge files, a small fixture knowledge, the
real NLU data.

Nothing of our own is mocked: the store is a real SQLite file loaded from data/knowledge (or
from tests/fixtures/knowledge, a small valid set whose content the tests may rely on while staff
edit the real files), and the language model is trained on data/nlu exactly as the Rasa
component trains it. Fixtures named for a store of the test's own (`database_url`, `fresh_store`)
run each test on SQLite and on PostgreSQL (see knowledge_support.py).
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from fake_providers import FakeProviders
from knowledge_support import BACKENDS, empty_database

from bot.knowledge.model import Snapshot
from bot.knowledge.store import KNOWLEDGE_DIR, KnowledgeStore
from bot.language import LanguageModel
from bot.nlu.intent_model import IntentModel

ROOT = Path(__file__).resolve().parents[1]
NLU_DIR = ROOT / "data" / "nlu"
FIXTURE_KNOWLEDGE = ROOT / "tests" / "fixtures" / "knowledge"


@pytest.fixture(scope="session")
def knowledge_store(tmp_path_factory: pytest.TempPathFactory) -> KnowledgeStore:
    """A SQLite store in a temporary folder, loaded from the real data/knowledge files.

    Shared by the whole session: tests must not change it (make a store of your own instead).
    """
    return _loaded_store(tmp_path_factory, KNOWLEDGE_DIR)


def _loaded_store(tmp_path_factory: pytest.TempPathFactory, knowledge: Path) -> KnowledgeStore:
    store = KnowledgeStore(f"sqlite:///{tmp_path_factory.mktemp('knowledge-store')}/kb.db")
    store.import_directory(knowledge)
    return store


@pytest.fixture(scope="session")
def snapshot(knowledge_store: KnowledgeStore) -> Snapshot:
    return knowledge_store.snapshot()


@pytest.fixture(scope="session")
def nlu_training_data():
    """The real NLU training data as Rasa trains on it: data/nlu plus the cards' examples and
    texts (bot.nlu.importer); imported lazily, Rasa is slow to import."""
    from rasa.shared.nlu.training_data.loading import load_data

    from bot.nlu.importer import card_examples

    return load_data(str(NLU_DIR)).merge(card_examples())


@pytest.fixture(scope="session")
def language_model(nlu_training_data) -> LanguageModel:
    """The language identifier trained on the NLU examples, as LanguageIdentifier.train does."""
    from bot.nlu.components import example_language

    labelled = [(m.get("text"), example_language(m)) for m in nlu_training_data.intent_examples]
    texts, labels = zip(*[(t, lang) for t, lang in labelled if t and lang], strict=True)
    return LanguageModel().fit(texts, labels)


@pytest.fixture(scope="session")
def intent_model(nlu_training_data) -> IntentModel:
    """The intent model trained on the NLU examples, as LinearIntentClassifier.train does."""
    examples = [m for m in nlu_training_data.intent_examples if m.get("text") and m.get("intent")]
    return IntentModel().fit([m.get("text") for m in examples], [m.get("intent") for m in examples])


@pytest.fixture(scope="session")
def fixture_store(tmp_path_factory: pytest.TempPathFactory) -> KnowledgeStore:
    """The fixture knowledge (tests/fixtures/knowledge) loaded into a SQLite store; shared, so
    tests must not change it."""
    return _loaded_store(tmp_path_factory, FIXTURE_KNOWLEDGE)


@pytest.fixture(scope="session")
def fixture_snapshot(fixture_store: KnowledgeStore) -> Snapshot:
    return fixture_store.snapshot()


@pytest.fixture(scope="session")
def card_model():
    """The card model trained on the real cards, as the CardClassifier component trains it."""
    from bot.nlu.card_model import trained_on
    from bot.nlu.importer import card_examples

    return trained_on(card_examples().training_examples)


@pytest.fixture
def knowledge_copy(tmp_path: Path) -> Path:
    """A private copy of data/knowledge that a test may edit or break."""
    target = tmp_path / "knowledge"
    shutil.copytree(KNOWLEDGE_DIR, target)
    return target


@pytest.fixture
def fixture_copy(tmp_path: Path) -> Path:
    """A private copy of the fixture knowledge that a test may edit or break."""
    target = tmp_path / "fixture-knowledge"
    shutil.copytree(FIXTURE_KNOWLEDGE, target)
    return target


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The URL of an empty database of the test's own, on SQLite and on PostgreSQL."""
    with empty_database(request.param, tmp_path) as url:
        yield url


@pytest.fixture
def fresh_store(database_url: str) -> Iterator[KnowledgeStore]:
    """An empty store of the test's own (nothing imported yet), on both backends."""
    store = KnowledgeStore(database_url)
    yield store
    store.close()


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeProviders]:
    """Every messaging provider's API, faked with its real formats, for one test module."""
    providers = FakeProviders().start()
    yield providers
    providers.stop()
