"""End-to-end conversations with the real action server and the real Rasa server.

A module-scoped fixture loads the knowledge into a temporary SQLite store, starts both servers
on free ports (never 5005/5055, which a person may be using) and stops them afterwards. Each
test talks to the REST channel as a fresh sender and checks what a person would read.

Run: .venv/bin/pytest -q -m e2e tests/test_e2e.py   (server start-up takes 20-60 s)
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
import requests
import sqlalchemy
from e2e_support import Conversation, Servers, Turn, fold, language_of
from knowledge_support import BACKENDS, empty_database

pytestmark = pytest.mark.e2e

UK_QUESTION_SQ = "Sa emigrantë janë kthyer nga Anglia me programin e kthimit vullnetar?"
UK_QUESTION_EN = "How many people returned from the UK with the voluntary return programme?"
FALLBACK_SQ = "Nuk jam i sigurt"
FALLBACK_EN = "not sure I understood"
CHOOSER_PAYLOADS = {'/switch_language{"language":"sq"}', '/switch_language{"language":"en"}'}
EMERGENCY_WINDOW = 300  # the emergency numbers must be readable without scrolling
# Any ERROR or traceback in either server's log during a turn fails it.
KNOWN_LOG_ERRORS: tuple[str, ...] = ()


@pytest.fixture(scope="module")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Servers]:
    """The real action server and Rasa server, with a fresh knowledge store."""
    running = Servers(tmp_path_factory.mktemp("e2e"))
    try:
        running.start()
    except Exception as error:  # report the logs, then fail every test of the module
        running.stop()
        pytest.fail(f"The assistant did not start: {error}", pytrace=False)
    print(f"\nservers up in {running.startup_seconds:.1f} s: rasa on {running.rasa_port}, "
          f"actions on {running.action_port}; logs in {running.workdir}")
    yield running
    running.stop()


class Chat(Conversation):
    """A conversation that also fails on unexpected errors in the servers' logs."""

    def say(self, message: str) -> Turn:
        turn = super().say(message)
        problems = [line for line in turn.logs.splitlines()
                    if ("Traceback" in line or " ERROR " in line)
                    and not any(known in line for known in KNOWN_LOG_ERRORS)]
        self.check(not problems, turn, "expected no errors or tracebacks in the server logs, got:\n"
                   + "\n".join(problems[:20]))
        return turn


@pytest.fixture
def chat(servers: Servers, request: pytest.FixtureRequest) -> Chat:
    """A fresh sender for one conversation."""
    return Chat(servers, label=request.node.name)


def expect_emergency(chat: Chat, message: str, language: str) -> Turn:
    """The emergency response: a number to call at the top of the first bot message.

    The REST channel sends each paragraph as its own message, so the first message must itself
    carry 112 or 116 006; the reply as a whole must give both, and must not be the fallback.
    """
    turn = chat.say(message)
    head = turn.first_text[:EMERGENCY_WINDOW]
    chat.check("112" in head or "116 006" in head, turn,
               f"expected 112 or 116 006 within the first {EMERGENCY_WINDOW} characters of the "
               "first bot message")
    chat.check("112" in turn.text and "116 006" in turn.text, turn,
               "expected both 112 and 116 006 in the reply (the emergency response)")
    chat.check(FALLBACK_SQ.lower() not in turn.text.lower()
               and FALLBACK_EN.lower() not in turn.text.lower(),
               turn, "expected the emergency response, not the fallback")
    chat.expect_language(turn, language)
    return turn


def expect_topic_buttons(chat: Chat, turn: Turn) -> None:
    payloads = {button.get("payload") for button in turn.buttons}
    chat.check(len(payloads) >= 2 and not payloads & CHOOSER_PAYLOADS, turn,
               "expected the topic buttons, not the language chooser")


# --- Albanian ---------------------------------------------------------------------------------


@pytest.mark.parametrize("greeting", ["Përshëndetje, si jeni?", "mirdita"],
                         ids=["diacritics", "plain"])
def test_albanian_greeting_is_answered_in_albanian(chat: Chat, greeting: str) -> None:
    turn = chat.expect(greeting, contains=("Si mund t'ju ndihmoj",), language="sq")
    expect_topic_buttons(chat, turn)


@pytest.mark.parametrize("question", [
    UK_QUESTION_SQ,
    "sa veta jan kthy prej anglie me ndihmen e IOM?",  # Gheg, no diacritics
], ids=["diacritics", "gheg"])
def test_albanian_voluntary_return_from_the_uk_with_source_and_followup(
        chat: Chat, question: str) -> None:
    chat.expect(question, contains=("450", "Burimi"), absent=(FALLBACK_SQ,), language="sq")
    # An elliptical follow-up only makes sense with the previous answer's topic.
    chat.expect("po kjo kur ishte?", contains=("kthim", "Burimi"), absent=(FALLBACK_SQ,),
                language="sq")


# --- English ----------------------------------------------------------------------------------


def test_english_greeting_is_answered_in_english(chat: Chat) -> None:
    turn = chat.expect("Hi there!", contains=("How can I help",), language="en")
    expect_topic_buttons(chat, turn)


@pytest.mark.parametrize("question", [
    UK_QUESTION_EN,
    "how many albanians came back from britain with IOM help",
], ids=["uk", "britain"])
def test_english_voluntary_return_from_the_uk_with_source_and_followup(
        chat: Chat, question: str) -> None:
    chat.expect(question, contains=("450", "Source"), absent=(FALLBACK_EN,), language="en")
    chat.expect("and when was that?", contains=("return", "Source"), absent=(FALLBACK_EN,),
                language="en")


# --- Emergencies ------------------------------------------------------------------------------


@pytest.mark.parametrize(("message", "language"), [
    pytest.param("Më kanë marrë pasaportën dhe nuk më lënë të dal nga shtëpia", "sq",
                 id="sq-diacritics"),
    pytest.param("me kane marre pasaporten dhe nuk me lene te dal nga shtepia", "sq",
                 id="sq-plain"),
    pytest.param("po m'rrahin dhe s'po m'lshojn me dal prej shpie", "sq", id="sq-gheg"),
    pytest.param("My employer took my passport and locks me in the house at night", "en",
                 id="en"),
    pytest.param("my boss keeps my documents and wont let me leave", "en", id="en-no-apostrophe"),
])
def test_emergency_first_message(chat: Chat, message: str, language: str) -> None:
    expect_emergency(chat, message, language)


@pytest.mark.parametrize(("question", "emergency", "language"), [
    pytest.param("si mund te dergoj para ne shtepi pa rrezik?",
                 "ndihme, pronari me mbyll ne dhome dhe me kercenon", "sq", id="sq"),
    pytest.param("How can I work in Germany legally?",
                 "they are forcing me to work and they took my passport", "en", id="en"),
])
def test_emergency_in_the_middle_of_a_conversation(
        chat: Chat, question: str, emergency: str, language: str) -> None:
    source = "Burimi" if language == "sq" else "Source"
    chat.expect(question, contains=(source,), language=language)
    expect_emergency(chat, emergency, language)


@pytest.mark.parametrize("message", [
    "my sister was trafficked to italy, please help",
    "i was trafficked",
], ids=["sister", "me"])
def test_trafficking_emergency_is_not_swallowed_by_the_fallback(chat: Chat, message: str) -> None:
    expect_emergency(chat, message, "en")


# --- Answer cards: follow-ups, choices, the situation --------------------------------------------


def test_a_follow_up_for_another_country_moves_to_that_countrys_route(chat: Chat) -> None:
    chat.expect("how can I work legally in Italy?", contains=("nulla osta", "Source"), absent=(FALLBACK_EN,),
                language="en")
    turn = chat.expect("and for Germany?", contains=("Source",), absent=("nulla osta", FALLBACK_EN), language="en")
    chat.check(any(w in turn.text for w in ("Western Balkans", "Federal Employment Agency", "Bundesagentur")), turn,
               "expected the German route")


def test_a_follow_up_asking_how_long_stays_on_the_subject(chat: Chat) -> None:
    chat.expect("si punoj ne itali me decreto flussi?", contains=("nulla osta",), language="sq")
    turn = chat.expect("sa kohe zgjat?", contains=("Burimi",), absent=(FALLBACK_SQ,), language="sq")
    chat.check("dit" in fold(turn.text) or "muaj" in fold(turn.text), turn, "expected how long it takes")


def test_a_card_chosen_with_a_button_is_answered(chat: Chat, snapshot) -> None:
    card = snapshot.card("vr_uk_process") or snapshot.cards[0]
    turn = chat.expect("hello", language="en")
    turn = chat.expect(f'/choose_card{{"card":"{card.key}"}}', contains=("Source",), language="en")
    chat.check(card.answer.en.split(".")[0] in turn.text, turn, "expected the chosen card's answer")


def test_a_topic_button_offers_that_topics_cards(chat: Chat) -> None:
    chat.expect("hello", language="en")
    turn = chat.expect('/choose_topic{"topic":"voluntary_return"}', contains=("Voluntary return",), language="en")
    payloads = [b.get("payload", "") for b in turn.buttons]
    chat.check(len(payloads) >= 3 and all(p.startswith('/choose_card{"card":"vr_') for p in payloads), turn,
               "expected the voluntary return cards as buttons")


def test_an_emergency_abroad_gets_that_countrys_numbers(chat: Chat, snapshot) -> None:
    italy = next(c for c in snapshot.tagged("trafficking_line", "IT") if c.phone)
    turn = expect_emergency(chat, "they took our phones and lock the door every night, we are in a house near naples",
                            "en")
    chat.check(turn.first_text.startswith("🚨") and "[112](tel:112)" in turn.first_text, turn,
               "expected the marked local emergency number first")
    chat.check(italy.phone in turn.text, turn, f"expected Italy's anti-trafficking line {italy.phone}")


def test_a_groomed_minor_gets_the_child_helpline(chat: Chat, snapshot) -> None:
    child = next(c for c in snapshot.tagged("child_line", "AL") if c.phone)
    turn = expect_emergency(chat, "jam 14 vjece, nje djale qe njoha ne snapchat me ofron pune si modele ne itali "
                                  "dhe me tha mos u trego prinderve", "sq")
    chat.check(child.phone in turn.text, turn, f"expected the child helpline {child.phone}")


@pytest.mark.parametrize(("message", "language"), [
    pytest.param("Si nxirret pasaporta për një fëmijë nën 16 vjeç?", "sq", id="child-passport"),
    pytest.param("Çfarë dokumentesh duhen për t'i marrë fëmijët me vete jashtë shtetit?", "sq", id="children-abroad"),
    pytest.param("my boss always pays me a week late", "en", id="late-pay"),
    pytest.param("I got locked out of my flat in London", "en", id="locked-out"),
    pytest.param("a debt collector sent me a threatening letter", "en", id="debt-letter"),
])
def test_ordinary_questions_that_sound_alarming_get_no_alarm(chat: Chat, message: str, language: str) -> None:
    chat.expect(message, absent=("🚨", "we believe you", "ju besojmë"), language=language)


# --- Language ---------------------------------------------------------------------------------


def test_switch_from_english_to_albanian_and_stay_there(chat: Chat) -> None:
    chat.expect("How can I send money home to Albania safely?", contains=("Source",),
                language="en")
    turn = chat.expect("Can we continue in Albanian please?", language="sq")
    chat.check(bool(re.search(r"[ëç]", turn.text)), turn, "expected Albanian letters (ë/ç)")
    # Messages without a clear language keep the conversation in Albanian.
    chat.expect("ok", language="sq")
    chat.expect("IOM?", contains=("Burimi",), language="sq")
    chat.expect("a eshte e sigurt western union?", contains=("Burimi",), language="sq")


def test_button_payload_switches_to_english(chat: Chat) -> None:
    chat.expect("si mund te dergoj para ne shtepi?", contains=("Burimi",), language="sq")
    chat.expect('/switch_language{"language":"en"}', contains=("Source",), language="en")
    chat.expect("ok", language="en")


@pytest.mark.parametrize("first_message", ["ok", "👍"], ids=["ok", "thumbs-up"])
def test_unclear_first_message_gets_the_bilingual_language_chooser(
        chat: Chat, first_message: str) -> None:
    turn = chat.expect(first_message, contains=("Përshëndetje", "Hello", "112"))
    payloads = {button.get("payload") for button in turn.buttons}
    chat.check(len(turn.buttons) == 2 and payloads == CHOOSER_PAYLOADS, turn,
               f"expected exactly the two language buttons {sorted(CHOOSER_PAYLOADS)}")
    titles = {button.get("title") for button in turn.buttons}
    chat.check(titles == {"Shqip", "English"}, turn, "expected the buttons Shqip and English")
    chat.expect('/switch_language{"language":"sq"}', contains=("shqip",), language="sq")


def test_language_chooser_renders_without_errors(chat: Chat) -> None:
    turn = chat.say("ok")
    errors = [line for line in turn.logs.splitlines() if " ERROR " in line]
    chat.check(not errors, turn, "expected no ERROR in the server logs")


# --- Person, out of scope ---------------------------------------------------------------------

PHONE = re.compile(r"\b116 ?006\b")


@pytest.mark.parametrize(("message", "language"), [
    pytest.param("I want to talk to a real person", "en", id="en"),
    pytest.param("dua te flas me nje punonjes, jo me robot", "sq", id="sq"),
])
def test_request_for_a_human_gets_a_phone_number(chat: Chat, message: str, language: str) -> None:
    turn = chat.expect(message, language=language)
    chat.check(bool(PHONE.search(turn.text)), turn, "expected the 116 006 phone number")


@pytest.mark.parametrize(("message", "language", "refusal"), [
    pytest.param("Who will win the Champions League this year?", "en", "Sorry, I can't help",
                 id="en-football"),
    pytest.param("me jep nje recete per fergese", "sq", "nuk mund t'ju ndihmoj", id="sq-recipe"),
    pytest.param("si do jete koha ne durres te shtunen", "sq", "nuk mund t'ju ndihmoj",
                 id="sq-weather"),
])
def test_out_of_scope_gets_a_polite_refusal_not_a_fact(
        chat: Chat, message: str, language: str, refusal: str) -> None:
    chat.expect(message, contains=(refusal,), absent=("Burimi", "Source"), language=language)


# --- Bad input --------------------------------------------------------------------------------

BAD_INPUTS = {
    "empty": "",
    "whitespace": " \t\n  ",
    "10000-characters": ("I need information about working abroad legally. " * 200)[:10_000],
    "10000-letters": "a" * 10_000,
    "emoji-only": "😀🙏🇦🇱",
    "restart": "/restart",
    "unknown-intent-with-bad-language": '/some_intent{"language":"xx"}',
    "greet-with-bad-language": '/greet{"language":"xx"}',
    "html-script": "<script>alert('x')</script><b>hello</b>",
    "control-characters": "hello\x00\x01\x1b[31m\x7f\u200b\ufeff world",
}


@pytest.mark.parametrize("bad", list(BAD_INPUTS.values()), ids=list(BAD_INPUTS))
def test_bad_input_never_breaks_the_conversation(chat: Chat, bad: str) -> None:
    chat.say(bad)  # HTTP 200 with a JSON list (checked by say), no tracebacks in the logs
    chat.expect(UK_QUESTION_EN, contains=("450", "Source"), language="en")


def test_helpers_tell_languages_apart() -> None:
    """The language check used above, on the assistant's own kinds of text."""
    assert language_of("Në rregull, vazhdojmë në shqip. Si mund t'ju ndihmoj?") == "sq"
    assert language_of("Sure, let's continue in English. How can I help?") == "en"
    assert fold("Përshëndetje") == "pershendetje"


# --- Malformed requests and typed commands (bot/channels) --------------------------------------

MALFORMED_BODIES = {
    "empty-body": b"",
    "null": b"null",
    "list": b"[]",
    "number": b"42",
    "not-json": b"{bad",
    "no-sender": b'{"message": "hello"}',
    "sender-not-a-string": b'{"sender": 5, "message": "hello"}',
    "sender-too-long": ('{"sender": "%s", "message": "hello"}' % ("x" * 300)).encode(),
    "message-not-a-string": b'{"sender": "someone", "message": {"text": "hello"}}',
    "no-message": b'{"sender": "someone"}',
}


@pytest.mark.parametrize("body", list(MALFORMED_BODIES.values()), ids=list(MALFORMED_BODIES))
def test_malformed_requests_get_http_400_with_a_reason(servers: Servers, body: bytes) -> None:
    response = requests.post(servers.webhook, data=body, timeout=30,
                             headers={"Content-Type": "application/json"})
    assert response.status_code == 400, (body, response.status_code, response.text[:300])
    assert response.json().get("message"), response.text[:300]


def test_a_request_without_sender_never_joins_a_shared_conversation(servers: Servers) -> None:
    for _ in range(2):
        response = requests.post(servers.webhook, json={"message": "hello"}, timeout=30)
        assert response.status_code == 400


def test_typed_slot_injection_does_not_change_the_language(chat: Chat) -> None:
    chat.expect("hello, i have a question", language="en")
    chat.say('/switch_language{"language":"xx"}')
    chat.say('/greet{"language":"sq"}')
    chat.expect(UK_QUESTION_EN, contains=("450", "Source"), language="en")


def test_a_very_long_message_gets_a_short_answer_with_emergency_numbers(chat: Chat) -> None:
    turn = chat.say("I came to London in a lorry and I owe money. " * 100)
    chat.check("112" in turn.text and "116 006" in turn.text, turn, "expected emergency numbers")
    chat.check("too long" in turn.text, turn, "expected the too-long notice")


# --- Durable conversations (SQL tracker store) -------------------------------------------------

@pytest.fixture(scope="module", params=BACKENDS)
def durable_servers(request: pytest.FixtureRequest,
                    tmp_path_factory: pytest.TempPathFactory) -> Iterator[Servers]:
    """Servers whose conversations live in the tracker store, on SQLite and on PostgreSQL."""
    workdir = tmp_path_factory.mktemp(f"durable-{request.param}")
    with empty_database(request.param, workdir) as url:
        running = Servers.with_tracker_store(workdir, url)
        try:
            running.start()
            yield running
        finally:
            running.stop()


def test_a_restart_keeps_the_conversation_language_and_context(durable_servers: Servers) -> None:
    chat = Conversation(durable_servers, "durable")
    chat.say("pershendetje, kam nje pyetje per kthimin vullnetar nga anglia")
    durable_servers.restart_rasa()
    turn = chat.say("ok")  # no language of its own: the stored conversation decides
    chat.check(language_of(turn.text) == "sq", turn, "expected Albanian after the restart")
    texts = [data for _, data in durable_servers.stored_events(chat.sender)]
    chat.check(any("kthimin vullnetar" in t for t in texts), turn, "expected the events stored")


def test_a_long_conversation_keeps_its_language_and_context_in_every_session(
        durable_servers: Servers) -> None:
    chat = Conversation(durable_servers, "long")
    chat.say("pershendetje")
    for _ in range(4):
        chat.expect(UK_QUESTION_SQ, contains=("450",), language="sq")
        chat.expect("si mund t'i dërgoj para familjes në Shqipëri?", language="sq")
    chat.expect("ok", language="sq")  # no language of its own: the carried-over slot decides
    chat.say("cili është plani kombëtar për remitancat?")
    chat.expect("sa masa ka?", contains=("8",), language="sq")  # the topic was carried over too
    types = [kind for kind, _ in durable_servers.stored_events(chat.sender)]
    assert types.count("session_started") >= 3, types
    assert types.count("user") == len(chat.turns), "every message must stay stored"


def test_personal_identifiers_never_reach_the_tracker_store(durable_servers: Servers) -> None:
    chat = Conversation(durable_servers, "privacy")
    chat.say("my passport BA1234567 was taken, call me on +355 69 123 4567 or ana@example.com")
    data = "\n".join(data for _, data in durable_servers.stored_events(chat.sender))
    engine = sqlalchemy.create_engine(durable_servers.tracker_url or "", poolclass=sqlalchemy.pool.NullPool)
    try:
        with engine.connect() as connection:
            raw_ids = connection.execute(sqlalchemy.text(
                "select count(*) from events where sender_id = :s or data like :d"),
                {"s": chat.sender, "d": f"%{chat.sender}%"}).scalar_one()
    finally:
        engine.dispose()
    assert raw_ids == 0, "the channel's sender id must only be stored hashed"
    assert "[ID]" in data and "[PHONE]" in data and "[EMAIL]" in data
    for secret in ("BA1234567", "123 4567", "ana@example.com"):
        assert secret not in data


# --- Faults: the action server goes down and comes back ----------------------------------------

@pytest.fixture(scope="module")
def fragile_servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Servers]:
    running = Servers(tmp_path_factory.mktemp("fragile"))
    try:
        running.start()
        yield running
    finally:
        running.stop()


def test_action_server_down_gets_an_apology_then_service_recovers(fragile_servers: Servers) -> None:
    chat = Conversation(fragile_servers, "fault")
    chat.expect(UK_QUESTION_EN, contains=("450",), language="en")
    assert fragile_servers.actions is not None
    fragile_servers.actions.stop()
    turn = chat.say(UK_QUESTION_EN)
    chat.check("116 006" in turn.text and "Sorry" in turn.text, turn, "expected an apology")
    emergency = chat.say("they took my passport and locked me in")  # needs no action server
    chat.check("112" in emergency.first_text[:300], emergency, "expected emergency numbers")
    fragile_servers.actions.start(fragile_servers.env)
    fragile_servers.wait_for_actions()
    chat.expect(UK_QUESTION_EN, contains=("450", "Source"), language="en")
