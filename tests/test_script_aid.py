"""The script aid and its screening content, on the real knowledge and the real trained models
(the conftest fixtures train them on data/ as the Rasa components do)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
import yaml

from bot.console.screening import SCREENING_FILE, ScreeningError, load_screening
from bot.console.script_aid import MODEL_ARCHIVE, ScriptAid, models_from_archive
from bot.emergency_reply import numbers_for
from bot.knowledge.model import Snapshot

ILO_INDICATORS = ["Abuse of vulnerability", "Deception", "Restriction of movement", "Isolation",
                  "Physical and sexual violence", "Intimidation and threats", "Retention of identity documents",
                  "Withholding of wages", "Debt bondage", "Abusive working and living conditions",
                  "Excessive overtime"]


@pytest.fixture(scope="module")
def aid(snapshot: Snapshot, card_model, language_model) -> ScriptAid:
    return ScriptAid(snapshot, card_model, language_model)


def test_an_albanian_question_without_diacritics_finds_its_card_in_both_languages(aid: ScriptAid) -> None:
    result = aid.lookup("sa dite mund te qendroj ne itali pa vize")
    assert result.language == "sq"
    best = result.cards[0]
    assert best.key == "tr_schengen_90_180_rule" and best.confidence > 0.5
    assert "ë" in best.answer["sq"] and best.answer["en"] != best.answer["sq"]
    assert best.sources and best.reviewed
    assert not result.signals and result.emergency is None and not result.refer


def test_danger_gets_the_emergency_steps_the_indicators_and_the_referral(aid: ScriptAid, snapshot: Snapshot) -> None:
    result = aid.lookup("me kane marre pasaporten dhe nuk me lene te dal nga shtepia")
    assert "documents_taken" in result.signals
    numbers = numbers_for(snapshot, None)
    for language in ("sq", "en"):
        assert numbers.emergency.phone in result.emergency[language]
        assert numbers.trafficking_line.phone in result.emergency[language]
        assert "](tel:" not in result.emergency[language]  # plain text for the operator
    present = {i.key for i in result.indicators if i.present}
    assert {"retention_of_identity_documents", "restriction_of_movement"} <= present
    assert result.refer
    assert numbers.trafficking_line.phone in result.referral_steps[0]["en"]  # filled from the store


def test_referral_contacts_follow_the_place(aid: ScriptAid) -> None:
    milan = aid.lookup("me kane marre pasaporten", "Milano")
    assert milan.place == "IT" and milan.contacts[0].city == "Milano"
    assert all(c.country == "IT" for c in milan.contacts)
    abroad = aid.lookup("my sister is stuck in Germany, they took her passport")
    assert abroad.place == "DE" and all(c.country == "DE" for c in abroad.contacts)
    home = aid.lookup("")
    assert home.place == "AL" and home.cards == [] and home.language is None
    assert aid.lookup("nowhere", "Atlantis").place == "AL"  # an unknown place: Albania's contacts


def test_bad_input_gets_an_answer_not_a_crash(aid: ScriptAid) -> None:
    for text in ("   ", "?!", "x" * 50_000, "<script>alert(1)</script>", "\u0000\u200b", "112"):
        result = aid.lookup(text, "\u0000")
        assert isinstance(result.to_json(), dict)


def test_a_lookup_takes_well_under_100_ms(aid: ScriptAid) -> None:
    """A coarse guard only (bench/script_aid.py measures): the worst of 20 lookups."""
    aid.lookup("warm up")
    worst = 0.0
    for _ in range(20):
        started = time.perf_counter()
        aid.lookup("a eshte falas linja 116 006 dhe a mund te telefonoj nga italia?")
        worst = max(worst, time.perf_counter() - started)
    assert worst < 0.5, f"{worst * 1000:.0f} ms"


def test_the_screening_file_has_the_ilo_indicators_with_sources_in_both_languages() -> None:
    screening = load_screening()
    assert [i.name["en"] for i in screening.indicators] == ILO_INDICATORS
    listed = screening.sources["ilo_indicators_forced_labour"].passages[0]
    assert all(name in listed for name in ILO_INDICATORS)  # each indicator is in the recorded passage
    assert all(i.question["sq"] != i.question["en"] for i in screening.indicators)
    assert all(s.url.startswith("https://") and s.accessed for s in screening.sources.values())
    assert len(screening.steps) >= 4
    text = SCREENING_FILE.read_text(encoding="utf-8")
    assert "112" not in text and "116" not in text  # the numbers live in the knowledge store only


def test_a_broken_screening_file_is_named(tmp_path: Path) -> None:
    data = yaml.safe_load(SCREENING_FILE.read_text(encoding="utf-8"))
    data["referral"]["steps"][0]["source"] = "nowhere"
    broken = tmp_path / "screening.yml"
    broken.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    with pytest.raises(ScreeningError, match="referral step 1: cites unknown source 'nowhere'"):
        load_screening(broken)
    data = yaml.safe_load(SCREENING_FILE.read_text(encoding="utf-8"))
    del data["indicators"][3]["question"]["sq"]
    broken.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    with pytest.raises(ScreeningError, match="indicator 'isolation': question needs both sq and en"):
        load_screening(broken)


@pytest.mark.skipif(not MODEL_ARCHIVE.is_file(), reason="no trained model (scripts/test.sh trains one)")
def test_the_models_load_from_the_trained_archive(snapshot: Snapshot) -> None:
    card_model, language_model = models_from_archive()
    result = ScriptAid(snapshot, card_model, language_model).lookup("si mund te dergoj para ne shtepi")
    assert result.language == "sq" and result.cards


def test_an_archive_without_the_models_is_explained(tmp_path: Path) -> None:
    import tarfile

    empty = tmp_path / "model.tar.gz"
    with tarfile.open(empty, "w:gz"):
        pass
    with pytest.raises(LookupError, match="no trained card or language model"):
        models_from_archive(empty)
