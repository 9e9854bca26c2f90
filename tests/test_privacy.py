"""Personal identifiers are removed before anything is processed, stored or logged."""

from __future__ import annotations

import pytest

from bot.channels.guard import offered_payloads, sanitise
from bot.privacy import redact


@pytest.mark.parametrize(("text", "placeholder", "secret"), [
    ("më telefononi në +355 69 123 4567", "[PHONE]", "123 4567"),
    ("my number is 0691234567", "[PHONE]", "0691234567"),
    ("tel 069-123-45-67 pas ores 5", "[PHONE]", "069-123-45-67"),
    ("write to ana.k+help@gmail.com please", "[EMAIL]", "ana.k"),
    ("pasaporta ime BA1234567 eshte tek shefi", "[ID]", "BA1234567"),
    ("leternjoftimi J12345678A", "[ID]", "J12345678A"),
    ("IBAN AL47 2121 1009 0000 0002 3569 8741", "[IBAN]", "2121 1009"),
    ("iban al47212110090000000235698741", "[IBAN]", "212110090000"),
    # the forms an outside probe used to get past the redaction
    ("numri 069/123/4567", "[PHONE]", "4567"),
    ("pasaporta BA 1234567", "[ID]", "1234567"),
    ("IBAN AL47-2121-1009-0000-0002-3569-8741", "[IBAN]", "2121"),
])
def test_identifiers_are_replaced(text: str, placeholder: str, secret: str) -> None:
    redacted = redact(text)
    assert placeholder in redacted
    assert secret not in redacted


@pytest.mark.parametrize("text", [
    "call 112 or 116 006",
    "a ishte 0800 1212 pa pagese?",
    "qe nga 15 dhjetor 2010, per 90 dite",
    "i paid 3000 euro to the agency in 2019",
    "450 returnees from the UK, 700 victims since 1999",
    "leja ime skadon me 01.12.2026",
    "the interview is on 12/03/2025",
    "me dhane 1000000 lek borxh",
])
def test_public_numbers_dates_and_amounts_are_kept(text: str) -> None:
    assert redact(text) == text


def test_the_guard_redacts_what_rasa_will_see() -> None:
    assert sanitise("my passport BA1234567, call 0691234567", offered_payloads()) == (
        "my passport [ID], call [PHONE]")


@pytest.mark.parametrize(("text", "secret"), [
    ("069\u00ad1234567", "1234567"),  # a soft hyphen inside the number
    ("069\u20601234567", "1234567"),  # a word joiner
    ("ana\uff20gmail.com", "gmail"),  # a fullwidth at sign
    ("ana\u200b@gmail.com", "gmail"),  # a zero-width space before it
    ("\uff10\uff16\uff19\uff11\uff12\uff13\uff14\uff15\uff16\uff17", "\uff15"),  # fullwidth digits
])
def test_look_alike_and_invisible_characters_do_not_hide_an_identifier(text: str, secret: str) -> None:
    cleaned = sanitise(f"kontakti: {text}", offered_payloads())
    assert secret not in cleaned and "[" in cleaned, cleaned


def test_the_sender_key_file_is_made_readable_by_its_owner_only(tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:
    from bot import privacy

    monkeypatch.delenv("HELPLINE_SENDER_KEY", raising=False)
    monkeypatch.setattr(privacy, "KEY_FILE", tmp_path / "var" / "sender.key")
    privacy._sender_key.cache_clear()
    try:
        first = privacy.hash_sender("ana", "rest")
        assert (tmp_path / "var" / "sender.key").stat().st_mode & 0o777 == 0o600
        privacy._sender_key.cache_clear()
        assert privacy.hash_sender("ana", "rest") == first  # the same key on the next start
        monkeypatch.setenv("HELPLINE_SENDER_KEY", "from-the-environment")
        privacy._sender_key.cache_clear()
        assert privacy.hash_sender("ana", "rest") != first
    finally:
        privacy._sender_key.cache_clear()


def test_the_same_sender_id_on_two_channels_is_two_conversations() -> None:
    from bot import privacy

    session = "0123456789abcdef0123456789abcdef"
    stored = {privacy.hash_sender(session, channel) for channel in ("rest", "socketio", "telegram", "twilio")}
    assert len(stored) == 4 and session not in " ".join(stored)
    assert privacy.hash_sender(session, "rest") == privacy.hash_sender(session, "rest")
