"""The web chat widget in a real browser, against the real assistant.

Debian's chromium (/usr/bin/chromium, headless) is driven by Playwright; the action server, Rasa
(socketio + REST, CORS for the widget's page) and bot/web/server.py run on free ports with a
fresh knowledge store. Every request the page makes is watched: anything not for 127.0.0.1 is
recorded and blocked (the quick exit's neutral site is answered locally), so a test fails if the
widget ever reaches out to a third party.

Run: .venv/bin/pytest -q -m e2e tests/test_widget.py   (start-up 30-90 s)
Screenshots go to var/artifacts/widget/ on every run; the README's copies in docs/screenshots/
are written when missing, or on every run with WIDGET_SCREENSHOTS=update.
"""

from __future__ import annotations

import inspect
import json
import os
import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests
from e2e_support import ROOT, language_of
from PIL import Image
from web_support import AXE_JS, CHROMIUM, CHROMIUM_ARGS, WebServers, build_widget

from bot import conversations, sessions
from bot.channels.guard import MAX_CHARS, _domain
from bot.emergency_reply import PHRASES, numbers_for
from bot.knowledge.model import Snapshot
from bot.phones import tel_target

pytestmark = pytest.mark.e2e

ALBANIAN_QUESTION = "Si mund të punoj ligjërisht jashtë vendit?"
GREETING_SQ = "Përshëndetje"
THANKS_SQ = "Faleminderit"
EXIT_URL = "https://www.google.com/"
NEUTRAL_PAGE = "<!doctype html><title>Google</title><p>neutral page (served by the test)</p>"
TIMEOUT_MS = 60_000  # a reply under load (the machine runs other jobs too)
REPLY_SETTLE_MS = 1000
ARTIFACTS = ROOT / "var" / "artifacts" / "widget"
DOCS_SCREENSHOTS = ROOT / "docs" / "screenshots"
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 360, "height": 740}
KEYBOARD_OPEN_HEIGHT = 400  # what is left of a 740 px phone screen with the keyboard up

# JavaScript run in the page. The widget lives in an open shadow root.
ROOT_JS = "document.querySelector('[data-helpline-widget]').shadowRoot"
REPLY_DONE_JS = """(before) => {
  const root = document.querySelector('[data-helpline-widget]')?.shadowRoot;
  return !!root && root.querySelectorAll('.hlw-bot').length > before
    && root.querySelector('.hlw-typing').hidden;
}"""
BOT_TEXTS_JS = f"""(before) => Array.from({ROOT_JS}.querySelectorAll('.hlw-bot'))
  .slice(before).map((m) => m.querySelector('.hlw-text')?.textContent ?? '')"""
FOCUSED_JS = """() => {
  let el = document.activeElement;
  while (el && el.shadowRoot && el.shadowRoot.activeElement) el = el.shadowRoot.activeElement;
  return el ? (el.className || el.tagName) : '';
}"""
STORAGE_JS = "() => Object.fromEntries(Object.entries(sessionStorage))"
NO_HORIZONTAL_SCROLL_JS = f"""() => {{
  const root = {ROOT_JS};
  const boxes = [document.documentElement, root.querySelector('.hlw-panel'),
                 root.querySelector('.hlw-log')].filter((el) => el && el.clientWidth);
  return boxes.map((el) => [el.className || el.tagName, el.scrollWidth, el.clientWidth])
    .filter(([, scroll, client]) => scroll > client)
    .concat(document.documentElement.scrollWidth > window.innerWidth
      ? [['window', document.documentElement.scrollWidth, window.innerWidth]] : []);
}}"""
AXE_RUN_JS = """async () => {
  const result = await axe.run(document, {runOnly: {type: 'tag',
    values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice']}});
  return result.violations.map((v) => ({id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.slice(0, 5).map((n) => n.target.join(' ') + ' :: ' + n.failureSummary)}));
}"""


# ---------------------------------------------------------------------------------------------
# Fixtures


@pytest.fixture(scope="module")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebServers]:
    """Action server, Rasa and the widget's web server, with a fresh knowledge store."""
    if not CHROMIUM.exists():
        pytest.skip(f"Debian's chromium is not installed at {CHROMIUM} (scripts/test.sh "
                    "installs it: apt-get install chromium)")
    try:
        build_widget()
    except RuntimeError as error:
        pytest.fail(str(error), pytrace=False)
    # conversations in a tracker store, as scripts/run.sh keeps them, so a delete can be checked
    running = WebServers.with_tracker_store(tmp_path_factory.mktemp("widget"))
    try:
        running.start()
    except Exception as error:
        running.stop()
        pytest.fail(f"The assistant did not start: {error}", pytrace=False)
    print(f"\nservers up in {running.startup_seconds:.1f} s: web on {running.web_port}, "
          f"rasa on {running.rasa_port}, actions on {running.action_port}; "
          f"logs in {running.workdir}")
    yield running
    running.stop()


@pytest.fixture(scope="module")
def browser(servers: WebServers) -> Iterator[Any]:
    """Debian's headless chromium (Playwright never downloads a browser here)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield launched
        launched.close()


class Widget:
    """The demo page in one fresh browser profile, used the way a person uses it."""

    def __init__(self, browser: Any, servers: WebServers, *, opener: Widget | None = None,
                 **context_options: Any) -> None:
        self.servers = servers
        self.requests: list[str] = []  # every URL the page asked for (WebSockets included)
        self.foreign: list[str] = []  # requests for anything but 127.0.0.1 (blocked)
        self.console: list[str] = []
        self.failed: list[str] = []  # requests that got no response, and why
        self.shared = opener is not None
        if opener is not None:  # another tab of the same browser profile
            self.context = opener.context
        else:
            self.context = browser.new_context(**context_options)
            self.context.set_default_timeout(TIMEOUT_MS)
            self.context.on("request", lambda request: self.requests.append(request.url))
            self.context.on("requestfailed", lambda request: self.failed.append(
                f"{request.method} {request.url}: {request.failure}"))
            self.context.route("**/*", self._keep_local)
        self.page = self.context.new_page()
        self.page.on("websocket", lambda socket: self.requests.append(socket.url))
        self.page.on("console", lambda message: self.console.append(
            f"{message.type}: {message.text}"))
        self.page.on("pageerror", lambda error: self.console.append(f"pageerror: {error}"))
        self.panel = self.page.locator(".hlw-panel")
        self.launcher = self.page.locator(".hlw-launcher")
        self.input = self.page.locator(".hlw-input")
        self.response: Any = None

    def _keep_local(self, route: Any) -> None:
        url = route.request.url
        if urlsplit(url).hostname == "127.0.0.1":
            route.continue_()
        elif url.startswith(EXIT_URL):  # the quick exit's neutral site, answered here
            route.fulfill(status=200, content_type="text/html", body=NEUTRAL_PAGE)
        else:
            self.foreign.append(url)
            route.abort()

    # -- actions --------------------------------------------------------------------------------

    def goto(self) -> None:
        self.response = self.page.goto(f"{self.servers.web_url}/")
        self.page.locator(".hlw-launcher:visible, .hlw-panel:visible").first.wait_for()

    def open(self) -> None:
        self.launcher.click()
        self.panel.wait_for(state="visible")

    def bot_count(self) -> int:
        return self.page.locator(".hlw-bot").count()

    def wait_reply(self, before: int) -> list[str]:
        """Waits for new bot messages (and the end of typing); returns their texts."""
        try:
            self.page.wait_for_function(REPLY_DONE_JS, arg=before, timeout=TIMEOUT_MS)
        except Exception as error:
            raise AssertionError(f"no reply from the assistant: {error}\n{self.describe()}"
                                 ) from error
        count = self.bot_count()
        while True:  # the socket has no end-of-reply marker: wait until nothing more comes
            self.page.wait_for_timeout(REPLY_SETTLE_MS)
            if self.bot_count() == count:
                break
            count = self.bot_count()
        return self.page.evaluate(BOT_TEXTS_JS, before)

    def send(self, text: str) -> list[str]:
        before = self.bot_count()
        self.input.fill(text)
        self.input.press("Enter")
        return self.wait_reply(before)

    def click_reply(self, title: str) -> list[str]:
        before = self.bot_count()
        self.page.locator(".hlw-reply", has_text=title).last.click()
        return self.wait_reply(before)

    def switch_language(self, name: str) -> list[str]:
        before = self.bot_count()
        self.page.locator(".hlw-lang", has_text=name).click()
        return self.wait_reply(before)

    # -- what the page shows and keeps ----------------------------------------------------------

    def new_tab(self) -> Widget:
        """A second tab of the same browser (nothing copied into it yet)."""
        return Widget(None, self.servers, opener=self)

    def focused(self) -> str:
        return self.page.evaluate(FOCUSED_JS)

    def session(self) -> dict[str, str]:
        return self.page.evaluate(STORAGE_JS)

    def user_texts(self) -> list[str]:
        return self.page.locator(".hlw-user .hlw-text").all_text_contents()

    def reply_titles(self) -> list[str]:
        return self.page.locator(".hlw-msg").last.locator(".hlw-reply").all_text_contents()

    def describe(self) -> str:
        try:
            shown = self.panel.inner_text(timeout=2000)
        except Exception:
            shown = "(panel not readable)"
        console = "\n".join(self.console[-20:]) or "(nothing)"
        return (f"----- widget shows -----\n{shown}\n----- browser console -----\n{console}\n"
                f"----- server logs -----\n{self.servers.logs()}")

    def screenshot(self, name: str, *, readme: bool = False) -> None:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        path = ARTIFACTS / name
        self.page.screenshot(path=str(path))
        target = DOCS_SCREENSHOTS / name
        if readme and (not target.exists() or os.environ.get("WIDGET_SCREENSHOTS") == "update"):
            DOCS_SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            # 256 colours are plenty for a UI screenshot and a third of the size in git
            with Image.open(path) as image:
                image.convert("RGB").quantize(colors=256, method=Image.Quantize.FASTOCTREE) \
                    .save(target, "PNG", optimize=True)

    def assert_private(self, *messages: str) -> None:
        """Nothing left 127.0.0.1; no message in a URL, the console or a server log;
        nothing in localStorage or cookies."""
        assert not self.foreign, f"requests to third parties: {self.foreign}"
        for message in messages:
            leaked = [url for url in self.requests if message in url]
            assert not leaked, f"message content in a URL: {leaked}"
            assert not [line for line in self.console if message in line], self.console
            assert message not in self.servers.log_text(), "message content in a server log"
        if urlsplit(self.page.url).hostname == "127.0.0.1":
            assert self.page.evaluate("() => localStorage.length") == 0, "localStorage was used"
        assert self.context.cookies() == [], "cookies were set"

    def assert_no_console_errors(self) -> None:
        """No script error, CSP or Trusted Types violation. A connection that failed at the
        network level (rare under load; the socket reconnects) is not counted."""
        errors = [line for line in self.console if line.startswith(("error", "pageerror"))
                  and "Failed to load resource: net::" not in line]
        assert not errors, f"browser console errors: {errors}\nfailed requests: {self.failed}"

    def close(self) -> None:
        (self.page if self.shared else self.context).close()


@pytest.fixture
def desktop(browser: Any, servers: WebServers) -> Iterator[Widget]:
    widget = Widget(browser, servers, viewport=DESKTOP)
    yield widget
    widget.close()


@pytest.fixture
def phone(browser: Any, servers: WebServers) -> Iterator[Widget]:
    widget = Widget(browser, servers, viewport=PHONE, is_mobile=True, has_touch=True,
                    device_scale_factor=1)
    yield widget
    widget.close()


@pytest.fixture(params=["desktop", "phone"])
def screen(request: pytest.FixtureRequest) -> Widget:
    """The widget at 1280 px on a desktop, then at 360 px on a touch-screen phone."""
    return request.getfixturevalue(request.param)


# ---------------------------------------------------------------------------------------------
# What the widget must agree on with the server


def test_the_widget_states_the_servers_limits_and_knows_its_emergency_mark() -> None:
    """The counter's limit is the guard's; the retention the notice states is the purge's
    default; the emergency mark the widget looks for starts every emergency reply."""
    strings = (ROOT / "web" / "src" / "strings.js").read_text(encoding="utf-8")
    assert f"export const MAX_MESSAGE_LENGTH = {MAX_CHARS};" in strings
    retention = inspect.signature(conversations.purge).parameters["older_than"].default.default
    assert f"export const RETENTION_DAYS = {retention:g};" in strings
    view = (ROOT / "web" / "src" / "view.js").read_text(encoding="utf-8")
    mark = re.search(r'export const EMERGENCY_MARK = "(.+?)";', view)
    assert mark
    assert all(variation["text"].startswith(mark.group(1))
               for variation in _domain()["responses"]["utter_emergency"])
    assert all(PHRASES[key].sq.startswith(mark.group(1)) and PHRASES[key].en.startswith(mark.group(1))
               for key in ("now_self", "now_other", "now_life"))


# ---------------------------------------------------------------------------------------------
# Conversation


def test_socketio_server_version_works_with_rasa_36() -> None:
    """Rasa 3.6's socketio channel calls `sio.enter_room(...)` without await (RasaHQ/rasa#13027).
    From python-socketio 5.10 on that is a coroutine: the room is never joined and, with
    session_persistence, no reply ever reaches the widget. requirements.in pins <5.10."""
    import inspect

    import socketio

    assert not inspect.iscoroutinefunction(socketio.AsyncServer.enter_room), (
        "python-socketio >= 5.10 is installed: Rasa 3.6's socketio channel will drop every "
        "reply (keep python-socketio<5.10 in requirements.in, then scripts/lock.sh)")


def test_keyboard_only_albanian_conversation_over_socketio(desktop: Widget) -> None:
    """Tab to the chat, Enter, type, Enter: an Albanian answer from the real assistant over
    the socket; the conversation survives a reload (reconnect, same session)."""
    page = desktop.page
    desktop.goto()
    for _ in range(15):
        page.keyboard.press("Tab")
        if "hlw-launcher" in desktop.focused():
            break
    else:
        pytest.fail(f"Tab never reached the chat button (focus on {desktop.focused()!r})")
    page.keyboard.press("Enter")
    desktop.panel.wait_for(state="visible")
    assert "hlw-input" in desktop.focused(), "opening the chat puts the cursor in the input"

    # before the first message: the first screen, and the live region
    assert page.locator(".hlw-notice").is_visible()
    assert page.locator(".hlw-user, .hlw-bot").count() == 0
    log = page.locator('[role="log"]')
    assert log.get_attribute("aria-live") == "polite"
    assert log.locator(".hlw-messages").count() == 1, "messages go into the live region"

    page.keyboard.type(ALBANIAN_QUESTION)
    page.keyboard.press("Enter")
    texts = desktop.wait_reply(0)
    assert language_of(" ".join(texts)) == "sq", f"expected Albanian, got {texts}"
    assert desktop.user_texts() == [ALBANIAN_QUESTION]
    assert any("/socket.io/" in url for url in desktop.requests)
    assert not any("/webhooks/rest/" in url for url in desktop.requests), "REST was not needed"

    stored = desktop.session()
    assert ALBANIAN_QUESTION in stored["hlw.log"]
    session_id = stored["hlw.session"]
    assert sessions.valid(session_id, stored["hlw.token"]), "the server issued the session and its token"

    page.reload()
    desktop.panel.wait_for(state="visible")
    assert desktop.user_texts() == [ALBANIAN_QUESTION], "the visible conversation is kept"
    assert desktop.bot_count() == len(texts)
    assert desktop.session()["hlw.session"] == session_id
    more = desktop.send(THANKS_SQ)
    assert more, "the reconnected socket gets replies"

    desktop.assert_private(ALBANIAN_QUESTION, THANKS_SQ)
    desktop.assert_no_console_errors()


def test_buttons_and_language_switch(desktop: Widget) -> None:
    """A button sends its payload and shows its title; the language switch relabels the
    widget and changes the conversation's language without reloading the page."""
    page = desktop.page
    desktop.goto()
    desktop.open()
    assert language_of(" ".join(desktop.send(GREETING_SQ))) == "sq"
    assert "Kthimi vullnetar" in desktop.reply_titles()
    page.evaluate("() => { window.hlwNoReload = true; }")

    texts = desktop.click_reply("Kthimi vullnetar")
    assert language_of(" ".join(texts)) == "sq", texts
    assert desktop.user_texts()[-1] == "Kthimi vullnetar"

    texts = desktop.switch_language("English")
    assert language_of(" ".join(texts)) == "en", texts
    assert desktop.user_texts()[-1] == "English"
    assert desktop.panel.get_attribute("lang") == "en"
    assert page.locator(".hlw-send").inner_text() == "Send"
    assert page.locator(".hlw-lang").inner_text() == "Shqip", "the button offers the other language"
    page.locator(".hlw-user").last.evaluate("""(el) => {  // the switch at the top of the view
      const log = el.closest('.hlw-log');
      log.scrollTop = el.offsetTop - log.offsetTop - 8;
    }""")
    desktop.screenshot("widget-desktop.png", readme=True)

    texts = desktop.switch_language("Shqip")
    assert language_of(" ".join(texts)) == "sq", texts
    assert page.locator(".hlw-send").inner_text() == "Dërgo"

    shown = desktop.panel.inner_text()
    assert "/ask_" not in shown and "/switch_language" not in shown, "payloads are never shown"
    assert page.evaluate("() => window.hlwNoReload") is True, "the page was not reloaded"
    desktop.assert_private(GREETING_SQ)
    desktop.assert_no_console_errors()


def test_rest_fallback_when_the_socket_cannot_connect(desktop: Widget) -> None:
    desktop.page.route("**/socket.io/**", lambda route: route.abort())
    desktop.goto()
    desktop.open()
    texts = desktop.send(ALBANIAN_QUESTION)
    assert language_of(" ".join(texts)) == "sq", texts
    assert any(url.endswith("/webhooks/rest/webhook") for url in desktop.requests)
    desktop.assert_private(ALBANIAN_QUESTION)


def test_a_widget_whose_socket_is_blocked_gets_a_session_and_can_delete_its_conversation(
        desktop: Widget) -> None:
    """socket.io blocked (as by some networks' proxies): the widget gets its session from the web
    server over HTTP, once, talks over REST with its token, and "Delete my conversation" then
    removes it from the tracker store."""
    page, servers = desktop.page, desktop.servers
    page.route("**/socket.io/**", lambda route: route.abort())
    desktop.goto()
    desktop.open()
    desktop.send(GREETING_SQ)
    desktop.send(ALBANIAN_QUESTION)
    stored = desktop.session()
    session, token = stored["hlw.session"], stored.get("hlw.token", "")
    assert sessions.valid(session, token), f"no server-issued session kept: {stored}"
    assert [url for url in desktop.requests if url.endswith("/widget/session")] == [
        f"{servers.web_url}/widget/session"], "the session is asked for once"
    assert servers.stored_events(session, "socketio"), "the conversation is not the session's"
    page.get_by_role("button", name="Fshi bisedën time").click()
    page.get_by_role("button", name="Po, fshije").click()
    page.locator(".hlw-status", has_text="u fshi nga kjo skedë dhe nga serveri").wait_for()
    assert servers.stored_events(session, "socketio") == [], "the conversation is still stored"
    assert servers.stored_events(session, "rest") == []
    assert desktop.session().get("hlw.session") != session
    desktop.assert_private(GREETING_SQ, ALBANIAN_QUESTION)
    desktop.assert_no_console_errors()


def test_the_rest_fallback_continues_the_socket_session_with_its_token(desktop: Widget) -> None:
    """A session the server issued over the socket goes on over REST when the socket is down:
    the request carries the session id and its token, and the server accepts it (with a wrong
    token it would answer 403 and the message would be marked not sent)."""
    page = desktop.page
    desktop.goto()
    desktop.open()
    desktop.send(GREETING_SQ)
    stored = desktop.session()
    page.route("**/socket.io/**", lambda route: route.abort())
    page.reload()
    desktop.panel.wait_for(state="visible")
    with page.expect_response(lambda r: "/webhooks/rest/webhook" in r.url
                              and ALBANIAN_QUESTION in (r.request.post_data or "")) as response:
        texts = desktop.send(ALBANIAN_QUESTION)
    assert response.value.status == 200
    assert json.loads(response.value.request.post_data) == {
        "sender": stored["hlw.session"], "message": ALBANIAN_QUESTION, "token": stored["hlw.token"]}
    assert language_of(" ".join(texts)) == "sq", texts
    assert desktop.user_texts() == [GREETING_SQ, ALBANIAN_QUESTION]
    desktop.assert_private(GREETING_SQ, ALBANIAN_QUESTION)
    assert stored["hlw.token"] not in desktop.servers.log_text(), "the token reached a server log"


def test_links_and_images_are_rendered_safely(desktop: Widget) -> None:
    """The assistant sends no links or images today: this reply is made up by the test (over
    the REST fallback) to check how they are shown."""
    image = f"{desktop.servers.web_url}/favicon.svg"
    reply = [{"recipient_id": "x", "text": "Shihni www.example.org/udhezime. ose "
              "https://example.org/a?b=1, jo javascript:alert(1) <i>x</i>"},
             {"recipient_id": "x", "image": image},
             {"recipient_id": "x", "image": "javascript:alert(1)"}]
    desktop.page.route("**/socket.io/**", lambda route: route.abort())
    desktop.page.route("**/webhooks/rest/webhook", lambda route: route.fulfill(
        status=200, content_type="application/json", body=json.dumps(reply),
        headers={"Access-Control-Allow-Origin": "*"}))
    desktop.goto()
    desktop.open()
    desktop.send("test")
    links = desktop.page.locator(".hlw-bot a")
    assert links.count() == 2
    hrefs = [links.nth(i).get_attribute("href") for i in range(2)]
    assert hrefs == ["https://www.example.org/udhezime", "https://example.org/a?b=1"]
    for i in range(2):
        assert links.nth(i).get_attribute("rel") == "noopener noreferrer"
        assert links.nth(i).get_attribute("target") == "_blank"
    text = desktop.page.locator(".hlw-bot .hlw-text").first.text_content()
    assert "javascript:alert(1) <i>x</i>" in text
    assert desktop.page.locator(".hlw-bot i").count() == 0
    images = desktop.page.locator(".hlw-bot img")
    assert images.count() == 1, "only the http(s) image is shown"
    assert images.first.get_attribute("src") == image
    assert images.first.get_attribute("alt")
    assert images.first.evaluate("(img) => img.complete && img.naturalWidth > 0")
    desktop.assert_private()


def test_marked_phone_numbers_are_tap_to_call_links(desktop: Widget) -> None:
    """bot/phones.py marks every number of an answer as [116 006](tel:116006); the widget shows
    the number and dials it on a tap. A forged mark with anything but digits stays text."""
    reply = [{"recipient_id": "x", "text": "Telefononi [116 006](tel:116006) ose [112](tel:112). "
              "[kliko](tel:javascript:alert(1))"}]
    desktop.page.route("**/socket.io/**", lambda route: route.abort())
    desktop.page.route("**/webhooks/rest/webhook", lambda route: route.fulfill(
        status=200, content_type="application/json", body=json.dumps(reply),
        headers={"Access-Control-Allow-Origin": "*"}))
    desktop.goto()
    desktop.open()
    desktop.send("test")
    calls = desktop.page.locator(".hlw-bot a.hlw-tel")
    calls.first.wait_for()
    assert [calls.nth(i).get_attribute("href") for i in range(calls.count())] == ["tel:116006", "tel:112"]
    assert [calls.nth(i).text_content() for i in range(calls.count())] == ["116 006", "112"]
    text = desktop.page.locator(".hlw-bot .hlw-text").first.text_content()
    assert text.startswith("Telefononi 116 006 ose 112.") and "[kliko](tel:javascript:alert(1))" in text


# ---------------------------------------------------------------------------------------------
# Safety


@pytest.mark.parametrize("how", ["panel button", "closed-chat button", "Shift+Escape",
                                 "Escape twice"])
def test_quick_exit_clears_storage_and_back_does_not_return(desktop: Widget, how: str) -> None:
    page = desktop.page
    desktop.goto()
    desktop.open()
    desktop.send(GREETING_SQ)
    before = desktop.session()
    assert before.get("hlw.log")

    if how == "panel button":
        desktop.panel.locator(".hlw-exit").click()
    elif how == "closed-chat button":
        page.locator(".hlw-close").click()
        page.locator(".hlw-dock .hlw-exit").click()
    elif how == "Shift+Escape":
        page.keyboard.press("Shift+Escape")
    else:  # outside a text field (in one, Esc belongs to the field)
        page.locator(".hlw-log").focus()
        page.keyboard.press("Escape")
        page.keyboard.press("Escape")
    page.wait_for_url(EXIT_URL)

    page.go_back()
    assert page.url == "about:blank", "Back must not return to the chat page"
    desktop.goto()  # the same tab, so the same sessionStorage
    after = desktop.session()
    assert "hlw.log" not in after, "the conversation was cleared"
    assert after.get("hlw.session") != before["hlw.session"]
    assert desktop.bot_count() == 0
    desktop.assert_private(GREETING_SQ)


def test_delete_my_conversation(desktop: Widget) -> None:
    page = desktop.page
    desktop.goto()
    desktop.open()
    desktop.send(GREETING_SQ)
    before = desktop.session()
    page.get_by_role("button", name="Fshi bisedën time").click()
    page.get_by_role("button", name="Po, fshije").click()
    page.locator(".hlw-status", has_text="u fshi nga kjo skedë dhe nga serveri").wait_for()
    assert page.locator(".hlw-user, .hlw-bot").count() == 0
    after = desktop.session()
    assert "hlw.log" not in after
    assert after["hlw.session"] != before["hlw.session"]
    assert page.locator(".hlw-notice").is_visible()
    texts = desktop.send(GREETING_SQ)  # a new conversation on the new session id
    assert language_of(" ".join(texts)) == "sq"
    desktop.assert_no_console_errors()


def test_html_is_shown_as_text_and_the_page_is_locked_down(desktop: Widget) -> None:
    payload = ('<img src=x onerror="window.hlwHacked=1"><script>window.hlwHacked=2</script>'
               '<b>bold</b> & "quotes"')
    page = desktop.page
    desktop.goto()
    headers = desktop.response.headers
    csp = headers["content-security-policy"]
    rasa = desktop.servers.url
    for directive in ("default-src 'self'", "script-src 'self'", "style-src 'self'",
                      f"connect-src 'self' {rasa} {rasa.replace('http:', 'ws:')}",
                      "object-src 'none'", "base-uri 'none'", "frame-ancestors 'none'",
                      "require-trusted-types-for 'script'"):
        assert directive in csp
    assert "unsafe" not in csp
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["referrer-policy"] == "no-referrer"

    desktop.open()
    desktop.send(payload)
    for _ in range(2):  # as sent, and as restored from sessionStorage after a reload
        assert desktop.user_texts()[-1] == payload
        assert page.locator(".hlw-log img, .hlw-log script, .hlw-log b").count() == 0
        assert page.evaluate("() => window.hlwHacked") is None
        page.reload()
        desktop.panel.wait_for(state="visible")

    injected = page.evaluate("""() => {
      const script = document.createElement('script');
      try { script.textContent = 'window.hlwInline = 1'; } catch (error) { return error.name; }
      document.body.append(script);
      return String(window.hlwInline);
    }""")
    assert injected != "1", "an inline script ran despite the Content-Security-Policy"


def test_server_headers_and_no_request_logging(servers: WebServers, snapshot: Snapshot) -> None:
    secret = "query-text-that-must-not-be-logged"
    page = requests.get(f"{servers.web_url}/?q={secret}", timeout=10)
    assert page.status_code == 200
    assert page.headers["X-Frame-Options"] == "DENY"
    assert page.headers["Cache-Control"] == "no-store"
    config = requests.get(f"{servers.web_url}/widget/config.json", timeout=10)
    content = config.json()
    assert {key: content[key] for key in ("rasaUrl", "exitUrl")} == {"rasaUrl": servers.url,
                                                                     "exitUrl": EXIT_URL}
    numbers = numbers_for(snapshot, None)  # the knowledge store, where each number is written once
    assert content["help"] == {
        "emergency": {"text": numbers.emergency.phone, "tel": tel_target(numbers.emergency.phone or "")},
        "helpline": {"text": numbers.trafficking_line.phone,
                     "tel": tel_target(numbers.trafficking_line.phone or "")}}
    assert [t["en"] for t in content["topics"]] == [t.title.en for t in snapshot.button_topics]
    assert config.headers["Access-Control-Allow-Origin"] == "*"
    script = requests.get(f"{servers.web_url}/widget/widget.js", timeout=10)
    assert script.status_code == 200 and "javascript" in script.headers["Content-Type"]
    for path in ("/%2e%2e/pyproject.toml", "/widget/..%2fbuild.mjs", "/widget/.inputs.sha256",
                 "/nothing.html"):
        assert requests.get(f"{servers.web_url}{path}", timeout=10).status_code == 404, path
    assert secret not in servers.web.log_since(0)


# ---------------------------------------------------------------------------------------------
# Accessibility and mobile


@pytest.mark.parametrize("device", ["desktop", "phone"])
def test_axe_reports_no_serious_violations(device: str, request: pytest.FixtureRequest) -> None:
    widget: Widget = request.getfixturevalue(device)
    widget.goto()
    axe = AXE_JS.read_text(encoding="utf-8")
    widget.page.evaluate(f"{axe}\n;0")
    problems = []
    for state in ("closed", "first screen", "privacy notice", "open with a conversation"):
        if state == "first screen":
            widget.open()
        elif state == "privacy notice":
            widget.page.locator(".hlw-notice .hlw-link").click()
        elif state != "closed":
            widget.page.get_by_role("button", name="Kthehu te biseda").click()
            widget.send(GREETING_SQ)
        violations = widget.page.evaluate(AXE_RUN_JS)
        problems += [dict(v, state=state) for v in violations
                     if v["impact"] in ("serious", "critical")]
    assert not problems, json.dumps(problems, indent=1, ensure_ascii=False)


def test_phone_360px_with_the_on_screen_keyboard(phone: Widget) -> None:
    page = phone.page
    phone.goto()
    assert page.evaluate(NO_HORIZONTAL_SCROLL_JS) == []
    for control in (phone.launcher, page.locator(".hlw-dock .hlw-exit")):
        box = control.bounding_box()
        assert box and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
    phone.launcher.tap()
    phone.panel.wait_for(state="visible")
    box = phone.panel.bounding_box()
    assert box == {"x": 0, "y": 0, "width": PHONE["width"], "height": PHONE["height"]}
    phone.send(GREETING_SQ)
    assert page.evaluate(NO_HORIZONTAL_SCROLL_JS) == []
    phone.screenshot("widget-mobile-360.png", readme=True)

    # the on-screen keyboard takes the lower part of the screen: the input stays above it
    phone.input.focus()
    page.set_viewport_size({"width": PHONE["width"], "height": KEYBOARD_OPEN_HEIGHT})
    page.wait_for_function(f"() => {ROOT_JS}.querySelector('.hlw-panel')"
                           f".getBoundingClientRect().height <= {KEYBOARD_OPEN_HEIGHT}")
    texts = phone.send(THANKS_SQ)
    assert texts
    for selector in (".hlw-input", ".hlw-send", ".hlw-panel .hlw-exit"):
        box = page.locator(selector).bounding_box()
        assert box, selector
        assert box["y"] >= 0 and box["y"] + box["height"] <= KEYBOARD_OPEN_HEIGHT, (selector, box)
        assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], (selector, box)
    last = page.locator(".hlw-msg").last.bounding_box()  # scrolled into view, above the input
    assert last and 0 < last["y"] + last["height"] <= page.locator(".hlw-input").bounding_box()["y"]
    assert page.evaluate(NO_HORIZONTAL_SCROLL_JS) == []
    phone.screenshot("widget-mobile-360-keyboard.png")
    phone.assert_private(GREETING_SQ, THANKS_SQ)
    phone.assert_no_console_errors()


# ---------------------------------------------------------------------------------------------
# A frightened first-time user on a cheap phone (issue 14), at 1280 px and at 360 px

DANGER_SQ = "Më mbajnë të mbyllur në një shtëpi dhe më kanë marrë pasaportën"
ENGLISH_QUESTION = "How can I work abroad legally?"
OFFLINE_SQ = "me kane marre pasaporten"
TYPING_ENDS_JS = f"""(before) => {{
  const root = {ROOT_JS};
  if (root.querySelectorAll('.hlw-bot').length <= before) return null;
  return {{typingHidden: root.querySelector('.hlw-typing').hidden}};
}}"""


def visible_texts(locator: Any) -> list[str]:
    return [text.strip() for text in locator.all_inner_texts()]


def test_help_and_the_first_screen_before_anything_is_typed(screen: Widget, snapshot: Snapshot) -> None:
    """"In danger? 112 · 116 006" with tap-to-call links, who is answering in both languages,
    the topic buttons, privacy in short; "More" opens the whole notice from its first line."""
    page = screen.page
    screen.goto()
    screen.open()
    numbers = numbers_for(snapshot, None)
    bar = page.locator(".hlw-help")
    assert bar.inner_text().startswith("Në rrezik? / In danger?")
    calls = bar.locator("a.hlw-tel")
    assert [calls.nth(i).get_attribute("href") for i in range(calls.count())] == [
        f"tel:{tel_target(n.phone or '')}" for n in (numbers.emergency, numbers.trafficking_line)]
    assert visible_texts(calls) == [numbers.emergency.phone, numbers.trafficking_line.phone]

    greeting = page.locator(".hlw-greeting .hlw-bubble")
    assert page.locator(".hlw-log").evaluate("(log) => log.scrollTop") == 0, "read from the greeting"
    assert "asistent automatik" in greeting.locator('[lang="sq"]').inner_text()
    assert "automated assistant" in greeting.locator('[lang="en"]').inner_text()
    topics = page.locator(".hlw-greeting .hlw-reply")
    assert visible_texts(topics) == [t.title.sq for t in snapshot.button_topics]
    summary = page.locator(".hlw-notice")
    assert "në server (deri në 30 ditë)" in summary.inner_text()
    width = page.viewport_size["width"]
    screen.screenshot(f"widget-first-screen-{width}.png", readme=width == PHONE["width"])

    summary.get_by_role("button", name="Më shumë").click()
    notice = page.locator(".hlw-privacy")
    notice.wait_for(state="visible")
    assert notice.evaluate("(el) => el.scrollTop") == 0
    assert screen.focused() == "H3", "the notice is read from its title"
    box, panel = notice.bounding_box(), screen.panel.bounding_box()
    assert box and panel and box["y"] >= panel["y"] and box["y"] + box["height"] <= panel["y"] + panel["height"]
    title = notice.locator("h3").bounding_box()
    assert title and title["y"] >= box["y"], "the first line is not cut off"
    text = notice.inner_text()
    for truth in ("Në server", "Fshihet 30 ditë pas mesazhit të fundit",
                  "Nuk e fshin nga serveri dhe nuk e fshin historikun"):
        assert truth in text, truth
    page.keyboard.press("Escape")  # one Esc closes it, and does not count towards an exit
    assert notice.is_hidden() and page.locator(".hlw-log").is_visible()
    assert page.url.startswith(screen.servers.web_url)

    # a topic button is answered in the widget's language, not with the language chooser
    texts = screen.click_reply(snapshot.button_topics[0].title.sq)
    assert language_of(" ".join(texts)) == "sq", texts
    assert not any("Zgjidhni gjuhën" in text for text in texts), texts
    assert "hlw-input" in screen.focused(), "focus goes back to the input after a button"
    screen.assert_no_console_errors()


def test_the_emergency_reply_stands_apart_with_a_call_button(screen: Widget, snapshot: Snapshot) -> None:
    page = screen.page
    screen.goto()
    screen.open()
    before = screen.bot_count()
    screen.input.fill(DANGER_SQ)
    screen.input.press("Enter")
    shown = page.wait_for_function(TYPING_ENDS_JS, arg=before).json_value()
    assert shown == {"typingHidden": True}, "the typing dots end with the answer"
    screen.wait_reply(before)
    emergency = page.locator(".hlw-emergency")
    assert emergency.count() >= 1, screen.describe()
    first = emergency.first
    assert first.locator(".hlw-text").inner_text().startswith("🚨")
    assert first.locator('[role="alert"]').count() == 1, "announced at once to screen readers"
    assert first.locator(".hlw-text a.hlw-tel").count() >= 1, "its numbers are tap-to-call"
    helpline = numbers_for(snapshot, None).trafficking_line
    call = first.locator("a.hlw-call")
    assert call.get_attribute("href") == f"tel:{tel_target(helpline.phone or '')}"
    assert call.inner_text() == f"Telefono {helpline.phone}"
    call_box = call.bounding_box()
    assert call_box and call_box["height"] >= 44
    assert page.locator(".hlw-bot:not(.hlw-emergency) a.hlw-call").count() == 0
    top, log = first.bounding_box(), page.locator(".hlw-log").bounding_box()
    assert top and log and log["y"] <= top["y"] < log["y"] + log["height"] / 2, \
        "the numbers to call stay in view while the rest of the reply arrives"
    width = page.viewport_size["width"]
    screen.screenshot(f"widget-emergency-{width}.png", readme=width == PHONE["width"])
    page.reload()
    screen.panel.wait_for(state="visible")
    assert page.locator(".hlw-emergency").count() == emergency.count()
    assert page.locator('.hlw-log [role="alert"]').count() == 0, "a restored reply is not announced again"
    screen.assert_private(DANGER_SQ)


def test_a_message_sent_offline_is_marked_retried_and_resent_once(screen: Widget) -> None:
    """Offline: the bubble says "not sent" with Retry; back online, the socket sends it by
    itself, once; the marks and status lines clear."""
    page = screen.page
    sends: list[tuple[str, str]] = []  # each time the message left the page, and how

    def watch_socket(socket: Any) -> None:
        socket.on("framesent", lambda payload: sends.append(("socket", str(payload))))

    def watch_request(request: Any) -> None:
        if request.method == "POST":
            how = "rest" if "/webhooks/rest/" in request.url else "socket"
            sends.append((how, request.post_data or ""))

    def sent(how: str, text: str) -> int:
        return sum(1 for kind, payload in sends if kind == how and text in payload)

    page.on("websocket", watch_socket)
    page.on("request", watch_request)
    page.route("**/socket.io/**", lambda route: route.abort())
    page.route("**/webhooks/rest/webhook", lambda route: route.abort())
    screen.goto()
    screen.open()
    screen.input.fill(OFFLINE_SQ)
    screen.input.press("Enter")
    failed = page.locator(".hlw-user .hlw-failed")
    failed.wait_for()
    assert "Nuk u dërgua" in failed.inner_text()
    assert page.locator(".hlw-typing").is_hidden()
    with page.expect_request("**/webhooks/rest/webhook"):
        failed.get_by_role("button", name="Provo përsëri").click()
    failed.wait_for()
    assert sent("rest", OFFLINE_SQ) == 2 and sent("socket", OFFLINE_SQ) == 0
    assert failed.count() == 1, "one mark, on the message's own bubble"

    page.unroute("**/socket.io/**")
    page.unroute("**/webhooks/rest/webhook")
    texts = screen.wait_reply(0)  # the socket reconnects by itself and sends it
    assert texts, screen.describe()
    assert failed.count() == 0
    assert page.locator(".hlw-status").inner_text() == ""
    assert screen.user_texts() == [OFFLINE_SQ]
    screen.send(THANKS_SQ)
    assert sent("socket", OFFLINE_SQ) == 1, f"re-sent once, never twice: {sends}"
    assert "failed" not in screen.session()["hlw.log"]
    screen.assert_private(OFFLINE_SQ, THANKS_SQ)


def test_the_labels_follow_the_language_the_assistant_answers_in(screen: Widget) -> None:
    page = screen.page
    screen.goto()
    screen.open()
    texts = screen.send(ENGLISH_QUESTION)
    assert language_of(" ".join(texts)) == "en", texts
    for wordless in ("https://example.org/udhezime", "<b>12345</b>"):
        screen.send(wordless)
        assert screen.panel.get_attribute("lang") == "en", wordless
        assert page.locator(".hlw-send").inner_text() == "Send"
        assert screen.input.get_attribute("placeholder") == "Type your message…"
        assert page.locator('label[for="hlw-input"]').text_content() == "Your message"
        assert page.locator(".hlw-lang").inner_text() == "Shqip"
    assert page.locator(".hlw-greeting .hlw-reply").first.inner_text() == "Working abroad legally"
    langs = page.locator(".hlw-log .hlw-msg:not(.hlw-greeting) .hlw-bubble").evaluate_all(
        "(bubbles) => bubbles.map((b) => b.lang)")
    assert len(langs) >= 6 and set(langs) <= {"sq", "en"}, langs
    assert page.locator(".hlw-user .hlw-bubble").first.get_attribute("lang") == "en"
    screen.assert_no_console_errors()


def test_a_long_message_is_kept_counted_and_never_cut(screen: Widget) -> None:
    page = screen.page
    screen.goto()
    screen.open()
    one_line = screen.input.bounding_box()
    sentence = "Kam punuar tre muaj në një fermë dhe nuk më kanë paguar. "
    over = (sentence * 60)[:MAX_CHARS + 1000]
    screen.input.fill(over)
    assert screen.input.input_value() == over, "a paste is never cut"
    counter = page.locator(".hlw-counter")
    assert counter.inner_text() == f"{len(over)} / {MAX_CHARS}"
    screen.input.press("Enter")
    assert page.locator(".hlw-user").count() == 0, "over the limit it is not sent"
    assert f"{len(over)} shenja; më së shumti {MAX_CHARS}" in page.locator(".hlw-status").inner_text()
    assert screen.input.input_value() == over, "and nothing typed is lost"

    kept = (sentence * 30)[:1499] + "?"
    screen.input.fill(kept)
    assert counter.inner_text() == f"{len(kept)} / {MAX_CHARS}"
    assert page.locator(".hlw-status").inner_text() == "", "the warning clears under the limit"
    grown = screen.input.bounding_box()
    assert one_line and grown and grown["height"] > one_line["height"] * 2, "the box grows"
    assert grown["y"] >= screen.panel.bounding_box()["y"]
    texts = screen.send(kept)
    assert screen.user_texts() == [kept] and len(kept) == 1500
    assert texts
    assert counter.inner_text() == ""


def test_escape_closes_the_open_dialog_and_exits_only_outside_text_fields(screen: Widget) -> None:
    page = screen.page
    screen.goto()
    screen.open()
    screen.input.focus()
    page.keyboard.press("Escape")
    page.keyboard.press("Escape")
    assert page.url.startswith(screen.servers.web_url), "Esc twice in the text box does not exit"
    page.get_by_role("button", name="Fshi bisedën time").click()
    confirm = page.locator(".hlw-confirm")
    assert confirm.is_visible()
    page.keyboard.press("Escape")
    assert confirm.is_hidden(), "one Esc closes the confirmation"
    page.keyboard.press("Escape")  # closing it was not the first of two
    assert page.url.startswith(screen.servers.web_url)
    hint = page.locator(".hlw-hint")
    if screen.page.viewport_size["width"] == PHONE["width"]:
        assert hint.is_hidden(), "no keyboard hint on a touch screen"
    else:
        assert hint.is_visible()
    page.keyboard.press("Escape")  # the second Esc outside a text field
    page.wait_for_url(EXIT_URL)


def test_delete_reports_a_failure_and_the_conversation_keeps_its_language(screen: Widget) -> None:
    page = screen.page
    screen.goto()
    screen.open()
    screen.send(ENGLISH_QUESTION)
    page.route("**/widget/forget", lambda route: route.abort())
    page.get_by_role("button", name="Delete my conversation").click()
    page.get_by_role("button", name="Yes, delete").click()
    status = page.locator(".hlw-status")
    status.filter(has_text="could not be deleted from the server").wait_for()
    assert screen.user_texts() == [ENGLISH_QUESTION], "nothing is cleared when the server kept it"

    page.unroute("**/widget/forget")
    page.get_by_role("button", name="Delete my conversation").click()
    with page.expect_response("**/widget/forget") as response:
        page.get_by_role("button", name="Yes, delete").click()
    assert response.value.status == 204
    status.filter(has_text="deleted from this tab and from the server").wait_for()
    assert page.locator(".hlw-user, .hlw-bot").count() == 0
    assert page.locator(".hlw-send").inner_text() == "Send"
    texts = screen.send("thanks")
    assert language_of(" ".join(texts)) == "en", texts
    assert not any("Zgjidhni gjuhën" in text for text in texts), "no language chooser after a delete"
    screen.assert_no_console_errors()


def test_a_copied_tab_gets_its_own_session(screen: Widget) -> None:
    """A tab opened from the chat (or duplicated) starts with a copy of sessionStorage."""
    screen.goto()
    screen.open()
    screen.send(GREETING_SQ)
    copied = screen.session()
    other = screen.new_tab()
    try:
        other.page.add_init_script(
            f"Object.entries({json.dumps(copied)}).forEach(([k, v]) => sessionStorage.setItem(k, v));")
        other.goto()
        other.panel.wait_for(state="visible")
        other.page.locator(".hlw-status", has_text="skedën tjetër").wait_for()
        assert other.session()["hlw.session"] != copied["hlw.session"]
        assert other.page.locator(".hlw-user, .hlw-bot").count() == 0
        assert screen.session()["hlw.session"] == copied["hlw.session"], "the first tab keeps its own"
        before = screen.bot_count()
        assert other.send(THANKS_SQ)
        assert screen.bot_count() == before, "an answer in one tab does not appear in the other"
        assert other.user_texts() == [THANKS_SQ]
    finally:
        other.close()


def test_layout_one_line_header_44px_targets_and_the_view_on_the_newest(screen: Widget) -> None:
    page = screen.page
    screen.goto()
    screen.open()
    controls = page.locator(".hlw-header > *")
    boxes = [controls.nth(i).bounding_box() for i in range(controls.count())]
    assert all(boxes) and max(b["y"] for b in boxes) < min(b["y"] + b["height"] for b in boxes), \
        "the header is one line"
    screen.send(GREETING_SQ)
    targets = page.locator(".hlw-panel button:visible, .hlw-help a:visible")
    small = [(targets.nth(i).inner_text(), box) for i in range(targets.count())
             if (box := targets.nth(i).bounding_box()) and (box["height"] < 44 or box["width"] < 44)]
    assert not small, f"targets under 44 px: {small}"

    # a resize (the on-screen keyboard) keeps the newest message in view
    width = page.viewport_size["width"]
    page.set_viewport_size({"width": width, "height": KEYBOARD_OPEN_HEIGHT})
    page.wait_for_function(f"() => {ROOT_JS}.querySelector('.hlw-panel')"
                           f".getBoundingClientRect().bottom <= {KEYBOARD_OPEN_HEIGHT}")
    page.wait_for_function(f"""() => {{
      const log = {ROOT_JS}.querySelector('.hlw-log');
      return log.scrollHeight - log.scrollTop - log.clientHeight <= 2;
    }}""")
    last = page.locator(".hlw-msg").last.bounding_box()
    log = page.locator(".hlw-log").bounding_box()
    assert last and log and last["y"] + last["height"] <= log["y"] + log["height"] + 1


def test_a_reply_to_a_closed_chat_marks_the_launcher(screen: Widget) -> None:
    page = screen.page
    held: list[Any] = []
    reply = [{"recipient_id": "x", "text": "Përgjigja"}]
    page.route("**/socket.io/**", lambda route: route.abort())
    page.route("**/webhooks/rest/webhook", lambda route: held.append(route))  # answered when closed
    screen.goto()
    screen.open()
    with page.expect_request("**/webhooks/rest/webhook"):
        screen.input.fill(GREETING_SQ)
        screen.input.press("Enter")
    page.locator(".hlw-close").click()
    unread = page.locator(".hlw-launcher .hlw-unread")
    assert unread.is_hidden()
    held[0].fulfill(status=200, content_type="application/json", body=json.dumps(reply),
                    headers={"Access-Control-Allow-Origin": "*"})
    unread.wait_for()
    assert unread.inner_text() == "mesazh i ri"
    screen.launcher.click()
    assert unread.is_hidden()
    assert screen.bot_count() == 1
