"""Ranking: paraphrased questions in either language, typed any way, find the right fact."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from knowledge_support import BACKENDS, loaded_store

from bot.knowledge.search import SearchIndex, terms
from bot.knowledge.store import Snapshot


@pytest.fixture(scope="module", params=BACKENDS)
def snapshot(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Snapshot]:
    """The shipped content, loaded into SQLite and into PostgreSQL: ranking must not differ."""
    with loaded_store(request.param, tmp_path_factory.mktemp("search")) as store:
        yield store.snapshot()

# (our own question, a number the top document's text must contain)
QUESTIONS = [
    # returnees from the UK: 450
    ("how many people came back from britain with iom help", "450"),
    ("how many albanians returnd from the uk", "450"),
    ("sa emigrantë u kthyen nga Mbretëria e Bashkuar?", "450"),
    ("sa emigrante u kthyen nga mbreteria e bashkuar", "450"),
    ("sa veta jan kthy prej anglise me ndihmen e iom", "450"),
    # membership: 1993
    ("what year did albania become a full member of iom", "1993"),
    ("ne cilin vit u be shqiperia shtet anetar i iom", "1993"),
    ("kur u anëtarësua Shqipëria në IOM?", "1993"),
    ("kur u anetaresua shqiperia ne iom", "1993"),
    # remittance action plan: 8 measures
    ("how many measures are in the remittance action plan", "8"),
    ("remitance plan, how many measurs?", "8"),
    ("sa masa ka plani për remitancat?", "8"),
    ("sa masa ka plani i dergesave ne para", "8"),
    # trafficking helpline: 116 006
    ("number for trafficking victims", "116 006"),
    ("trafiking helpline numbr", "116 006"),
    ("cili eshte numri i linjes per viktimat e trafikimit", "116 006"),
    ("linja e ndihmës për viktimat e trafikimit", "116 006"),
    # Schengen: 90 days
    ("how long can i stay in schengen without visa", "90"),
    ("how many days can albanians travel visa free in europe", "90"),
    ("sa ditë mund të rri në Shengen pa vizë?", "90"),
    ("sa dite mund te qendroj ne zonen shengen pa viza", "90"),
]


@pytest.mark.parametrize(("question", "number"), QUESTIONS)
def test_the_top_hit_holds_the_answer(snapshot: Snapshot, question: str, number: str) -> None:
    top = snapshot.index.rank(question)[0]
    assert number in top.document.text.en, (question, top.document.key)
    assert number in top.document.text.sq, (question, top.document.key)
    assert top.similarity > 0


@pytest.mark.parametrize(("typed", "plain"), [
    ("Sa emigrantë u kthyen nga Mbretëria e Bashkuar?",
     "sa emigrante u kthyen nga mbreteria e bashkuar"),
    ("Kur u anëtarësua Shqipëria?", "kur u anetaresua shqiperia"),
])
def test_diacritics_do_not_change_the_ranking(snapshot: Snapshot, typed: str, plain: str) -> None:
    assert terms(typed) == terms(plain)
    ranked = [h.document.key for h in snapshot.index.rank(typed)]
    assert ranked == [h.document.key for h in snapshot.index.rank(plain)]


def test_a_question_in_albanian_and_in_english_find_the_same_fact(snapshot: Snapshot) -> None:
    english = snapshot.index.rank("how many measures does the remittances plan have")[0]
    albanian = snapshot.index.rank("sa masa ka plani i remitancave")[0]
    assert english.document.key == albanian.document.key


def test_hits_are_ordered_and_limited(snapshot: Snapshot) -> None:
    hits = snapshot.index.rank("voluntary return from the uk", limit=3)
    assert len(hits) == 3
    scores = [h.score for h in hits]
    assert scores == sorted(scores, reverse=True)
    assert len({h.document.key for h in hits}) == 3


def _competing_query(snapshot: Snapshot) -> tuple[str, str, str]:
    """A query whose best two hits are of different topics: (query, top topic, other topic)."""
    query = "embassy consulate abroad help"
    hits = snapshot.index.rank(query, limit=10)
    top_topic = hits[0].document.topic
    other = next(h.document.topic for h in hits if h.document.topic != top_topic)
    return query, top_topic, other


def test_topic_boosts_change_the_order(snapshot: Snapshot) -> None:
    query, top_topic, other = _competing_query(snapshot)
    plain = snapshot.index.rank(query)
    boosted = snapshot.index.rank(query, topic_boosts={other: 0.5})
    assert plain[0].document.topic == top_topic
    assert boosted[0].document.topic == other
    assert boosted[0].document.key != plain[0].document.key
    for hit in boosted:  # the boost adds to the score, never to the similarity
        extra = 0.5 if other in hit.document.topics else 0.0
        assert hit.score == pytest.approx(hit.similarity + extra, abs=0.1)
        assert hit.score >= hit.similarity


def test_a_boost_for_another_topic_does_not_move_the_top_hit(snapshot: Snapshot) -> None:
    query, top_topic, _ = _competing_query(snapshot)
    plain = snapshot.index.rank(query)[0]
    boosted = snapshot.index.rank(query, topic_boosts={top_topic: 0.2})[0]
    assert boosted.document.key == plain.document.key
    assert boosted.score == pytest.approx(plain.score + 0.2, abs=0.1)


def test_document_boosts_lift_a_single_document(snapshot: Snapshot) -> None:
    hits = snapshot.index.rank("remittances", document_boosts={"avr_package": 1.0})
    assert hits[0].document.key == "avr_package"
    assert hits[0].similarity < hits[1].similarity


@pytest.mark.parametrize("query", ["", "   ", "?!", "what is the", "a e te"])
def test_a_query_without_content_words_matches_nothing(snapshot: Snapshot, query: str) -> None:
    hits = snapshot.index.rank(query, limit=100)
    assert len(hits) == len(snapshot.documents)
    assert all(h.similarity == 0.0 for h in hits)


def test_nonsense_matches_poorly(snapshot: Snapshot) -> None:
    assert snapshot.index.rank("xqzt blorf wumble")[0].similarity < 0.2


def test_an_empty_index_ranks_nothing() -> None:
    index = SearchIndex([])
    assert index.rank("remittances") == []
    assert index.similarity("remittances").shape == (0,)
