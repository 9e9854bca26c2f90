"""Language handling: folding, explicit switches and Albanian/English identification."""

from __future__ import annotations

import pytest

from bot.language import LanguageGuess, LanguageModel, explicit_switch, identify, switch_target
from bot.text import fold, words

# --------------------------------------------------------------------------- fold


@pytest.mark.parametrize(("text", "expected"), [
    ("Shqipëri", "shqiperi"),
    ("ËSHTË", "eshte"),
    ("Çfarë", "cfare"),
    ("Korçë", "korce"),
    ("  dërgim   parash\n", "dergim parash"),
])
def test_fold_strips_albanian_diacritics_and_lowercases(text: str, expected: str) -> None:
    assert fold(text) == expected


def test_fold_makes_typed_and_untyped_albanian_equal() -> None:
    assert fold("Më kanë marrë pasaportën") == fold("me kane marre pasaporten")


@pytest.mark.parametrize(("text", "expected"), [
    ("m’kan marr", "m'kan marr"),
    ("‘shqip’", "'shqip'"),
    ("“english”", '"english"'),
    ("„ndihmë”", '"ndihme"'),
    ("s`ka", "s'ka"),
])
def test_fold_normalises_typographic_quotes(text: str, expected: str) -> None:
    assert fold(text) == expected


@pytest.mark.parametrize("text", [
    "ndih\x00më", "ndih\u200bmë", "ndih\x1bmë", "\ufeffndihmë", "ndih\u202emë",
])
def test_fold_removes_control_and_invisible_characters(text: str) -> None:
    folded = fold(text)
    assert folded.replace(" ", "") == "ndihme"
    assert all(ch.isprintable() for ch in folded)


def test_fold_of_nothing_is_empty() -> None:
    assert fold("") == ""
    assert fold(None) == ""  # type: ignore[arg-type]  # slots and payloads can be None


def test_words_drop_digits_emoji_and_punctuation() -> None:
    assert words("Numri 116 006 😭!! Shqipëri?") == ["numri", "shqiperi"]


# ------------------------------------------------------------------ explicit_switch


@pytest.mark.parametrize(("text", "target"), [
    # short requests
    ("shqip", "sq"),
    ("Shqip!", "sq"),
    ("shqip ju lutem", "sq"),
    ("në shqip", "sq"),
    ("albanian please", "sq"),
    ("english", "en"),
    ("English?", "en"),
    ("ENGLISH PLS", "en"),
    ("anglisht", "en"),
    ("ne anglisht te lutem", "en"),
    # requests inside a sentence
    ("could you reply in Albanian from now on", "sq"),
    ("can we switch to albanian", "sq"),
    ("a mund te vazhdojme ne shqip", "sq"),
    ("të lutem më shkruaj shqip", "sq"),
    ("can we continue in english", "en"),
    ("I don't understand, please write in English", "en"),
    ("mund të më shkruash në anglisht?", "en"),
    ("kalo në anglisht", "en"),
])
def test_explicit_switch_recognises_requests(text: str, target: str) -> None:
    assert explicit_switch(text) == target


@pytest.mark.parametrize("text", [
    "can albanian citizens work in italy?",
    "a flasin anglisht ne angli?",
    "are albanian passports valid for the schengen area",
    "can my albanian wife join me in the uk",
    "a mund te shkoj ne angli me pasaporte shqiptare?",
    "sa shqiptare punojne ne angli",
    "what documents do albanian citizens need",
    "",
])
def test_explicit_switch_ignores_questions_that_mention_a_language(text: str) -> None:
    assert explicit_switch(text) is None


@pytest.mark.parametrize("text", [
    "tell me about albanian migrants in greece",  # English question -> switched to Albanian
    "explain the albanian national plan on migration",
    "a duhet te flas anglisht per te punuar ne angli?",  # Albanian question -> switched to English
    "can i use english documents in albania",
])
def test_explicit_switch_ignores_language_adjectives_after_verbs(text: str) -> None:
    assert explicit_switch(text) is None


def test_explicit_switch_naming_both_languages_is_not_a_request_for_either() -> None:
    assert explicit_switch("english or albanian, which one is better for you") is None


# --------------------------------------------------------------------------- identify


def test_identify_albanian_with_diacritics(language_model: LanguageModel) -> None:
    guess = identify("Si mund të kthehem në Shqipëri nga Belgjika?", language_model)
    assert guess.language == "sq"
    assert not guess.explicit


def test_identify_albanian_without_diacritics(language_model: LanguageModel) -> None:
    guess = identify("si mund te kthehem ne shqiperi nga belgjika", language_model)
    assert guess.language == "sq"


@pytest.mark.parametrize("text", [
    "qysh me shku me punu n'gjermani",
    "a osht e vertet qe ju ndihmoni me u kthy n'shpi",
    "po du me i qu pare nanes",
])
def test_identify_gheg_as_albanian(language_model: LanguageModel, text: str) -> None:
    assert identify(text, language_model).language == "sq"


def test_identify_english(language_model: LanguageModel) -> None:
    guess = identify("How can I go back to Albania from Belgium?", language_model)
    assert guess.language == "en"
    assert guess.best == "en"
    assert guess.confidence >= 0.5


@pytest.mark.parametrize(("text", "language"), [
    ("hello, a mund te me ndihmoni me punen ne gjermani", "sq"),
    ("ok flm, but how do I send the money safely to my mother", "en"),
])
def test_identify_mixed_messages_follow_the_dominant_language(
        language_model: LanguageModel, text: str, language: str) -> None:
    assert identify(text, language_model).language == language


def test_identify_evenly_mixed_message_does_not_fail(language_model: LanguageModel) -> None:
    guess = identify("ciao, I need help me punen ne itali", language_model)
    assert guess.language in ("sq", "en", None)
    assert 0.0 <= guess.confidence <= 1.0


AMBIGUOUS = ["ok", "OK", "okk", "112", "116 006", "+355 69 123 4567", "UK", "EU", "IOM", "😭",
             "👍🙏", "", "   ", "???", "haha", "ok iom", "sos", "avr"]


@pytest.mark.parametrize("text", AMBIGUOUS)
def test_identify_short_ambiguous_messages_keep_the_conversation_language(
        language_model: LanguageModel, text: str) -> None:
    guess = identify(text, language_model)
    assert guess.language is None
    assert not guess.explicit


def test_identify_without_a_trained_model_decides_nothing() -> None:
    assert identify("si mund te kthehem ne shqiperi", None).language is None
    assert identify("si mund te kthehem ne shqiperi", LanguageModel()).language is None


def test_identify_explicit_request_wins_over_the_model(language_model: LanguageModel) -> None:
    guess = identify("të lutem më shkruaj në anglisht", language_model)  # written in Albanian
    assert guess == LanguageGuess("en", 1.0, explicit=True, best="en")


@pytest.mark.parametrize("text", ["Korçë", "Tiranë", "ç'kemi", "mirëdita", "Çka?"])
def test_identify_diacritics_force_albanian(language_model: LanguageModel, text: str) -> None:
    guess = identify(text, language_model)
    assert guess.language == "sq"
    assert guess.confidence >= 0.9


def test_identify_english_sentence_with_an_albanian_place_name(
        language_model: LanguageModel) -> None:
    assert identify("I live in Korçë, how do I send money to my son?",
                    language_model).language == "en"


# Our own realistic messages (not taken from the NLU data), for an accuracy check.
ALBANIAN = [
    "Përshëndetje, kam një pyetje për punën në Gjermani",
    "pershendetje kam nje pyetje per punen ne gjermani",
    "A më duhet vizë për të punuar në Itali?",
    "a me duhet vize per te punuar ne itali",
    "Kush e paguan biletën e kthimit?",
    "kush e paguan bileten e kthimit",
    "Motra ime ka marrë një ofertë pune në Dubai, a është e sigurt?",
    "motra ime ka marre nje oferte pune ne dubai a eshte e sigurt",
    "Sa ditë mund të qëndroj në Francë pa vizë?",
    "sa dite mund te qendroj ne france pa vize",
    "Ku mund t'i dërgoj paratë me siguri?",
    "ku mund ti dergoj parate me siguri",
    "Kur u bë Shqipëria anëtare e IOM?",
    "kur u be shqiperia anetare e iom",
    "cili eshte numri per viktimat e trafikimit",
    "agjencia po me kerkon 3000 euro per nje vize pune",
    "dua te flas me nje punonjes",
    "faleminderit shume per ndihmen",
    "nuk e kuptova, mund ta shpjegoni perseri?",
    "qysh me gjet pune te sigurt jashte",
    "kam ni shok qe punon ne angli pa leje",
    "tung, a mundesh me m'ndihmu",
    "sa kushton me u kthy prej anglie",
    "mirupafshim",
    "po, dua më shumë informacion",
    "vëllai im punon në Greqi pa kontratë",
    "a ka ndonjë program për të kthyerit nga jashtë?",
    "si ta kuptoj nese nje oferte pune eshte mashtrim",
    "ku ndodhet zyra juaj ne tirane",
    "a mund të më ndihmoni me dokumentet për emigrim",
]
ENGLISH = [
    "Hello, I have a question about working in Germany",
    "How can I go back to Albania from Belgium?",
    "Do I need a visa to work in Italy?",
    "who pays for the ticket home",
    "my sister got a job offer in Dubai, is it safe?",
    "how many days can I stay in France without a visa",
    "what is the safest way to send money to my family",
    "when did Albania become a member of IOM",
    "what number should victims of trafficking call",
    "the agency wants 3000 euros for a work visa",
    "i would like to talk to a real person",
    "thank you so much for your help",
    "i didnt get that, can you explain again?",
    "is it legal to work in the uk on a tourist visa",
    "where can I find reliable information about migration",
    "my friend works in england without papers",
    "can you help me please",
    "what does the organisation do in albania",
    "how much does it cost to return from england",
    "goodbye and thanks",
    "yes, tell me more",
    "are you a robot?",
    "i lost my job in greece and want to come home",
    "how do i know if a recruiter is fake",
    "what support do returnees get after they arrive",
    "is there a phone line for migrants",
    "my cousin was promised a job in a restaurant in london",
    "can my wife come with me to work in germany",
    "where is the iom office in tirana",
    "what happens to my kids school if we move back",
]


@pytest.mark.parametrize(("language", "messages"), [("sq", ALBANIAN), ("en", ENGLISH)])
def test_identify_accuracy_on_realistic_messages(
        language_model: LanguageModel, language: str, messages: list[str]) -> None:
    assert len(messages) >= 30
    guesses = {text: identify(text, language_model).language for text in messages}
    correct = [text for text, guess in guesses.items() if guess == language]
    wrong = {text: guess for text, guess in guesses.items() if guess not in (language, None)}
    accuracy = len(correct) / len(messages)
    assert accuracy >= 0.9, f"{accuracy:.0%} correct; misses: " + repr(
        {t: g for t, g in guesses.items() if g != language})
    # An undecided guess keeps the conversation language; a wrong one switches it.
    assert len(wrong) <= len(messages) // 20, f"switched to the wrong language: {wrong}"


# ----------------------------------------------------------------------- switch_target


def test_switch_target_prefers_the_explicit_request() -> None:
    assert switch_target("in english please", "sq", "sq") == "en"
    assert switch_target("të lutem në shqip", "en", "en") == "sq"


def test_switch_target_uses_the_language_the_request_is_written_in() -> None:
    # "my Albanian is not good" written in English: the person wants English.
    assert switch_target("my albanian is not good", "en", "sq") == "en"


def test_switch_target_falls_back_to_the_named_language_then_current_then_albanian() -> None:
    assert switch_target("hmm albanian", None, "en") == "sq"
    assert switch_target("", None, "en") == "en"
    assert switch_target("", None, None) == "sq"


@pytest.mark.parametrize(("text", "detected", "current", "expected"), [
    ("ndrysho gjuhen", "sq", "sq", "en"),
    ("change the language", "en", "en", "sq"),
])
def test_switch_target_without_a_target_changes_the_language(
        text: str, detected: str, current: str, expected: str) -> None:
    assert switch_target(text, detected, current) == expected  # type: ignore[arg-type]


# ---------------------------------------------------------------- the Rasa component


def test_language_identifier_component_adds_entity_only_when_clear(
        language_model: LanguageModel) -> None:
    from rasa.shared.nlu.training_data.message import Message

    from bot.nlu.components import LanguageIdentifier

    component = LanguageIdentifier({}, None, None, language_model)  # type: ignore[arg-type]
    clear, unclear = Message({"text": "a mund të punoj në Itali pa leje?"}), Message({"text": "ok"})
    component.process([clear, unclear])
    assert [e["value"] for e in clear.get("entities") if e["entity"] == "language"] == ["sq"]
    assert clear.get("language_guess")["language"] == "sq"
    assert not [e for e in unclear.get("entities", []) if e["entity"] == "language"]
    assert unclear.get("language_guess")["language"] is None
