"""`helpline` command line: maintain the knowledge store.

    helpline kb import            load data/knowledge/*.yml (idempotent, all or nothing)
    helpline kb search "query"    ranked facts with their sources
"""

from __future__ import annotations

from pathlib import Path

import typer
from sqlalchemy.exc import SQLAlchemyError

from bot.knowledge.loader import KnowledgeError
from bot.knowledge.store import KNOWLEDGE_DIR, KnowledgeStore
from bot.language import LANGUAGES

app = typer.Typer(help="Migration helpline assistant tools.", no_args_is_help=True)
kb = typer.Typer(help="The knowledge store.", no_args_is_help=True)
app.add_typer(kb, name="kb")


@kb.command("import")
def import_(directory: Path = typer.Option(KNOWLEDGE_DIR, help="Folder of *.yml files."),
            quiet: bool = typer.Option(False, help="Print only a one-line summary.")) -> None:
    """Load the knowledge files; a file with an error changes nothing."""
    try:
        report = KnowledgeStore().import_directory(directory)
    except KnowledgeError as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(1) from None
    if not quiet:
        for label, keys in (("added", report.added), ("changed", report.changed),
                            ("removed", report.removed)):
            for key in keys:
                typer.echo(f"{label}: {key}")
    typer.echo(f"knowledge: {len(report.added)} added, {len(report.changed)} changed, "
               f"{len(report.removed)} removed")


@kb.command()
def search(query: str, lang: str = typer.Option("en", help="Language of the results: sq or en."),
           limit: int = typer.Option(5, min=1, max=50)) -> None:
    """Show the facts that best match a question, with scores and sources."""
    if lang not in LANGUAGES:
        typer.echo("error: --lang must be sq or en", err=True)
        raise typer.Exit(2)
    try:
        snapshot = KnowledgeStore().snapshot()
    except SQLAlchemyError:
        typer.echo("error: the knowledge store cannot be read; run `helpline kb import` first",
                   err=True)
        raise typer.Exit(1) from None
    for hit in snapshot.index.rank(query, limit=limit):
        doc = hit.document
        typer.echo(f"{hit.score:.3f}  {doc.key}  [{doc.topic}]\n       {doc.text.get(lang)}"
                   f"\n       — {doc.source.title.get(lang)} (reviewed {doc.reviewed})")


if __name__ == "__main__":
    app()
