"""Phone numbers in replies are marked for tap-to-call, and the mark can be taken off again."""

from __future__ import annotations

from bot.phones import mark_phones, marked_numbers, tel_target, unmark


def test_known_numbers_are_marked_however_they_are_grouped() -> None:
    text = mark_phones("Call 112 or 116 006; in Italy 800 290 290. Not 1112. Also 116006.",
                       ["112", "116 006", "800 290 290"])
    assert text == ("Call [112](tel:112) or [116 006](tel:116006); in Italy [800 290 290](tel:800290290). "
                    "Not 1112. Also [116006](tel:116006).")
    assert marked_numbers(text) == ["112", "116006", "800290290", "116006"]


def test_marking_twice_changes_nothing_and_unmarking_restores_the_text() -> None:
    plain = "Telefononi 112 ose +355 4 2275 958."
    marked = mark_phones(plain, ["112", "+355 4 2275 958"])
    assert marked == "Telefononi [112](tel:112) ose [+355 4 2275 958](tel:+35542275958)."
    assert mark_phones(marked, ["112", "+355 4 2275 958"]) == marked
    assert unmark(marked) == plain


def test_numbers_that_are_not_contacts_stay_plain() -> None:
    assert mark_phones("In 2016 IOM joined the UN; 90 days in 180.", ["112"]) == (
        "In 2016 IOM joined the UN; 90 days in 180.")
    assert tel_target(" +44 800 ") == "+44800"
