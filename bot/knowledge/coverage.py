"""What the knowledge covers: cards per topic and country, and the sources they rest on.

`helpline kb coverage` prints it; docs/knowledge.md carries the same table (a test keeps the
two equal), so the coverage a reader sees is the coverage the assistant has.
"""

from __future__ import annotations

from collections import Counter

from bot.knowledge.model import Snapshot

# The destinations with a column of their own; the others are counted together.
MAIN_COUNTRIES = ("IT", "DE", "GR", "GB", "FR", "BE")


def coverage_table(snapshot: Snapshot) -> str:
    """A Markdown table: per topic, its cards, how many are general or for each main country,
    how many are flagged for review, and the distinct sources and publishers they cite."""
    head = ["topic", "cards", "any country", *MAIN_COUNTRIES, "other countries", "review notes", "sources",
            "publishers"]
    lines = ["| " + " | ".join(head) + " |", "| --- |" + " ---: |" * (len(head) - 1)]
    totals: Counter = Counter()
    for topic in sorted(snapshot.topics.values(), key=lambda t: (t.order is None, t.order or 0, t.key)):
        cards = snapshot.cards_of(topic.key)
        if not cards:
            continue
        row = Counter(cards=len(cards), general=sum(not c.countries for c in cards),
                      notes=sum(bool(c.review_note) for c in cards))
        for card in cards:
            for country in card.countries:
                row[country if country in MAIN_COUNTRIES else "other"] += 1
        sources = {x.source.key for c in cards for x in c.citations}
        publishers = {x.source.publisher for c in cards for x in c.citations}
        row.update(sources=len(sources), publishers=len(publishers))
        totals.update(row)
        lines.append("| " + " | ".join([f"{topic.title.en} (`{topic.key}`)", str(row["cards"]), str(row["general"]),
                                        *(str(row[c]) for c in MAIN_COUNTRIES), str(row["other"]),
                                        str(row["notes"]), str(row["sources"]), str(row["publishers"])]) + " |")
    all_sources = {x.source.key for c in snapshot.cards for x in c.citations}
    lines.append("| " + " | ".join(["**all**", str(totals["cards"]), str(totals["general"]),
                                    *(str(totals[c]) for c in MAIN_COUNTRIES), str(totals["other"]),
                                    str(totals["notes"]), str(len(all_sources)),
                                    str(len({x.source.publisher for c in snapshot.cards for x in c.citations}))])
                 + " |")
    return "\n".join(lines) + "\n"
