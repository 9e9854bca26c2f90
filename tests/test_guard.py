"""The message guard that every channel applies before Rasa processes a message."""

from __future__ import annotations

import pytest
from rasa.core.channels.channel import CollectingOutputChannel, UserMessage

from bot.channels.guard import (
    MAX_CHARS,
    bilingual_text,
    guard,
    offered_payloads,
    sanitise,
)
from bot.limits import RateLimits

OFFERED = offered_payloads()


def test_the_domain_offers_topic_and_language_payloads() -> None:
    assert '/choose_topic{"topic":"remittances"}' in OFFERED
    assert '/switch_language{"language":"sq"}' in OFFERED
    assert not any("{{" in p for p in OFFERED)


def test_a_card_or_topic_choice_passes_only_in_its_exact_form() -> None:
    # built by the actions (bot/answers.card_button); it can only show a card anyone may read
    assert sanitise('/choose_card{"card":"vr_uk_process"}', OFFERED) == '/choose_card{"card":"vr_uk_process"}'
    assert sanitise('/choose_topic{"topic":"work_abroad"}', OFFERED) == '/choose_topic{"topic":"work_abroad"}'
    for forged in ('/choose_card{"card":"x","language":"en"}', '/choose_card{"last_card":"vr_uk_process"}',
                   '/choose_card{"card":"../../etc"}', '/choose_card{"card":"A_B"}'):
        assert not sanitise(forged, OFFERED).startswith("/"), forged


def test_offered_payloads_pass_unchanged() -> None:
    assert sanitise('/switch_language{"language":"en"}', OFFERED) == '/switch_language{"language":"en"}'


def test_typed_commands_become_plain_text() -> None:
    assert sanitise("/restart", OFFERED) == "restart"
    assert sanitise('/switch_language{"language":"xx"}', OFFERED) == 'switch_language{"language":"xx"}'
    assert sanitise('//inform{"last_fact": "x"}', OFFERED) == 'inform{"last_fact": "x"}'


def test_control_characters_are_removed() -> None:
    assert sanitise("hi\x00\x07\x1b[31m there\r\n", OFFERED) == "hi [31m there"
    assert sanitise(None, OFFERED) == ""


async def _send(text: str, limits: RateLimits | None = None, *, reply: str | None = "ok",
                fail: bool = False) -> tuple[list[str], list[dict]]:
    """Sends one message through the guard to a handler that answers `reply` (or nothing)."""
    seen: list[str] = []

    async def handler(message: UserMessage) -> None:
        seen.append(message.text)
        if fail:
            raise RuntimeError("the action server is down")
        if reply:
            await message.output_channel.send_response(message.sender_id, {"text": reply})

    output = CollectingOutputChannel()
    await guard(handler, limits or RateLimits.from_settings())(UserMessage(text, output, "sender-1"))
    return seen, output.messages


async def test_a_too_long_message_is_answered_but_not_processed() -> None:
    seen, replies = await _send("a" * (MAX_CHARS + 1))
    assert seen == []
    assert "112" in replies[0]["text"] and "116 006" in replies[0]["text"]


async def test_a_normal_message_reaches_rasa_cleaned() -> None:
    seen, replies = await _send("  sa dite\x00 pa vize?  ")
    assert seen == ["sa dite pa vize?"] and [r["text"] for r in replies] == ["ok"]


async def test_a_turn_without_any_reply_gets_an_apology_with_the_helpline() -> None:
    _, replies = await _send("pershendetje", reply=None)
    assert len(replies) == 1 and "116 006" in replies[0]["text"] and "Sorry" in replies[0]["text"]


async def test_a_failing_turn_gets_an_apology_not_an_exception() -> None:
    _, replies = await _send("pershendetje", fail=True)
    assert len(replies) == 1 and "112" in replies[0]["text"]


@pytest.mark.parametrize("fail", [True, False])
async def test_a_danger_message_without_a_reply_gets_the_emergency_numbers(fail: bool) -> None:
    # the action server is down: the domain's numbers, in both languages, not an apology
    _, replies = await _send("they took my passport and locked me in", reply=None, fail=fail)
    assert len(replies) == 1
    assert replies[0]["text"] == bilingual_text("utter_emergency")
    assert replies[0]["text"].startswith("🚨") and "112" in replies[0]["text"] and "116 006" in replies[0]["text"]


async def test_a_flooding_sender_gets_a_polite_answer() -> None:
    limits = RateLimits(per_sender=1, per_address=0, overall=0, window=60)
    await _send("one", limits)
    seen, replies = await _send("two", limits)
    assert seen == [] and "wait" in replies[0]["text"]


async def test_a_danger_message_that_hits_a_limit_still_gets_the_emergency_answer() -> None:
    limits = RateLimits(per_sender=1, per_address=0, overall=0, window=60)
    await _send("one", limits)  # someone has used up this sender's messages
    seen, replies = await _send("they took my passport, help", limits)
    assert seen == [] and replies[0]["text"] == bilingual_text("utter_emergency")
    seen, replies = await _send("me kane marre pasaporten. " + "a" * MAX_CHARS)
    assert seen == [] and replies[0]["text"] == bilingual_text("utter_emergency")


async def test_metadata_keeps_only_short_allowed_values() -> None:
    kept: list[object] = []

    async def handler(message: UserMessage) -> None:
        kept.append(message.metadata)
        await message.output_channel.send_response(message.sender_id, {"text": "ok"})

    deep: dict = {}
    for _ in range(1000):
        deep = {"x": deep}
    metadata = {"language": "sq", "phone": "+355691234567", "email": "ana@example.com",
                "channel": "x" * 10_000, "deep": deep}
    await guard(handler)(UserMessage("hello", CollectingOutputChannel(), "s", metadata=metadata))
    assert kept == [{"language": "sq"}]


async def test_rasa_sees_a_hashed_sender_but_replies_reach_the_real_one() -> None:
    seen_ids: list[str] = []

    async def handler(message: UserMessage) -> None:
        seen_ids.append(message.sender_id)
        await message.output_channel.send_response(message.sender_id, {"text": "ok"})

    output = CollectingOutputChannel()
    await guard(handler)(UserMessage("hello", output, "+355691234567"))
    assert seen_ids[0].startswith("h-") and "355691234567" not in seen_ids[0]
    assert output.messages[0]["recipient_id"] == "+355691234567"
