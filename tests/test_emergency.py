"""Danger detection: situations get emergency numbers, informational questions do not."""

from __future__ import annotations

import pytest

from bot.emergency import SIGNALS, danger_signals, is_emergency
from bot.language import fold

# (message, the signal it must raise)
EMERGENCIES_EN = [
    ("my boss took my passport and won't give it back", "documents_taken"),
    ("the employer is keeping our passports", "documents_taken"),
    ("they confiscated my documents when we arrived", "documents_taken"),
    ("my passport was taken by the agency", "documents_taken"),
    ("they locked me in the flat", "confined"),
    ("we are locked inside the warehouse", "confined"),
    ("he won't let me leave the house", "confined"),
    ("they force me to work 16 hours without pay", "forced"),
    ("i am being forced to sell sex", "forced"),
    ("they make us beg on the street", "forced"),
    ("my husband beats me every night", "violence"),
    ("they threatened to kill my family", "violence"),
    ("he said he will hurt my kids if i talk", "violence"),
    ("my daughter is missing since friday", "missing_or_trafficked"),
    ("my brother disappeared in belgium two weeks ago", "missing_or_trafficked"),
    ("i think my cousin was trafficked", "missing_or_trafficked"),
    ("i'm in danger right now", "danger_now"),
    ("help me", "help_now"),
    ("please help me!!", "help_now"),
    ("HELP ME", "help_now"),
    ("sos", "help_now"),
    ("someone is holding my sister's id card", "documents_taken"),
    ("she is not allowed to leave the hotel", "confined"),
    ("they took my phone so i can't call anyone", "documents_taken"),
    ("they keep us in a basement near the farm", "confined"),
    ("the boss says we owe him 8000 euros for the trip", "debt_bondage"),
    ("they make me work until i pay back the ticket", "debt_bondage"),
    ("my son hasn't come back home since monday", "missing_or_trafficked"),
    ("my niece went to milan with a man and now we cannot reach her", "missing_or_trafficked"),
    ("a man took my daughter", "missing_or_trafficked"),
    ("somebody help us please", "help_now"),
    ("heeeelp!!!", "help_now"),
]
EMERGENCIES_SQ = [
    ("Më kanë marrë pasaportën", "documents_taken"),
    ("me kane marre pasaporten", "documents_taken"),
    ("pasaporten ma ka marre shefi", "documents_taken"),
    ("pronari m'i mban dokumentet dhe nuk m'i kthen", "documents_taken"),
    ("m'i kan marr letrat", "documents_taken"),
    ("Më kanë mbyllur në një apartament", "confined"),
    ("nuk na lene te dalim nga shtepia", "confined"),
    ("m'kan mbyll n'dhome", "confined"),
    ("Më detyrojnë të punoj natën pa pagesë", "forced"),
    ("me detyrojne me punu", "forced"),
    ("e detyrojne motren time te lype", "forced"),
    ("Na kërcënojnë se do na vrasin", "violence"),
    ("po m'rrahin", "violence"),
    ("me kercenoi me thike", "violence"),
    ("Vajza ime u zhduk në Itali", "missing_or_trafficked"),
    ("djali im u rrembye", "missing_or_trafficked"),
    ("osht trafikuar motra", "missing_or_trafficked"),
    ("Jam në rrezik tani", "danger_now"),
    ("ndihmë!!", "help_now"),
    ("Ndihmë", "help_now"),
    ("ju lutem më ndihmoni", "help_now"),
    ("ma moren telefonin dhe s'kam si te flas me njeri", "documents_taken"),
    ("pronari na thote qe kemi borxh per udhetimin", "debt_bondage"),
    ("me duhet te punoj derisa ta laj borxhin, pa page", "debt_bondage"),
    ("motra ime nuk eshte kthyer ne shtepi prej dy ditesh", "missing_or_trafficked"),
    ("shoqja ime iku me nje djale ne Itali dhe nuk e dime ku eshte", "missing_or_trafficked"),
    ("ma kane marre vajzen", "missing_or_trafficked"),
    ("ndihmeee!!", "help_now"),
]
EMERGENCIES = EMERGENCIES_EN + EMERGENCIES_SQ


@pytest.mark.parametrize(("text", "signal"), EMERGENCIES)
def test_situations_of_danger_are_detected(text: str, signal: str) -> None:
    assert signal in danger_signals(text)
    assert is_emergency(text)


@pytest.mark.parametrize(("text", "signal"), EMERGENCIES)
def test_detection_does_not_depend_on_diacritics_or_case(text: str, signal: str) -> None:
    assert signal in danger_signals(fold(text).upper())


NOT_EMERGENCIES = [
    "what is forced labour",
    "what is forced labour?",
    "do I need to take my passport with me",
    "do i need to bring my passport to the embassy",
    "Cilat janë rreziqet e emigrimit?",
    "cilat jane rreziqet e emigrimit",
    "help",
    "Ndihmë për kthimin vullnetar",
    "how do i report trafficking",
    "can i send money to my mother",
    "is human trafficking common in albania",
    "what should i do if my passport expires abroad",
    "where do i get a new passport",
    "a duhet ta marr pasaportën me vete?",
    "çfarë është puna e detyruar",
    "si ta njoh trafikimin",
    "a eshte e rrezikshme te shkosh me gomone",
    "what documents do i need for a work permit",
    "can you help me find information about visas",
    "si mund te me ndihmoni per kthimin",
    "kam humbur pasaporten ne gjermani",
    "i lost my passport in italy",
    "is it dangerous to work without a contract",
    "what is an emergency number in albania",
    "i can't find my passport",
    "i owe money to the bank, do i have to pay it before i leave?",
    "kam borxh ne banke, a duhet te punoj jashte?",
    "what is debt bondage",
    "my daughter wants to come home from italy, can you help",
    "nuk e di ku eshte zyra e IOM ne Tirane",
    "do i need to take my phone",
    "can i take my daughter with me to italy",
    "help!",
    "",
]


@pytest.mark.parametrize("text", NOT_EMERGENCIES)
def test_informational_questions_are_not_emergencies(text: str) -> None:
    assert danger_signals(text) == []
    assert not is_emergency(text)


@pytest.mark.parametrize("text", [
    "burri im më rreh çdo ditë",  # 'rreh' (beats), only 'rrah...' is listed
    "shefi mori pasaporten time",  # documents taken without a clitic pronoun
    "they are forcing my sister into prostitution",  # 'forcing <someone> into'
    "me mbajne te mbyllur",  # 'they keep me locked'
    "jam n'rrezik",  # Gheg elision of 'ne'
    "vellai im ka humbur ne greqi",  # relative 'lost/missing'
    "kam frike per jeten",  # afraid for my life
])
def test_more_emergency_phrasings(text: str) -> None:
    assert is_emergency(text)


@pytest.mark.parametrize("text", [
    "what documents am i missing for the work visa",
    "what are the signs that someone is trafficked",
])
def test_informational_mentions_are_not_alarms(text: str) -> None:
    assert not is_emergency(text)


def test_every_signal_has_at_least_one_positive_example_here() -> None:
    covered = {signal for _, signal in EMERGENCIES}
    assert covered == set(SIGNALS)


def test_both_languages_are_covered() -> None:
    assert len(EMERGENCIES_EN) >= 15
    assert len(EMERGENCIES_SQ) >= 15


def test_emergency_detector_component_overrides_the_intent() -> None:
    from rasa.shared.nlu.training_data.message import Message

    from bot.nlu.components import EMERGENCY_INTENT, EmergencyDetector

    ranking = [{"name": "ask_about_iom", "confidence": 0.6},
               {"name": EMERGENCY_INTENT, "confidence": 0.1}]
    danger = Message({"text": "me kane marre pasaporten", "intent": ranking[0],
                      "intent_ranking": ranking})
    question = Message({"text": "what is forced labour", "intent": ranking[0],
                        "intent_ranking": ranking})
    EmergencyDetector().process([danger, question])
    assert danger.get("intent") == {"name": EMERGENCY_INTENT, "confidence": 1.0}
    names = [r["name"] for r in danger.get("intent_ranking")]
    assert names == [EMERGENCY_INTENT, "ask_about_iom"]  # no duplicate of the emergency intent
    assert danger.get("danger_signals") == ["documents_taken"]
    assert question.get("intent")["name"] == "ask_about_iom"
    assert question.get("danger_signals") is None
