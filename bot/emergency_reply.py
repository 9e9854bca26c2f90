"""The emergency reply, fitted to the situation: where the person is, a child, someone else.

Numbers come from the knowledge store's contacts (tags `emergency`, `trafficking_line`,
`child_line`, `embassy`), so each is written once and carries its source. The danger itself
is recognised by bot.emergency; the situation by bot.situation and the conversation's slots.
What is said first is always the number to call now; then the help for this case:
- abroad: that country's emergency number and anti-trafficking line, and the Albanian embassy;
- in Albania (or unknown): 112 and 116 006;
- a minor: the child helpline ALO 116 111, don't travel or meet, tell a trusted adult;
- someone writing about another person: what they can do for them now.
If the store cannot be read, the domain's `utter_emergency` is sent instead (actions).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.knowledge.model import Bilingual, Contact, Snapshot
from bot.phones import mark_phones
from bot.places import ALBANIA, country_name
from bot.situation import Situation
from bot.text import Lang

PHRASES = {
    "now_self": Bilingual("🚨 Nëse jeni në rrezik tani, telefononi {number} ({name}).",
                          "🚨 If you are in danger now, call {number} ({name})."),
    "now_other": Bilingual("🚨 Nëse dikush është në rrezik tani, telefononi {number} ({name}): mund të "
                           "telefononi ju për të.",
                           "🚨 If someone is in danger now, call {number} ({name}): you can call for them."),
    "now_life": Bilingual("🚨 Telefononi tani {number} ({name}). Thoni ku ndodheni dhe sa veta jeni.",
                          "🚨 Call {number} now ({name}). Say where you are and how many people are with you."),
    "self_harm": Bilingual("Nuk jeni vetëm. Flisni tani me dikë: me {number}, ose me një njeri që i besoni.",
                           "You are not alone. Talk to someone now: {number}, or a person you trust."),
    "child_self": Bilingual("Je nën 18 vjeç: telefono {number} ({name}). Mos udhëto dhe mos shko ta takosh "
                            "atë person; tregoji sot një të rrituri që i beson (prindit, mësuesit).",
                            "You are under 18: call {number} ({name}). Don't travel and don't go to meet that "
                            "person; tell an adult you trust today (a parent, a teacher)."),
    "child_other": Bilingual("Për një fëmijë: {number} ({name}) dhe policia.",
                             "For a child: {number} ({name}) and the police."),
    "line_abroad": Bilingual("Linja kundër trafikimit në {country}: {number}.",
                             "Anti-trafficking helpline in {country}: {number}."),
    "line_home": Bilingual("Për trafikim, shfrytëzim ose dokumente të marra: {number} ({name}).",
                           "For trafficking, exploitation or documents taken from you: {number} ({name})."),
    "embassy": Bilingual("Ambasada ose konsullata shqiptare në {country} ndihmon shtetasit shqiptarë, edhe për "
                         "t'u kthyer në shtëpi.",
                         "The Albanian embassy or consulate in {country} helps Albanian citizens, including "
                         "going home."),
    "embassy_general": Bilingual("Jashtë vendit, ambasada ose konsullata shqiptare ndihmon shtetasit shqiptarë, "
                                 "edhe për t'u kthyer në shtëpi.",
                                 "Abroad, the Albanian embassy or consulate helps Albanian citizens, including "
                                 "going home."),
    "other_steps": Bilingual("Çfarë mund të bëni tani: qëndroni në kontakt nëse është e sigurt, shënoni ku "
                             "ndodhet dhe kush e mban, mos i përballni vetë ata njerëz, dhe jepjani këto policisë "
                             "ose {number}.",
                             "What you can do now: stay in touch if it is safe, note where they are and who is "
                             "holding them, don't confront those people yourself, and pass this on to the "
                             "police or {number}."),
    "note": Bilingual("Në rrezik? Telefononi {number} · trafikim: {line}.",
                      "In danger? Call {number} · trafficking: {line}."),
    "believe": Bilingual("Ju besojmë dhe nuk jeni vetëm.", "We believe you, and you are not alone."),
    "thanks_other": Bilingual("Bëtë mirë që shkruat.", "You did the right thing by writing."),
}
# Danger to life right now, where the first words must be the number and where you are.
LIFE_SIGNALS = frozenset({"life_threat", "weapon", "boat_in_distress", "vehicle_distress"})


@dataclass(frozen=True)
class Numbers:
    """The contacts the reply needs, found in the store for one country."""

    emergency: Contact
    trafficking_line: Contact
    child_line: Contact | None
    local_line: Contact | None
    embassy: Contact | None


def _first(contacts: list[Contact]) -> Contact | None:
    return next((c for c in contacts if c.phone), None) or next(iter(contacts), None)


def numbers_for(snapshot: Snapshot, country: str | None) -> Numbers:
    """Albania's numbers, or those of `country` where the store has them (Albania's otherwise)."""
    home_emergency = _first(snapshot.tagged("emergency", ALBANIA))
    home_line = _first(snapshot.tagged("trafficking_line", ALBANIA))
    if home_emergency is None or home_line is None:
        raise LookupError("the knowledge store has no emergency number or trafficking line for Albania")
    abroad = country not in (None, ALBANIA)
    local = _first(snapshot.tagged("emergency", country)) if abroad else None
    return Numbers(
        emergency=local if local and local.phone else home_emergency,
        trafficking_line=home_line,
        child_line=_first(snapshot.tagged("child_line", ALBANIA)),
        local_line=_first(snapshot.tagged("trafficking_line", country)) if abroad else None,
        embassy=(_first(snapshot.tagged("embassy", country)) if abroad else None)
        or _first(snapshot.tagged("embassy", ALBANIA)),
    )


def short_name(name: str, phone: str) -> str:
    """A contact's name as said right after its number: without the number it already contains
    ("call 999 (Emergency number 999 (United Kingdom))" reads as a stutter), its trailing
    "(Country)" as ", Country" so that parentheses do not nest."""
    if phone:
        name = re.sub(r"\s*" + r"\s?".join(map(re.escape, phone.replace(" ", ""))) + r"\b", "", name)
    name = re.sub(r"\s*\(([^()]*)\)$", r", \1", name.strip())
    return re.sub(r"\s{2,}", " ", name).strip(" ,")


def _say(key: str, language: Lang, contact: Contact | None = None, **values: str) -> str:
    if contact is not None:
        phone = contact.phone or ""
        values = {"number": phone, "name": short_name(contact.name.get(language), phone), **values}
    return PHRASES[key].get(language).format(**values)


def emergency_reply(snapshot: Snapshot, language: Lang, signals: list[str], situation: Situation) -> str:
    """The whole emergency reply, numbers first, phone numbers marked for tap-to-call."""
    country = situation.country if situation.location != "albania" else None
    numbers = numbers_for(snapshot, country)
    for_other = situation.asker == "relative"
    first = "now_life" if LIFE_SIGNALS & set(signals) else "now_other" if for_other else "now_self"
    lines = [_say(first, language, numbers.emergency)]
    if "self_harm" in signals:
        lines.append(_say("self_harm", language, numbers.emergency))
    if situation.minor and numbers.child_line:
        lines.append(_say("child_other" if for_other else "child_self", language, numbers.child_line))
    abroad = country not in (None, ALBANIA)
    where = country_name(country, language) if abroad and country else ""
    if numbers.local_line and numbers.local_line.phone:
        lines.append(_say("line_abroad", language, numbers.local_line, country=where))
    lines.append(_say("line_home", language, numbers.trafficking_line))
    if abroad and numbers.embassy:
        lines.append(_say("embassy", language, numbers.embassy, country=where))
    elif situation.location != "albania":
        lines.append(_say("embassy_general", language))
    if for_other:
        lines.append(_say("other_steps", language, numbers.trafficking_line))
    lines.append(_say("thanks_other" if for_other else "believe", language))
    phones = [c.phone for c in (numbers.emergency, numbers.trafficking_line, numbers.child_line,
                                numbers.local_line) if c and c.phone]
    return mark_phones("\n\n".join(lines), phones)


HELP_ABROAD = ("help_abroad", "contacts")  # the subject and aspect of the "whom to call in X" cards


def help_card(snapshot: Snapshot, situation: Situation) -> str | None:
    """The card on whom to call in the country of the emergency, remembered as the conversation's
    last card, so that "who can she call there?" or "and the embassy?" follows on from it."""
    country = situation.country if situation.location != "albania" else None
    return next((c.key for c in snapshot.cards if (c.subject, c.aspect) == HELP_ABROAD
                 and country in c.countries), None)


def situation_of(message: Situation, slots: Situation) -> Situation:
    """The situation of an emergency message: what it says, else what the conversation said."""
    in_albania = message.location == "albania"
    return Situation(country=message.country or (slots.country if slots.location == "abroad" and not in_albania
                                                 else None),
                     location=message.location or (None if message.country else slots.location),
                     asker=message.asker or slots.asker, minor=message.minor or slots.minor)


def safety_note(snapshot: Snapshot, language: Lang) -> str:
    """One line with Albania's emergency number and trafficking line, put before an answer to a
    message the classifier found close to an emergency (bot.nlu.components.EmergencyDetector)."""
    numbers = numbers_for(snapshot, None)
    return mark_phones(_say("note", language, numbers.emergency, line=numbers.trafficking_line.phone or ""),
                       [numbers.emergency.phone or "", numbers.trafficking_line.phone or ""])
