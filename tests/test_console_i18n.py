"""The console in Albanian and English: the strings table, the templates, the switch in a browser.

The table and the templates are checked directly (every key in both languages with the same
places, no label written into a template or the script); the switch runs in Debian's Chromium
against the real console and assistant (tests/console_support.py, the fixtures of
tests/test_console.py): choosing Shqip relabels the sign-in form, the script aid, the queue and
the statistics, stays from page to page and across signing out, and a switch without its CSRF
token is refused.

Run: .venv/bin/pytest -q tests/test_console_i18n.py   (the browser part is marked e2e)
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
import requests
import test_console
from console_support import ConsoleServers
from test_console import OPERATOR, SUPERVISOR, ConsolePage, signed_in

from bot.console.accounts import AUDIT_ACTIONS, ROLES
from bot.console.app import HERE, STATIC_DIR
from bot.console.strings import STRINGS, from_accept_language, table, text
from bot.text import LANGUAGES

TEMPLATES = sorted((HERE / "templates").glob("*.html"))
SCRIPT = STATIC_DIR / "console.js"
LETTER = re.compile(r"[^\W\d_]")  # any letter, of any alphabet
JINJA = re.compile(r"\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}", re.S)
READ_ATTRIBUTES = ("aria-label", "title", "placeholder", "alt")  # attributes a person reads or hears
PLACE = re.compile(r"\{(\w+)\}")
# what the templates and the script build keys from (t('role.' + session.role), t(`state.${...}`), ...)
KEY_FAMILIES = {"role": ROLES, "action": AUDIT_ACTIONS, "state": ("waiting", "held", "released", "closed"),
                "who": ("user", "assistant", "operator"), "language": LANGUAGES, "card.copy_": LANGUAGES,
                "aid.copied_": LANGUAGES, "side.": LANGUAGES, "side.emergency_": LANGUAGES,
                "aid.": ("topic", "language", "referred_to")}


browser, servers = test_console.browser, test_console.servers  # the console's fixtures, for this module

# ---------------------------------------------------------------------------------------------
# The table


def test_every_label_is_in_both_languages_with_the_same_places() -> None:
    for key, entry in STRINGS.items():
        assert set(entry) == set(LANGUAGES), key
        assert all(entry[language].strip() for language in LANGUAGES), key
        assert set(PLACE.findall(entry["sq"])) == set(PLACE.findall(entry["en"])), key
    # written in Albanian, not copied from the English: most labels differ, with ë and ç
    differ = [key for key, entry in STRINGS.items() if entry["sq"] != entry["en"]]
    assert len(differ) / len(STRINGS) > 0.85
    albanian = " ".join(entry["sq"] for entry in STRINGS.values())
    assert albanian.count("ë") > 100 and "ç" in albanian
    assert text("sq", "signin.locked", minutes=15).startswith("Shumë përpjekje") and "15 minutash" in \
        text("sq", "signin.locked", minutes=15)
    assert table("en")["nav.queue"] == "Queue" and table("sq")["nav.queue"] == "Radha"


def test_the_browser_language_is_read_by_its_weights() -> None:
    assert from_accept_language("en-US,en;q=0.9") == "en"
    assert from_accept_language("sq-AL,sq;q=0.9,en;q=0.8") == "sq"
    assert from_accept_language("de-DE,en;q=0.5,sq;q=0.7") == "sq"
    assert from_accept_language("de-DE,fr;q=0.9") is None
    assert from_accept_language("en;q=0,sq;q=0.1") == "sq"  # q=0 means "not this one"
    assert from_accept_language("en;q=nonsense") is None and from_accept_language(None) is None


class Literals(HTMLParser):
    """The words a template shows outside `t(...)`: text nodes and read attributes, Jinja removed."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._in_script = tag in ("script", "style")
        self.found += [value for name, value in attrs if name in READ_ATTRIBUTES and value and LETTER.search(value)]

    def handle_endtag(self, tag: str) -> None:
        self._in_script = False

    def handle_data(self, data: str) -> None:
        if not self._in_script and LETTER.search(data):
            self.found.append(data.strip())


def template_literals(source: str) -> list[str]:
    parser = Literals()
    parser.feed(JINJA.sub(" ", source))
    return parser.found


def test_the_literal_check_finds_a_label_written_into_a_template() -> None:
    assert template_literals('<h1>{{ t("queue.title") }}</h1><p>{% if x %}{{ y }}{% endif %} · 3 %</p>') == []
    assert template_literals("<h1>Queue</h1>") == ["Queue"]
    assert template_literals('<nav aria-label="Console">{{ a }}</nav>') == ["Console"]
    assert template_literals("<p>{{ n }} s</p>") == ["s"]


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda path: path.name)
def test_templates_show_no_words_but_the_tables(template: Path) -> None:
    assert template_literals(template.read_text(encoding="utf-8")) == []


def used_keys(source: str, call: str) -> set[str]:
    """Keys in `t('...')` calls, and the keys of the families built from a prefix."""
    keys = {key for key in re.findall(call + r"\(\s*['\"]([\w.]+)['\"]", source) if not key.endswith((".", "_"))}
    for prefix in re.findall(call + r"\(\s*(?:['\"]|`)([\w.]+?)(?:['\"]\s*\+|\$\{)", source):
        assert prefix in KEY_FAMILIES or prefix.rstrip(".") in KEY_FAMILIES, f"unknown key family {prefix!r}"
        members = KEY_FAMILIES.get(prefix) or KEY_FAMILIES[prefix.rstrip(".")]
        keys |= {f"{prefix}{member}" if prefix.endswith(("_", ".")) else f"{prefix}.{member}" for member in members}
    return keys


def test_every_key_the_templates_and_the_script_use_is_in_the_table() -> None:
    templates = " ".join(path.read_text(encoding="utf-8") for path in TEMPLATES)
    script = SCRIPT.read_text(encoding="utf-8")
    used = used_keys(templates, r"\bt") | used_keys(script, r"\bt")
    missing = sorted(used - set(STRINGS))
    assert not missing, missing
    assert len(used) > 120
    # the script has no sentence of its own: every string literal with a space is a key's text, not a label
    sentences = [s for s in re.findall(r"'([^'\n]*)'", script) if " " in s and LETTER.search(s) and s != "use strict"]
    assert not sentences, sentences


# ---------------------------------------------------------------------------------------------
# In the browser, against the real console


def heading(console: ConsolePage) -> str:
    return (console.page.text_content("h1") or "").strip()


def choose(console: ConsolePage, language: str) -> None:
    """Presses Shqip or English in the header and waits for the page to come back in it."""
    console.page.click(f"#language-switch button[data-language={language}]")
    console.page.wait_for_function(f"document.documentElement.lang === '{language}'")


@pytest.mark.e2e
def test_switching_to_albanian_relabels_every_page_and_stays(browser: Any, servers: ConsoleServers) -> None:
    console = ConsolePage(browser, servers)
    page = console.page
    try:
        console.goto("/signin")
        choose(console, "en")
        assert heading(console) == "Sign in" and page.get_attribute("#language-switch [data-language=en]",
                                                                     "aria-pressed") == "true"
        choose(console, "sq")
        assert heading(console) == "Hyrja" and page.text_content("label[for=name]") == "Emri"
        assert page.url.endswith("/signin")
        page.fill("#name", SUPERVISOR[0])
        page.fill("#password", SUPERVISOR[2])
        page.click("#signin-submit")
        page.wait_for_url("**/aid")
        # the script aid: the template's labels and the script's (from the page's JSON table)
        assert page.evaluate("document.documentElement.lang") == "sq"
        assert page.text_content("label[for=aid-q]").startswith("Çfarë thotë telefonuesi")
        assert page.text_content("#nav-queue") == "Radha" and "mbikëqyrës" in page.text_content(".who")
        assert page.title().startswith("Ndihmësi i telefonatës")
        page.keyboard.type("sa dite mund te qendroj ne itali pa vize")
        page.locator("#aid-cards li.card").first.wait_for()
        page.wait_for_function("() => document.getElementById('aid-language').textContent === 'Gjuha: shqip'")
        first = page.locator("#aid-cards li.card").first
        assert first.locator("button.copy[data-lang=sq]").text_content() == "Kopjo shqip"
        assert "rishikuar më" in first.locator(".sources").text_content()
        # the queue, then the statistics: the language stays from page to page
        page.click("#nav-queue")
        page.wait_for_url("**/queue")
        assert heading(console) == "Radha" and page.text_content("th >> nth=1") == "Pret prej"
        page.wait_for_function("() => !document.getElementById('queue-status').textContent.startsWith('Po ngarkohet')")
        status = page.text_content("#queue-status")
        assert status == "Nuk pret askush." or status.startswith("Biseda:"), status
        page.click("#nav-stats")
        page.wait_for_url("**/stats")
        assert heading(console) == "Statistikat" and page.text_content("#totals dt >> nth=0") == "Biseda"
        assert page.locator("svg[aria-label='Biseda sipas gjuhës']").count() == 1
        console.goto("/stats?start=2026-02-30")  # an error sentence in Albanian too
        assert page.text_content(".error").startswith("Datat shkruhen")
        console.goto("/nowhere")  # and the 404 page
        assert heading(console) == "Nuk u gjet"
        # English again, on the page it was pressed on
        console.goto("/stats")
        choose(console, "en")
        assert page.url.endswith("/stats") and heading(console) == "Statistics"
        console.goto("/aid")
        assert page.text_content("label[for=aid-q]").startswith("What the caller says")
        choose(console, "sq")
        # signing out: the sign-in form stays in the operator's language
        page.click(".signout button")
        page.wait_for_url("**/signin")
        assert heading(console) == "Hyrja" and page.evaluate("document.documentElement.lang") == "sq"
        console.assert_no_errors()
    finally:
        console.close()


@pytest.mark.e2e
def test_an_operator_sees_refusals_in_their_language(browser: Any, servers: ConsoleServers) -> None:
    console = ConsolePage(browser, servers)
    page = console.page
    try:
        console.goto("/signin")
        choose(console, "sq")
        console.sign_in(OPERATOR[0], "not the password")
        assert page.text_content("#signin-error").startswith("Emri ose fjalëkalimi është i gabuar")
        console.sign_in(OPERATOR[0], OPERATOR[2])
        console.goto("/stats")  # supervisors only
        assert heading(console) == "Nuk lejohet"
        assert page.text_content(".error") == "Kjo faqe është vetëm për mbikëqyrësit."
        console.goto("/handoff/abcdefgh12345678")  # a script refusal, from the same table
        page.wait_for_function("() => document.getElementById('conv-status').textContent !== ''")
        assert page.text_content("#conv-status") == "Kjo bisedë nuk është në radhë."
        assert page.text_content("#conv-take") == "Merre"
        console.assert_no_errors()
    finally:
        console.close()


@pytest.mark.e2e
def test_the_switch_without_its_csrf_token_is_refused(servers: ConsoleServers) -> None:
    base = servers.console_url
    http, token = signed_in(servers, *OPERATOR[::2])
    english = http.post(f"{base}/language", data={"csrf": token, "language": "en", "next": "/queue"},
                        allow_redirects=False, timeout=30)
    assert english.status_code == 303 and english.headers["Location"] == "/queue"
    for form in ({"language": "sq"}, {"csrf": token[::-1], "language": "sq"}):
        refused = http.post(f"{base}/language", data=form, allow_redirects=False, timeout=30)
        assert refused.status_code == 403 and "security token" in refused.text
    assert '<html lang="en">' in http.get(f"{base}/queue", timeout=30).text  # unchanged
    # a language the console does not have, and a way back to another site, are not followed
    assert http.post(f"{base}/language", data={"csrf": token, "language": "de"}, timeout=30).status_code == 400
    away = http.post(f"{base}/language", data={"csrf": token, "language": "sq", "next": "//example.org/"},
                     allow_redirects=False, timeout=30)
    assert away.status_code == 303 and away.headers["Location"] == "/"
    # the sign-in form's switch needs the form's own token
    anonymous = requests.post(f"{base}/signin/language", data={"language": "en"}, allow_redirects=False, timeout=30)
    assert anonymous.status_code == 403 and "console_language" not in anonymous.cookies
    # without a session and a choice: Albanian, or the browser's language
    assert '<html lang="sq">' in requests.get(f"{base}/signin", timeout=30).text
    assert '<html lang="en">' in requests.get(f"{base}/signin", headers={"Accept-Language": "en-GB,en;q=0.8"},
                                              timeout=30).text
    unsigned = requests.get(f"{base}/api/queue", timeout=30).json()
    assert unsigned == {"error": "Nuk keni hyrë, ose seanca ka skaduar: hyni përsëri.", "kind": "signed_out"}
