"""The lexical index over the cards: questions in either language, typed any way, find the card."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from knowledge_support import BACKENDS, loaded_store

from bot.knowledge.model import Snapshot
from bot.knowledge.search import SearchIndex, index_of, terms


@pytest.fixture(scope="module", params=BACKENDS)
def shipped(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Snapshot]:
    """The shipped content, loaded into SQLite and into PostgreSQL: ranking must not differ."""
    with loaded_store(request.param, tmp_path_factory.mktemp("search")) as store:
        yield store.snapshot()


def test_nearly_every_cards_own_questions_find_it(shipped: Snapshot) -> None:
    # The index is what `kb search` and the operators see; a card its own questions cannot find
    # is a card nobody will be shown. Some examples are shared in meaning between close cards.
    index = index_of(shipped)
    found = [card.key in [h.card.key for h in index.rank(example, limit=3)]
             for card in shipped.cards for example in (card.examples["sq"][0], card.examples["en"][0])]
    assert sum(found) / len(found) >= 0.9


@pytest.mark.parametrize(("typed", "plain"), [
    ("Sa kohë zgjat nulla osta në Itali?", "sa kohe zgjat nulla osta ne itali"),
    ("Çfarë ndihme marrin viktimat?", "cfare ndihme marrin viktimat"),
])
def test_diacritics_do_not_change_the_ranking(fixture_snapshot: Snapshot, typed: str, plain: str) -> None:
    assert terms(typed) == terms(plain)
    index = index_of(fixture_snapshot)
    assert [h.card.key for h in index.rank(typed)] == [h.card.key for h in index.rank(plain)]


def test_a_question_in_albanian_and_in_english_find_the_same_card(fixture_snapshot: Snapshot) -> None:
    index = index_of(fixture_snapshot)
    assert index.rank("how long does the nulla osta take")[0].card.key == "work_it_duration"
    assert index.rank("sa kohe zgjat nulla osta")[0].card.key == "work_it_duration"


def test_hits_are_ordered_limited_and_distinct(fixture_snapshot: Snapshot) -> None:
    hits = index_of(fixture_snapshot).rank("work visa for italy or germany", limit=3)
    assert len(hits) == 3
    assert [h.similarity for h in hits] == sorted((h.similarity for h in hits), reverse=True)
    assert len({h.card.key for h in hits}) == 3


def test_cards_about_the_same_thing_are_more_similar(fixture_snapshot: Snapshot) -> None:
    index = index_of(fixture_snapshot)
    it, duration, victims = (fixture_snapshot.card(k) for k in ("work_it", "work_it_duration", "help_services"))
    same, other = index.card_similarity(it, [duration, victims])
    assert same > other >= 0.0
    assert index.card_similarity(it, [it]) == [pytest.approx(1.0)]


@pytest.mark.parametrize("query", ["", "   ", "?!", "what is the", "a e te"])
def test_a_query_without_content_words_matches_nothing(fixture_snapshot: Snapshot, query: str) -> None:
    assert index_of(fixture_snapshot).rank(query, limit=100) == []


def test_nonsense_matches_poorly(fixture_snapshot: Snapshot) -> None:
    hits = index_of(fixture_snapshot).rank("xqzt blorf wumble")
    assert not hits or hits[0].similarity < 0.2


def test_an_empty_index_ranks_nothing() -> None:
    index = SearchIndex([])
    assert index.rank("remittances") == []
    assert index.similarity("remittances").shape == (0,)


def test_the_index_of_a_snapshot_is_built_once(fixture_snapshot: Snapshot) -> None:
    assert index_of(fixture_snapshot) is index_of(fixture_snapshot)
