"""The documentation says what the code and the content do."""

from __future__ import annotations

import re
from pathlib import Path

from bot.knowledge.coverage import coverage_table
from bot.knowledge.model import Snapshot

ROOT = Path(__file__).resolve().parents[1]


def test_the_coverage_table_in_the_docs_is_the_content_of_the_files(snapshot: Snapshot) -> None:
    docs = (ROOT / "docs" / "knowledge.md").read_text(encoding="utf-8")
    table = re.search(r"<!-- coverage:start -->\n(.*?)<!-- coverage:end -->", docs, re.S)
    assert table, "docs/knowledge.md lost its coverage markers"
    assert table.group(1).strip() == coverage_table(snapshot).strip(), (
        "docs/knowledge.md's coverage table is out of date: paste the output of `helpline kb coverage`")
