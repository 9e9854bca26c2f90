"""`helpline` command line: maintain the knowledge store.

    helpline kb check                 validate data/knowledge/*.yml (no database needed)
    helpline kb import                load them into the store (idempotent, all or nothing)
    helpline kb export --out DIR      write the store back out as knowledge files
    helpline kb stale --older-than 1y cards and contacts due for review (--notes: and the flagged ones)
    helpline kb search "query"        ranked cards with their sources
    helpline kb coverage              cards per topic and country, with their sources
    helpline kb upgrade               migrate the store's tables to the newest schema
    helpline conversations purge --older-than 30   delete conversations older than 30 days
    helpline conversations delete SENDER           delete one person's conversation
    helpline channels status                       which messaging channels start, and why not
    helpline channels set-webhook NAME URL         register the webhook (telegram, viber)
    helpline operators add NAME --role supervisor  an operator console account (also list, disable, reset)

The store is HELPLINE_DB_URL (a SQLite file under var/ by default, or a postgresql:// URL).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import typer
from sqlalchemy.exc import SQLAlchemyError

from bot import conversations
from bot.channels import commands as channel_commands
from bot.console import cli as console_cli
from bot.knowledge.coverage import coverage_table
from bot.knowledge.loader import KnowledgeError, audit, collect
from bot.knowledge.model import Card, Contact, Snapshot
from bot.knowledge.search import index_of
from bot.knowledge.store import KNOWLEDGE_DIR, KnowledgeStore
from bot.text import LANGUAGES

app = typer.Typer(help="Migration helpline assistant tools.", no_args_is_help=True)
kb = typer.Typer(help="The knowledge store.", no_args_is_help=True)
app.add_typer(kb, name="kb")
app.add_typer(conversations.app, name="conversations")
app.add_typer(channel_commands.app, name="channels")
app.add_typer(console_cli.app, name="operators")

_AGE = re.compile(r"^(\d+)\s*([dwy])$")
_DAYS = {"d": 1, "w": 7, "y": 365}


def parse_age(value: str) -> dt.timedelta:
    """'90d', '12w' or '1y' (a year counted as 365 days)."""
    match = _AGE.match(value.strip().lower())
    if not match:
        raise typer.BadParameter("use a number of days, weeks or years: 90d, 12w, 1y")
    return dt.timedelta(days=int(match[1]) * _DAYS[match[2]])


def _fail(problems: tuple[str, ...] | list[str], code: int = 1) -> typer.Exit:
    for problem in problems:
        typer.echo(f"error: {problem}", err=True)
    return typer.Exit(code)


@contextmanager
def _store() -> Iterator[KnowledgeStore]:
    """The configured store, its connections closed when the command is done."""
    store = KnowledgeStore()
    try:
        yield store
    finally:
        store.close()


def _snapshot(store: KnowledgeStore) -> Snapshot:
    try:
        return store.snapshot()
    except SQLAlchemyError:
        raise _fail(["the knowledge store cannot be read; run `helpline kb import` first"]) from None


@kb.command()
def check(directory: Path = typer.Option(KNOWLEDGE_DIR, help="Folder of *.yml files."),
          only: str = typer.Option("", help="Show only the problems of this file (e.g. remittances.yml).")) -> None:
    """Validate the knowledge files without touching the store; list every problem found."""
    content = collect(directory, references_always=bool(only))
    problems = content.problems if content.problems and not only else [*content.problems, *audit(content)]
    if only:
        problems = [p for p in problems if p.startswith(f"{Path(only).name}:")]
    if problems:
        typer.echo(f"{len(problems)} problem(s) in {directory / Path(only).name if only else directory}:", err=True)
        raise _fail(problems)
    if only:
        typer.echo(f"knowledge: {Path(only).name} is valid")
        return
    typer.echo(f"knowledge: {content.count} entries in {len(list(directory.glob('*.yml')))} files are valid")


@kb.command("import")
def import_(directory: Path = typer.Option(KNOWLEDGE_DIR, help="Folder of *.yml files."),
            quiet: bool = typer.Option(False, help="Print only a one-line summary.")) -> None:
    """Load the knowledge files; a file with an error changes nothing."""
    try:
        with _store() as store:
            report = store.import_directory(directory)
    except KnowledgeError as error:
        raise _fail(error.problems) from None
    if not quiet:
        for label, keys in (("added", report.added), ("changed", report.changed),
                            ("removed", report.removed)):
            for key in keys:
                typer.echo(f"{label}: {key}")
    typer.echo(f"knowledge: {len(report.added)} added, {len(report.changed)} changed, "
               f"{len(report.removed)} removed")


@kb.command()
def export(out: Path = typer.Option(..., "--out", help="Folder to write the *.yml files to.")) -> None:
    """Write the store's content as knowledge files, laid out as data/knowledge."""
    with _store() as store:
        _snapshot(store)  # explains an empty store instead of writing empty files
        written = store.export_directory(out)
    for path in written:
        typer.echo(f"wrote {path}")
    for path in sorted(set(out.glob("*.yml")) - set(written)):
        typer.echo(f"warning: {path.name} is not from this export; remove it before importing "
                   f"{out}", err=True)


@kb.command()
def stale(older_than: str = typer.Option("365d", "--older-than",
                                         help="Age of the last review: 90d, 12w, 1y."),
          notes: bool = typer.Option(False, "--notes", help="Also every card flagged with a review note.")) -> None:
    """List the cards and contacts due for review: past their review-by date, or last reviewed
    longer ago than the given age (and, with --notes, flagged for review); oldest first."""
    today = dt.date.today()
    cutoff = today - parse_age(older_than)
    with _store() as store:
        snapshot = _snapshot(store)
    entries: list[tuple[str, Card | Contact]]
    entries = [*(("card", c) for c in snapshot.cards), *(("contact", c) for c in snapshot.contacts.values())]
    due = sorted(((kind, e) for kind, e in entries if e.reviewed < cutoff or e.review_by <= today
                  or (notes and getattr(e, "review_note", None))),
                 key=lambda item: (item[1].reviewed, item[1].key))
    for kind, entry in due:
        note = getattr(entry, "review_note", None)
        typer.echo(f"{entry.reviewed}  review by {entry.review_by}  {entry.key}  [{kind}]"
                   + (f"  note: {note}" if note else ""))
    typer.echo(f"knowledge: {len(due)} of {len(entries)} entries are due for review "
               f"(review-by date passed, or last reviewed before {cutoff}{', or flagged' if notes else ''})")


@kb.command()
def search(query: str, lang: str = typer.Option("en", help="Language of the results: sq or en."),
           limit: int = typer.Option(5, min=1, max=50)) -> None:
    """Show the cards whose words best match a question, with their sources."""
    if lang not in LANGUAGES:
        raise _fail(["--lang must be sq or en"], code=2)
    with _store() as store:
        snapshot = _snapshot(store)
    for hit in index_of(snapshot).rank(query, limit=limit):
        card = hit.card
        sources = "; ".join(f"{c.source.publisher}, {c.source.title}" for c in card.citations)
        typer.echo(f"{hit.similarity:.3f}  {card.key}  [{card.topic}]\n       {card.answer.get(lang)}"
                   f"\n       — {sources} (reviewed {card.reviewed})")


@kb.command()
def coverage() -> None:
    """Print what the knowledge covers: cards per topic and country, with their sources."""
    with _store() as store:
        typer.echo(coverage_table(_snapshot(store)), nl=False)


@kb.command()
def upgrade() -> None:
    """Create the store's tables, or migrate existing ones in place, to the newest schema."""
    with _store() as store:
        store.upgrade()
    typer.echo("knowledge store: schema is up to date")


if __name__ == "__main__":
    app()
