"""domain.yml, the rules and the NLU data agree with each other and with the knowledge store."""

from __future__ import annotations

import itertools
import re
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.nlu.components import example_language

ROOT = Path(__file__).resolve().parents[1]
DOMAIN = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))
RESPONSES: dict[str, list[dict[str, Any]]] = DOMAIN["responses"]
# Sent only while the conversation has no language yet, so it is bilingual by design.
LANGUAGE_CHOOSER = "utter_choose_language"
MIN_EXAMPLES = 20
# Rasa's own intents and actions, usable in rules without being declared.
DEFAULT_INTENTS = {"nlu_fallback", "restart", "session_start", "back", "out_of_scope"}
DEFAULT_ACTIONS = {"action_listen", "action_restart", "action_session_start",
                   "action_default_fallback", "action_deactivate_loop",
                   "action_revert_fallback_events", "action_default_ask_affirmation",
                   "action_default_ask_rephrase", "action_back", "action_two_stage_fallback",
                   "action_unlikely_intent", "action_extract_slots"}
ALBANIAN_WORDS = re.compile(r"\b(dhe|për|nuk|jeni|mund|ju|telefononi|linjën|jam|si)\b",
                            re.IGNORECASE)


def variation(name: str, language: str | None) -> dict[str, Any]:
    """The response's variation for a language slot value (None: the unconditioned one)."""
    for item in RESPONSES[name]:
        conditions = item.get("condition") or []
        values = {c["value"] for c in conditions
                  if c.get("type") == "slot" and c.get("name") == "language"}
        if (language is None and not conditions) or (language is not None and values == {language}):
            return item
    raise AssertionError(f"{name} has no variation for language={language}")


def language_responses() -> list[str]:
    return [name for name in RESPONSES if name != LANGUAGE_CHOOSER]


@pytest.mark.parametrize("name", sorted(RESPONSES))
def test_every_response_has_albanian_english_and_default_variations(name: str) -> None:
    default = variation(name, None)
    assert default.get("text", "").strip()
    if name == LANGUAGE_CHOOSER:
        assert len(RESPONSES[name]) == 1
        return
    for language in ("sq", "en"):
        assert variation(name, language).get("text", "").strip()
    conditions = [i.get("condition") for i in RESPONSES[name]]
    assert len(conditions) == 3, f"{name}: expected exactly sq, en and a default"


def test_the_language_chooser_offers_both_languages() -> None:
    chooser = variation(LANGUAGE_CHOOSER, None)
    # Rasa fills {placeholders} in payloads, so the JSON braces are written doubled.
    payloads = [b["payload"] for b in chooser["buttons"]]
    assert payloads == ['/switch_language{{"language":"sq"}}', '/switch_language{{"language":"en"}}']
    assert "112" in chooser["text"] and "116 006" in chooser["text"]


@pytest.mark.parametrize("name", language_responses())
def test_buttons_are_titled_and_offer_the_same_payloads_in_both_languages(name: str) -> None:
    sq, en = variation(name, "sq"), variation(name, "en")
    sq_buttons, en_buttons = sq.get("buttons") or [], en.get("buttons") or []
    for button in sq_buttons + en_buttons:
        assert str(button.get("title", "")).strip(), f"{name}: untitled button"
        assert str(button.get("payload", "")).startswith("/"), f"{name}: bad payload"
    assert [b["payload"] for b in sq_buttons] == [b["payload"] for b in en_buttons]
    if sq_buttons:
        assert [b["title"] for b in sq_buttons] != [b["title"] for b in en_buttons]


@pytest.mark.parametrize("name", language_responses())
def test_albanian_variations_are_albanian_and_english_ones_are_not(name: str) -> None:
    sq, en = variation(name, "sq"), variation(name, "en")
    sq_text = sq["text"] + " ".join(b["title"] for b in sq.get("buttons") or [])
    en_text = en["text"] + " ".join(b["title"] for b in en.get("buttons") or [])
    assert re.search("[ëçËÇ]", sq_text) or ALBANIAN_WORDS.search(sq_text), name
    assert not re.search("[ëËçÇ]", en_text), name
    assert not ALBANIAN_WORDS.search(en_text), name
    assert sq["text"] != en["text"]


def test_button_payloads_name_declared_intents() -> None:
    intents = set(DOMAIN["intents"])
    for name, items in RESPONSES.items():
        for item in items:
            for button in item.get("buttons") or []:
                intent = re.match(r"/(\w+)", button["payload"]).group(1)
                assert intent in intents, (name, button["payload"])


def _home_numbers(snapshot) -> list[str]:
    """Albania's emergency number and trafficking line, as the knowledge store gives them."""
    phones = [c.phone for tag in ("emergency", "trafficking_line") for c in snapshot.tagged(tag, "AL") if c.phone]
    assert "112" in phones  # the tests below are meaningful only if there is something to check
    return phones


_PHONE = re.compile(r"(?<![\d+])\d{3}(?:[ \u00a0]?\d{3})*(?!\d)")


def _numbers_written_in(text: str) -> set[str]:
    return {re.sub(r"\D", "", number) for number in _PHONE.findall(text)}


def _mentions(text: str, phone: str) -> bool:
    digits = r"[\s\u00a0]?".join(re.escape(part) for part in phone.split())
    return re.search(rf"(?<![\d+]){digits}(?!\d)", text) is not None


@pytest.mark.parametrize("name", ["utter_emergency", "utter_service_unavailable"])
@pytest.mark.parametrize("language", ["sq", "en", None])
def test_the_fallback_numbers_in_the_domain_are_albanias_from_the_store(snapshot, name: str,
                                                                       language: str | None) -> None:
    text = variation(name, language)["text"]
    for phone in _home_numbers(snapshot):
        assert _mentions(text, phone), f"{name} ({language or 'default'}) lacks {phone}"


def test_every_phone_number_written_outside_the_store_is_a_contact_of_the_store(snapshot) -> None:
    """The domain's fallback texts and the channel guard's repeat the emergency numbers (they
    must work without the store): each number they write is the phone of a contact in the
    store, so a number changed there cannot go stale here. The web widget's strings write none
    (it takes them from the store through config.json); any they did write would be checked too."""
    from bot.channels.guard import TOO_FAST, TOO_LONG, bilingual_text, safety_line

    known = {re.sub(r"\D", "", c.phone) for c in snapshot.contacts.values() if c.phone}
    written = {
        "domain.yml": " ".join(v["text"] for variations in RESPONSES.values() for v in variations),
        "bot/channels/guard.py": " ".join([TOO_LONG, TOO_FAST, safety_line(), bilingual_text("utter_emergency")]),
    }
    for where, text in written.items():
        assert _numbers_written_in(text), where
    for source in sorted((ROOT / "web" / "src").glob("*.js")):  # its strings; its code has limits
        written[f"web/src/{source.name}"] = " ".join(re.findall(r'"((?:[^"\\\n]|\\.)*)"',
                                                                source.read_text(encoding="utf-8")))
    for where, text in written.items():
        numbers = _numbers_written_in(text)
        assert numbers <= known, f"{where} writes {sorted(numbers - known)}, which no contact of the store has"


def test_phone_matching_is_exact() -> None:
    assert _mentions("call 116 006 now", "116 006")
    assert _mentions("call 116006 now", "116 006")
    assert not _mentions("call 116 0066", "116 006")
    assert not _mentions("call 1120", "112")
    assert _numbers_written_in("call 116 006 or 112, not 2026-11") == {"116006", "112"}


def test_the_topic_buttons_are_the_topics_of_the_knowledge_in_their_order(snapshot) -> None:
    for language, anchor in (("sq", "topics_sq"), ("en", "topics_en")):
        buttons = DOMAIN["x-buttons"][anchor]
        assert [(b["title"], b["payload"]) for b in buttons] == [
            (t.title.get(language), f'/choose_topic{{{{"topic":"{t.key}"}}}}') for t in snapshot.button_topics]


# ------------------------------------------------------------------------- NLU and rules


@pytest.fixture(scope="module")
def examples_per_intent_and_language(nlu_training_data) -> Counter:
    return Counter((m.get("intent"), example_language(m))
                   for m in nlu_training_data.intent_examples)


def test_every_nlu_example_has_a_language(examples_per_intent_and_language: Counter) -> None:
    unlabelled = {intent for intent, language in examples_per_intent_and_language if not language}
    assert not unlabelled


# Intents only buttons send, never typed: they have no examples.
BUTTON_INTENTS = {"choose_card", "choose_topic"}


@pytest.mark.parametrize("intent", sorted(set(DOMAIN["intents"]) - BUTTON_INTENTS))
@pytest.mark.parametrize("language", ["sq", "en"])
def test_every_intent_has_enough_examples_in_each_language(
        examples_per_intent_and_language: Counter, intent: str, language: str) -> None:
    assert examples_per_intent_and_language[(intent, language)] >= MIN_EXAMPLES


def test_every_nlu_intent_is_in_the_domain(examples_per_intent_and_language: Counter) -> None:
    nlu_intents = {intent for intent, _ in examples_per_intent_and_language}
    assert nlu_intents - set(DOMAIN["intents"]) == set()


def _rules() -> list[tuple[str, list[dict[str, Any]]]]:
    """(where, steps) of every rule in data/rules."""
    rules = []
    for path in sorted((ROOT / "data" / "rules").glob("*.yml")):
        for rule in yaml.safe_load(path.read_text(encoding="utf-8")).get("rules") or []:
            rules.append((f"{path.name}: {rule['rule']}", rule["steps"]))
    assert rules
    return rules


def _intent_then_action() -> list[tuple[str, str]]:
    """(intent, action) for every intent step directly followed by an action step."""
    return [(step["intent"], following["action"]) for _, steps in _rules()
            for step, following in itertools.pairwise(steps)
            if "intent" in step and "action" in following]


def test_every_rule_action_and_intent_exists_in_the_domain() -> None:
    known_actions = set(DOMAIN["actions"]) | set(RESPONSES) | DEFAULT_ACTIONS
    known_intents = set(DOMAIN["intents"]) | DEFAULT_INTENTS
    for where, steps in _rules():
        for step in steps:
            if "action" in step:
                assert step["action"] in known_actions, where
            if "intent" in step:
                assert step["intent"] in known_intents, where


def test_emergencies_are_answered_with_the_emergency_action() -> None:
    actions = {action for intent, action in _intent_then_action() if intent == "report_emergency"}
    assert actions == {"action_emergency"}


def test_every_question_intent_is_answered_from_the_store() -> None:
    from bot.answers import CHOOSE_CARD_INTENT, CHOOSE_TOPIC_INTENT, FOLLOWUP_INTENT, OUT_OF_SCOPE_INTENT
    from bot.nlu.importer import QUESTION_INTENT

    asked = {QUESTION_INTENT, FOLLOWUP_INTENT, CHOOSE_CARD_INTENT, CHOOSE_TOPIC_INTENT, OUT_OF_SCOPE_INTENT,
             "nlu_fallback"}
    answered = {intent for intent, action in _intent_then_action() if action == "action_answer_question"}
    assert answered == asked
    assert asked - {"nlu_fallback"} <= set(DOMAIN["intents"])


def test_language_slot_takes_only_supported_languages() -> None:
    from bot.text import LANGUAGES

    slot = DOMAIN["slots"]["language"]
    assert slot["values"] == list(LANGUAGES)
    assert {"type": "from_entity", "entity": "language"} in slot["mappings"]
