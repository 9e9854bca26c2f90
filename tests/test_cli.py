"""`helpline kb …`: what staff type, what they see, and the exit codes scripts rely on."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
import yaml
from conftest import FIXTURE_KNOWLEDGE
from test_knowledge import card, contact, edit_yaml
from typer.testing import CliRunner

from bot.cli import app, parse_age
from bot.knowledge.migrations import current_revision, head_revision
from bot.knowledge.store import KNOWLEDGE_DIR, KnowledgeStore

FIXTURE = ["--directory", str(FIXTURE_KNOWLEDGE)]


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner(mix_stderr=False)


@pytest.fixture
def db_url(monkeypatch: pytest.MonkeyPatch, database_url: str) -> str:
    """The store the commands use: an empty one of the test's own, on SQLite and PostgreSQL."""
    monkeypatch.setenv("HELPLINE_DB_URL", database_url)
    return database_url


def snapshot_of(url: str):
    store = KnowledgeStore(url)
    try:
        return store.snapshot()
    finally:
        store.close()


# ----------------------------------------------------------------------------- import


def test_import_loads_the_store_and_reports_what_changed(runner: CliRunner, db_url: str) -> None:
    result = runner.invoke(app, ["kb", "import", *FIXTURE])
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert "added: cards:work_it" in lines and "added: contacts:al_line" in lines
    added = sum(line.startswith("added: ") for line in lines)
    assert lines[-1] == f"knowledge: {added} added, 0 changed, 0 removed"
    assert snapshot_of(db_url).card("work_it") is not None


def test_a_second_import_reports_no_change(runner: CliRunner, db_url: str) -> None:
    assert runner.invoke(app, ["kb", "import", "--quiet", *FIXTURE]).exit_code == 0
    result = runner.invoke(app, ["kb", "import", *FIXTURE])
    assert result.exit_code == 0
    assert result.stdout.strip() == "knowledge: 0 added, 0 changed, 0 removed"
    assert snapshot_of(db_url).revision == 1


def test_quiet_import_of_the_shipped_files_prints_only_the_summary(runner: CliRunner, db_url: str) -> None:
    result = runner.invoke(app, ["kb", "import", "--quiet"])
    assert result.exit_code == 0, result.stderr
    assert re.fullmatch(r"knowledge: \d+ added, 0 changed, 0 removed\n", result.stdout)


def test_import_of_an_edited_directory_reports_the_change(runner: CliRunner, db_url: str, fixture_copy: Path) -> None:
    assert runner.invoke(app, ["kb", "import", "--directory", str(fixture_copy)]).exit_code == 0
    edit_yaml(fixture_copy / "work.yml", lambda d: d.update(cards=[c for c in d["cards"] if c["key"] != "work_de"]))
    result = runner.invoke(app, ["kb", "import", "--directory", str(fixture_copy)])
    assert result.exit_code == 0
    assert result.stdout.splitlines() == ["removed: cards:work_de", "knowledge: 0 added, 0 changed, 1 removed"]


def test_a_broken_knowledge_directory_exits_1_naming_the_file(
        runner: CliRunner, db_url: str, fixture_copy: Path) -> None:
    assert runner.invoke(app, ["kb", "import", "--quiet", *FIXTURE]).exit_code == 0
    edit_yaml(fixture_copy / "help.yml", lambda d: contact(d, "al_emergency").update(phone="one"))
    result = runner.invoke(app, ["kb", "import", "--directory", str(fixture_copy)])
    assert result.exit_code == 1
    assert result.stderr.startswith("error: help.yml: contacts[0]: phone:")
    assert result.stdout == ""
    assert snapshot_of(db_url).revision == 1  # nothing changed


def test_an_empty_directory_exits_1(runner: CliRunner, db_url: str, tmp_path: Path) -> None:
    empty = tmp_path / "nothing"
    empty.mkdir()
    result = runner.invoke(app, ["kb", "import", "--directory", str(empty)])
    assert result.exit_code == 1
    assert "no *.yml" in result.stderr


# ----------------------------------------------------------------------------- search


def test_search_shows_ranked_cards_with_their_sources(runner: CliRunner, db_url: str) -> None:
    assert runner.invoke(app, ["kb", "import", "--quiet", *FIXTURE]).exit_code == 0
    result = runner.invoke(app, ["kb", "search", "sa kohe zgjat nulla osta", "--lang", "sq", "--limit", "2"])
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert len([line for line in lines if not line.startswith(" ")]) == 2  # two hits
    header, text, source = lines[:3]
    assert re.fullmatch(r"\d\.\d{3}  work_it_duration  \[work\]", header)
    assert text.strip().startswith("Nulla osta jepet pas 60 ditësh")
    assert source.strip() == "— Ministero dell'Interno, Decreto flussi (reviewed 2026-11-30)"


def test_search_rejects_an_unknown_language(runner: CliRunner, db_url: str) -> None:
    result = runner.invoke(app, ["kb", "search", "visa", "--lang", "de"])
    assert result.exit_code == 2
    assert "sq or en" in result.stderr


def test_search_before_any_import_explains_what_to_do(runner: CliRunner, db_url: str) -> None:
    result = runner.invoke(app, ["kb", "search", "visa"])
    assert result.exit_code != 0
    assert isinstance(result.exception, SystemExit)
    assert "import" in result.stderr


# ------------------------------------------------------------------------------ check


def _break_three_files(directory: Path) -> None:
    """Three problems in two files: a phone, a missing language, a URL."""
    edit_yaml(directory / "help.yml", lambda d: contact(d, "al_emergency").update(phone="one"))
    edit_yaml(directory / "work.yml", lambda d: card(d, "work_it")["title"].pop("en"))
    edit_yaml(directory / "work.yml", lambda d: d["sources"][1].update(url="not a url"))


def test_check_passes_on_the_shipped_files(runner: CliRunner) -> None:
    result = runner.invoke(app, ["kb", "check"])
    assert result.exit_code == 0, result.stderr
    assert re.fullmatch(r"knowledge: \d+ entries in \d+ files are valid\n", result.stdout)


def test_check_lists_every_problem_and_exits_1(
        runner: CliRunner, fixture_copy: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    # it never opens the store: a database that cannot be opened changes nothing
    (tmp_path / "a-file").write_text("")
    monkeypatch.setenv("HELPLINE_DB_URL", f"sqlite:///{tmp_path}/a-file/kb.db")
    _break_three_files(fixture_copy)
    result = runner.invoke(app, ["kb", "check", "--directory", str(fixture_copy)])
    assert result.exit_code == 1
    assert result.stdout == ""
    errors = [line for line in result.stderr.splitlines() if line.startswith("error: ")]
    assert len(errors) == 3, result.stderr
    assert any(e.startswith("error: help.yml: contacts[0]: phone: ") for e in errors)
    assert any(e.startswith("error: work.yml: sources[1]: url: ") for e in errors)
    assert any(e.startswith("error: work.yml: cards[1]: title: ") for e in errors)


def test_check_of_one_file_shows_only_its_problems_and_checks_its_references(
        runner: CliRunner, fixture_copy: Path) -> None:
    _break_three_files(fixture_copy)
    edit_yaml(fixture_copy / "work.yml", lambda d: card(d, "work_de").update(contacts=["no_such_contact"]))
    result = runner.invoke(app, ["kb", "check", "--directory", str(fixture_copy), "--only", "work.yml"])
    assert result.exit_code == 1
    errors = [line for line in result.stderr.splitlines() if line.startswith("error: ")]
    assert all(e.startswith("error: work.yml: ") for e in errors)
    assert any("unknown contact 'no_such_contact'" in e for e in errors)  # checked despite help.yml's problem
    clean = runner.invoke(app, ["kb", "check", *FIXTURE, "--only", "help.yml"])
    assert (clean.exit_code, clean.stdout) == (0, "knowledge: help.yml is valid\n")


def test_check_finds_what_an_import_would_let_through(runner: CliRunner, fixture_copy: Path) -> None:
    def edit(data: dict) -> None:
        card(data, "work_it").update(reviewed="2999-01-01", review_by="3000-01-01")
        card(data, "work_de")["title"]["en"] = card(data, "work_de")["title"]["sq"]

    edit_yaml(fixture_copy / "work.yml", edit)
    result = runner.invoke(app, ["kb", "check", "--directory", str(fixture_copy)])
    assert result.exit_code == 1
    assert "(work_it): reviewed: 2999-01-01 is in the future" in result.stderr
    assert "(work_de): title: the 'sq' and 'en' texts are the same" in result.stderr


def test_import_lists_every_problem_too(runner: CliRunner, db_url: str, fixture_copy: Path) -> None:
    _break_three_files(fixture_copy)
    result = runner.invoke(app, ["kb", "import", "--directory", str(fixture_copy)])
    assert result.exit_code == 1
    assert len(result.stderr.splitlines()) == 3


# ----------------------------------------------------------------------------- export


def test_export_writes_files_that_import_unchanged(runner: CliRunner, db_url: str, tmp_path: Path) -> None:
    assert runner.invoke(app, ["kb", "import", "--quiet"]).exit_code == 0
    out = tmp_path / "exported"
    result = runner.invoke(app, ["kb", "export", "--out", str(out)])
    assert result.exit_code == 0, result.stderr
    assert sorted(line.split("/")[-1] for line in result.stdout.splitlines()) == sorted(
        p.name for p in KNOWLEDGE_DIR.glob("*.yml"))
    for path in KNOWLEDGE_DIR.glob("*.yml"):
        assert yaml.safe_load((out / path.name).read_text(encoding="utf-8")) == yaml.safe_load(
            path.read_text(encoding="utf-8")), path.name
    again = runner.invoke(app, ["kb", "import", "--directory", str(out)])
    assert again.stdout.strip() == "knowledge: 0 added, 0 changed, 0 removed"


def test_export_warns_about_files_it_did_not_write(runner: CliRunner, db_url: str, tmp_path: Path) -> None:
    assert runner.invoke(app, ["kb", "import", "--quiet", *FIXTURE]).exit_code == 0
    (tmp_path / "old_topic.yml").write_text("topic: {}\n", encoding="utf-8")
    result = runner.invoke(app, ["kb", "export", "--out", str(tmp_path)])
    assert result.exit_code == 0
    assert "warning: old_topic.yml is not from this export" in result.stderr


def test_export_of_an_empty_store_explains_what_to_do(runner: CliRunner, db_url: str, tmp_path: Path) -> None:
    result = runner.invoke(app, ["kb", "export", "--out", str(tmp_path / "out")])
    assert result.exit_code == 1
    assert "kb import" in result.stderr
    assert not (tmp_path / "out").exists()


# ------------------------------------------------------------------------------ stale


def test_stale_lists_what_is_due_for_review(runner: CliRunner, db_url: str, fixture_copy: Path) -> None:
    edit_yaml(fixture_copy / "work.yml", lambda d: card(d, "work_de").update(
        reviewed="1990-03-04", review_by="1991-03-04", review_note="The quota changed."))
    edit_yaml(fixture_copy / "help.yml", lambda d: contact(d, "it_line").update(review_by=dt.date.today().isoformat()))
    assert runner.invoke(app, ["kb", "import", "--quiet", "--directory", str(fixture_copy)]).exit_code == 0
    result = runner.invoke(app, ["kb", "stale", "--older-than", "365d"])
    assert result.exit_code == 0, result.stderr
    *listed, summary = result.stdout.splitlines()
    assert listed[0] == "1990-03-04  review by 1991-03-04  work_de  [card]  note: The quota changed."
    assert [line.split()[4] for line in listed] == ["work_de", "it_line"]  # the review-by date passed
    entries = len(snapshot_of(db_url).cards) + len(snapshot_of(db_url).contacts)
    cutoff = dt.date.today() - dt.timedelta(days=365)
    assert summary == (f"knowledge: 2 of {entries} entries are due for review (review-by date passed, "
                       f"or last reviewed before {cutoff})")


@pytest.mark.parametrize(("age", "days"), [("365d", 365), ("2w", 14), ("1y", 365), ("30Y", 10950)])
def test_ages_in_days_weeks_and_years(age: str, days: int) -> None:
    assert parse_age(age) == dt.timedelta(days=days)


@pytest.mark.parametrize("age", ["soon", "12", "3m", "-1d", ""])
def test_stale_rejects_an_unreadable_age(runner: CliRunner, db_url: str, age: str) -> None:
    result = runner.invoke(app, ["kb", "stale", "--older-than", age])
    assert result.exit_code == 2
    assert "90d, 12w, 1y" in result.stderr


def test_upgrade_creates_the_schema(runner: CliRunner, db_url: str) -> None:
    result = runner.invoke(app, ["kb", "upgrade"])
    assert result.exit_code == 0, result.stderr
    store = KnowledgeStore(db_url)
    assert current_revision(store.engine) == head_revision()
    assert store.revision() == 0
    store.close()


def test_stale_with_notes_lists_the_flagged_cards_too(runner: CliRunner, db_url: str, fixture_copy: Path) -> None:
    edit_yaml(fixture_copy / "work.yml", lambda d: card(d, "work_it").update(review_note="Check the 2026 decree."))
    assert runner.invoke(app, ["kb", "import", "--quiet", "--directory", str(fixture_copy)]).exit_code == 0
    plain = runner.invoke(app, ["kb", "stale"])
    flagged = runner.invoke(app, ["kb", "stale", "--notes"])
    assert "work_it" not in plain.stdout
    assert "work_it  [card]  note: Check the 2026 decree." in flagged.stdout
    assert flagged.stdout.splitlines()[-1].endswith(", or flagged)")


def test_coverage_counts_cards_per_topic_and_country(runner: CliRunner, db_url: str) -> None:
    assert runner.invoke(app, ["kb", "import", "--quiet", *FIXTURE]).exit_code == 0
    result = runner.invoke(app, ["kb", "coverage"])
    assert result.exit_code == 0, result.stderr
    rows = {line.split(" | ")[0].strip("| "): line.split(" | ")[1:] for line in result.stdout.splitlines()[2:]}
    # work: 4 cards, 1 general, 2 for Italy, 1 for Germany, 0 notes, 2 sources from 2 publishers
    assert rows["Work abroad (`work`)"] == ["4", "1", "2", "1", "0", "0", "0", "0", "0", "0", "2", "2 |"]
    assert rows["**all**"][0] == "6"


def test_conversations_commands_that_cannot_reach_the_store_exit_1_with_the_reason(
        runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    endpoints = tmp_path / "endpoints.yml"
    endpoints.write_text("action_endpoint:\n  url: http://127.0.0.1:5055/webhook\n", encoding="utf-8")
    monkeypatch.setenv("HELPLINE_ENDPOINTS", str(endpoints))
    result = runner.invoke(app, ["conversations", "delete", "ana"])
    assert result.exit_code == 1 and "no SQL tracker store" in result.stderr and "deleted" not in result.stdout
    unreachable = "postgresql://helpline:secret@127.0.0.1:1/helpline?connect_timeout=2"
    result = runner.invoke(app, ["conversations", "purge", "--older-than", "0", "--url", unreachable])
    assert result.exit_code == 1 and "could not be reached" in result.stderr and "deleted" not in result.stdout
