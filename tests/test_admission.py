"""The bound on turns in flight (bot/admission.py), alone and in the guard every channel uses."""

from __future__ import annotations

import asyncio

import pytest
from rasa.core.channels.channel import CollectingOutputChannel, UserMessage

from bot.admission import Admission
from bot.channels.guard import guard
from bot.limits import RateLimits


async def test_at_most_size_turns_run_at_once_and_the_rest_start_in_order() -> None:
    admission, inside, most, started = Admission(3), 0, 0, []

    async def turn(i: int) -> None:
        nonlocal inside, most
        async with admission.turn():
            started.append(i)
            inside += 1
            most = max(most, inside)
            await asyncio.sleep(0.01)
            inside -= 1

    tasks = []
    for i in range(20):
        tasks.append(asyncio.create_task(turn(i)))
        await asyncio.sleep(0)  # each arrives before the next
    await asyncio.gather(*tasks)
    assert most == 3 and started == list(range(20))


async def hold_until(admission: Admission, release: asyncio.Event) -> None:
    """An ordinary turn that keeps its place until `release` is set."""
    async with admission.turn():
        await release.wait()


async def test_an_urgent_turn_is_taken_at_once_when_every_place_is_held() -> None:
    admission, release = Admission(1), asyncio.Event()

    held = asyncio.create_task(hold_until(admission, release))
    await asyncio.sleep(0)
    waiting = asyncio.create_task(hold_until(admission, release))
    await asyncio.sleep(0)
    assert admission.waiting == 1
    async with admission.turn(urgent=True):
        assert admission.urgent == 1 and admission.waiting == 1  # in, while the other still waits
    release.set()
    await asyncio.gather(held, waiting)
    assert (admission.urgent, admission.waiting) == (0, 0)


async def test_a_turn_given_up_while_waiting_keeps_no_place() -> None:
    # Sanic cancels a request that waited too long: its place must not be lost with it
    admission, release = Admission(1), asyncio.Event()

    held = asyncio.create_task(hold_until(admission, release))
    await asyncio.sleep(0)
    gave_up = asyncio.create_task(hold_until(admission, release))
    await asyncio.sleep(0)
    gave_up.cancel()
    with pytest.raises(asyncio.CancelledError):
        await gave_up
    release.set()
    await held
    release.clear()
    first = asyncio.create_task(hold_until(admission, release))
    await asyncio.sleep(0)
    assert admission.waiting == 0  # the one place is free again: the next turn went straight in
    release.set()
    await first


def test_a_bound_below_one_is_refused_with_its_value() -> None:
    with pytest.raises(ValueError, match="not 0"):
        Admission(0)


async def test_a_danger_message_is_answered_while_the_process_is_full() -> None:
    admission, release = Admission(1), asyncio.Event()
    no_limits = RateLimits(per_sender=0, per_address=0, overall=0, window=60)

    async def handler(message: UserMessage) -> None:
        if message.text == "busy":
            await release.wait()
        await message.output_channel.send_response(message.sender_id, {"text": f"answer to {message.text}"})

    guarded = guard(handler, no_limits, admission=admission)
    busy = asyncio.create_task(guarded(UserMessage("busy", CollectingOutputChannel(), "sender-busy")))
    await asyncio.sleep(0.05)
    queued_output = CollectingOutputChannel()
    queued = asyncio.create_task(guarded(UserMessage("pershendetje", queued_output, "sender-2")))
    await asyncio.sleep(0.05)
    danger = CollectingOutputChannel()
    await asyncio.wait_for(guarded(UserMessage("they took my passport, help", danger, "sender-3")), timeout=30)
    assert danger.messages and "passport" in danger.messages[0]["text"]
    assert queued_output.messages == [] and admission.waiting == 1  # the ordinary one still waits
    release.set()
    await asyncio.gather(busy, queued)
    assert queued_output.messages[0]["text"] == "answer to pershendetje"
