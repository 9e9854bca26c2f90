"""Every label and message of the operator console, in Albanian and English, in one table.

Operators in Tirana read the console in Albanian; some colleagues and visitors in English. The
templates call `t(key, **params)` with the page's language (app.py), the script reads the same
table from the page (a JSON data element: the CSP allows no inline script), and the messages of
refusals (wrong password, lock, CSRF, 401/403/404, handoff refusals) come from here as well, so a
label is written and reviewed once. `{name}` marks a value put in when the text is used.
The answers, screening questions and steps the console shows are content, already in both
languages side by side: they are not here.
"""

from __future__ import annotations

from bot.text import LANGUAGES

DEFAULT_LANGUAGE = "sq"
LANGUAGE_NAMES = {"sq": "Shqip", "en": "English"}  # each in its own language, as the switch shows them

STRINGS: dict[str, dict[str, str]] = {
    # -- every page ---------------------------------------------------------------------------------
    "site.title": {"sq": "Linja e ndihmës", "en": "Helpline"},
    "site.brand": {"sq": "Linja e ndihmës · paneli i operatorit", "en": "Helpline · operator console"},
    "site.console": {"sq": "Paneli i operatorit", "en": "Operator console"},
    "site.skip": {"sq": "Kalo te përmbajtja", "en": "Skip to content"},
    "nav.label": {"sq": "Paneli", "en": "Console"},
    "nav.aid": {"sq": "Ndihmësi i telefonatës", "en": "Script aid"},
    "nav.queue": {"sq": "Radha", "en": "Queue"},
    "nav.stats": {"sq": "Statistikat", "en": "Statistics"},
    "nav.audit": {"sq": "Regjistri i veprimeve", "en": "Audit log"},
    "nav.signout": {"sq": "Dil", "en": "Sign out"},
    "nav.who": {"sq": "{name} ({role})", "en": "{name} ({role})"},
    "role.operator": {"sq": "operator", "en": "operator"},
    "role.supervisor": {"sq": "mbikëqyrës", "en": "supervisor"},
    "switch.label": {"sq": "Gjuha e panelit", "en": "Console language"},
    "language.sq": {"sq": "shqip", "en": "Albanian (shqip)"},
    "language.en": {"sq": "anglisht", "en": "English"},
    "common.none": {"sq": "—", "en": "—"},
    # the headings of content shown side by side: each side's in its own language, whatever the console's
    "side.sq": {"sq": LANGUAGE_NAMES["sq"], "en": LANGUAGE_NAMES["sq"]},
    "side.en": {"sq": LANGUAGE_NAMES["en"], "en": LANGUAGE_NAMES["en"]},
    "side.emergency_sq": {"sq": "Hapat e urgjencës", "en": "Hapat e urgjencës"},
    "side.emergency_en": {"sq": "Emergency steps", "en": "Emergency steps"},
    "common.seconds": {"sq": "{n} s", "en": "{n} s"},
    "common.minutes": {"sq": "{n} min", "en": "{n} min"},
    "common.hours": {"sq": "{h} orë {m} min", "en": "{h} h {m} min"},
    # -- signing in ---------------------------------------------------------------------------------
    "signin.title": {"sq": "Hyrja", "en": "Sign in"},
    "signin.name": {"sq": "Emri", "en": "Name"},
    "signin.password": {"sq": "Fjalëkalimi", "en": "Password"},
    "signin.submit": {"sq": "Hyr", "en": "Sign in"},
    "signin.accounts": {"sq": "Llogaritë krijohen në server:", "en": "Accounts are made on the server:"},
    "signin.command": {"sq": "helpline operators add EMRI --role operator",
                       "en": "helpline operators add NAME --role operator"},
    "signin.expired": {"sq": "Formulari i hyrjes kishte skaduar: ju lutemi hyni përsëri.",
                       "en": "The sign-in form had expired; please sign in again."},
    "signin.wrong": {"sq": "Emri ose fjalëkalimi është i gabuar, ose llogaria është çaktivizuar.",
                     "en": "Wrong name or password, or the account is disabled."},
    "signin.locked": {"sq": "Shumë përpjekje të dështuara për të hyrë. Provoni përsëri pas {minutes} minutash, "
                            "ose kërkojini një mbikëqyrësi t'ju vendosë një fjalëkalim të ri.",
                      "en": "Too many failed sign-ins. Try again in {minutes} minute(s), or ask a supervisor "
                            "to reset the password."},
    # -- refusals and error pages -------------------------------------------------------------------
    "error.signed_out": {"sq": "Nuk keni hyrë, ose seanca ka skaduar: hyni përsëri.",
                         "en": "Not signed in, or the session has expired: sign in again."},
    "error.csrf": {"sq": "Formularit i mungon kodi i sigurisë ose kodi ka skaduar: ringarkoni faqen.",
                   "en": "The form is missing its security token or it is out of date: reload the page."},
    "error.supervisors": {"sq": "Kjo faqe është vetëm për mbikëqyrësit.", "en": "This page is for supervisors."},
    "error.not_found": {"sq": "Kjo faqe nuk ekziston.", "en": "There is no such page."},
    "error.no_conversation": {"sq": "Kjo bisedë nuk ekziston.", "en": "No such conversation."},
    "error.forbidden_title": {"sq": "Nuk lejohet", "en": "Not allowed"},
    "error.not_found_title": {"sq": "Nuk u gjet", "en": "Not found"},
    "error.back": {"sq": "Kthehu te ndihmësi i telefonatës", "en": "Back to the script aid"},
    "error.unreachable": {"sq": "Paneli nuk po arrihet: kontrolloni lidhjen.",
                          "en": "The console cannot be reached; check the connection."},
    "error.http": {"sq": "Gabim HTTP {status}", "en": "HTTP {status}"},
    "error.signed_out_short": {"sq": "Keni dalë.", "en": "Signed out."},
    "error.bad_language": {"sq": "Gjuha e panelit është sq ose en.", "en": "The console's language is sq or en."},
    # -- refusals of the handoffs (by the kind the handoff core answers with) -------------------------
    "handoff.not_found": {"sq": "Kjo bisedë nuk është në radhë.", "en": "There is no such conversation in the queue."},
    "handoff.held_by_other": {"sq": "{holder} po i përgjigjet tashmë kësaj bisede.",
                              "en": "{holder} is already answering this conversation."},
    "handoff.gone": {"sq": "Kjo bisedë nuk është më e hapur: përdoruesi e fshiu ose ajo u mbyll.",
                     "en": "This conversation is no longer open: the user deleted it or it was closed."},
    "handoff.too_long": {"sq": "Përgjigjja ka {length} shenja, më shumë se sa lejon ky kanal: deri në {limit}.",
                         "en": "The reply has {length} characters, more than this channel allows: at most {limit}."},
    "handoff.unauthorized": {"sq": "Paneli nuk lidhet dot me asistentin (HELPLINE_CONSOLE_TOKEN): "
                                   "njoftoni administratorin.",
                             "en": "The console cannot connect to the assistant (HELPLINE_CONSOLE_TOKEN): "
                                   "tell the administrator."},
    "handoff.unreachable": {"sq": "Asistenti nuk po përgjigjet (mund të jetë duke u rinisur): provoni përsëri pas pak.",
                            "en": "The assistant is not answering (it may be restarting): try again in a moment."},
    "handoff.refused": {"sq": "Asistenti nuk e pranoi kërkesën: {detail}", "en": "{detail}"},
    # -- the script aid -----------------------------------------------------------------------------
    "aid.title": {"sq": "Ndihmësi i telefonatës", "en": "Script aid"},
    "aid.question": {"sq": "Çfarë thotë telefonuesi", "en": "What the caller says"},
    "aid.question_hint": {"sq": "(shqip ose anglisht; ↑/↓ kalon nga një përgjigje te tjetra, Enter e kopjon)",
                          "en": "(Albanian or English; ↑/↓ move between answers, Enter copies)"},
    "aid.place": {"sq": "Qyteti ose shteti", "en": "City or country"},
    "aid.place_hint": {"sq": "(për kontaktet ku mund ta drejtoni)", "en": "(for the referral contacts)"},
    "aid.danger": {"sq": "Rreziku", "en": "Danger"},
    "aid.answers": {"sq": "Përgjigjet", "en": "Answers"},
    "aid.contacts": {"sq": "Kontaktet për referim", "en": "Referral contacts"},
    "aid.screening": {"sq": "Treguesit e punës së detyruar (ILO)", "en": "Forced-labour indicators (ILO)"},
    "aid.referral": {"sq": "Mekanizmi Kombëtar i Referimit: hapat e radhës",
                     "en": "National Referral Mechanism: next steps"},
    "aid.outcome": {"sq": "Përfundimi i telefonatës", "en": "Outcome of the call"},
    "aid.outcome_hint": {"sq": "(nuk është i detyrueshëm; nuk mbahen shënime)",
                         "en": "(optional; no notes are kept)"},
    "aid.topic": {"sq": "Tema", "en": "Topic"},
    "aid.language": {"sq": "Gjuha", "en": "Language"},
    "aid.referred_to": {"sq": "Drejtuar te", "en": "Referred to"},
    "aid.record": {"sq": "Regjistro përfundimin", "en": "Record outcome"},
    "aid.recorded": {"sq": "Përfundimi u regjistrua.", "en": "Outcome recorded."},
    "aid.detected_language": {"sq": "Gjuha: {language}", "en": "Language: {language}"},
    "aid.lookup_failed": {"sq": "Kërkimi dështoi.", "en": "The lookup failed."},
    "aid.copied_sq": {"sq": "U kopjua përgjigjja në shqip.", "en": "Copied the Albanian answer."},
    "aid.copied_en": {"sq": "U kopjua përgjigjja në anglisht.", "en": "Copied the English answer."},
    "aid.copy_failed": {"sq": "Kopjimi nuk u bë.", "en": "Copying failed."},
    "aid.loading": {"sq": "Ndihmësi po ngarkon ende modelet e asistentit: provoni pas disa sekondash.",
                    "en": "The script aid is still loading the assistant's models; try again in a few seconds."},
    "aid.read": {"sq": "lexuar më {date}", "en": "read {date}"},
    "card.copy_sq": {"sq": "Kopjo shqip", "en": "Copy Shqip"},
    "card.copy_en": {"sq": "Kopjo anglisht", "en": "Copy English"},
    "card.copied": {"sq": "U kopjua", "en": "Copied"},
    "card.sources": {"sq": "Burimet: {sources} · rishikuar më {date}", "en": "Sources: {sources} · reviewed {date}"},
    "card.review_note": {"sq": " · shënim rishikimi: {note}", "en": " · review note: {note}"},
    "card.screening_sources": {"sq": "Burimet: {sources}", "en": "Sources: {sources}"},
    "card.signals": {"sq": "Shenja rreziku: {signals}", "en": "Danger signals: {signals}"},
    "outcome.bad_body": {"sq": "Pritej një objekt JSON me topic, language dhe referred_to.",
                         "en": "Expected a JSON object with topic, language and referred_to."},
    "outcome.unknown_topic": {"sq": "Tema {topic} nuk njihet.", "en": "Unknown topic {topic}."},
    "outcome.bad_language": {"sq": "Gjuha është sq ose en.", "en": "The language is sq or en."},
    "outcome.nothing": {"sq": "S'ka asgjë për të regjistruar: zgjidhni një temë, një gjuhë ose ku u drejtua.",
                        "en": "Nothing to record: choose a topic, a language or a referral."},
    # -- the queue and one conversation -------------------------------------------------------------
    "queue.title": {"sq": "Radha", "en": "Queue"},
    "queue.loading": {"sq": "Po ngarkohet…", "en": "Loading…"},
    "queue.caption": {"sq": "Bisedat që presin një operator ose që i ka marrë një operator, me rrezikun në krye",
                      "en": "Conversations waiting for an operator or held by one, danger first"},
    "queue.danger": {"sq": "Rrezik", "en": "Danger"},
    "queue.waiting": {"sq": "Pret prej", "en": "Waiting"},
    "queue.language": {"sq": "Gjuha", "en": "Language"},
    "queue.channel": {"sq": "Kanali", "en": "Channel"},
    "queue.topic": {"sq": "Tema", "en": "Topic"},
    "queue.state": {"sq": "Gjendja", "en": "State"},
    "queue.action": {"sq": "Veprimi", "en": "Action"},
    "queue.open": {"sq": "Hape", "en": "Open"},
    "queue.count": {"sq": "Biseda: {n}", "en": "{n} conversation(s)"},
    "queue.empty": {"sq": "Nuk pret askush.", "en": "Nobody is waiting."},
    "queue.unreadable": {"sq": "Radha nuk mund të lexohet.", "en": "The queue cannot be read."},
    "queue.danger_flag": {"sq": "RREZIK", "en": "DANGER"},
    "state.waiting": {"sq": "në pritje", "en": "waiting"},
    "state.held": {"sq": "e ka marrë {name}", "en": "held by {name}"},
    "state.released": {"sq": "iu kthye asistentit", "en": "released"},
    "state.closed": {"sq": "e mbyllur", "en": "closed"},
    "conv.title": {"sq": "Biseda", "en": "Conversation"},
    "conv.history": {"sq": "Historia", "en": "History"},
    "conv.history_hint": {"sq": "(siç është ruajtur, pa të dhënat identifikuese)",
                          "en": "(as stored, identifiers removed)"},
    "conv.take": {"sq": "Merre", "en": "Take"},
    "conv.release": {"sq": "Ktheja asistentit", "en": "Release to the assistant"},
    "conv.close": {"sq": "Mbylle", "en": "Close"},
    "conv.reply": {"sq": "Përgjigjja", "en": "Reply"},
    "conv.send": {"sq": "Dërgo", "en": "Send"},
    "conv.suggestions": {"sq": "Sugjerime për mesazhin e fundit", "en": "Suggestions for the last message"},
    "conv.limit": {"sq": "({count} / {limit} shenja në këtë kanal)",
                   "en": "({count} / {limit} characters on this channel)"},
    "conv.no_limit": {"sq": "({count} shenja; kufiri i kanalit kontrollohet kur dërgohet)",
                      "en": "({count} characters; the channel's limit is checked when sent)"},
    "conv.no_topic": {"sq": "pa temë", "en": "no topic"},
    "conv.taken": {"sq": "Biseda është në dorën tuaj: asistenti hesht derisa t'ia ktheni.",
                   "en": "You hold this conversation: the assistant is silent until you release it."},
    "conv.released": {"sq": "Iu kthye asistentit: ai përgjigjet përsëri.",
                      "en": "Released: the assistant answers again."},
    "conv.closed": {"sq": "U mbyll.", "en": "Closed."},
    "conv.sent": {"sq": "U dërgua.", "en": "Sent."},
    "conv.bad_body": {"sq": "Pritej një objekt JSON me tekstin e përgjigjes dhe çelësin e saj.",
                      "en": "Expected a JSON object with the reply's text and its key."},
    "conv.empty": {"sq": "Përgjigjja është bosh.", "en": "The reply is empty."},
    "who.user": {"sq": "përdoruesi", "en": "user"},
    "who.assistant": {"sq": "asistenti", "en": "assistant"},
    "who.operator": {"sq": "operatori", "en": "operator"},
    # -- statistics ---------------------------------------------------------------------------------
    "stats.title": {"sq": "Statistikat", "en": "Statistics"},
    "stats.from": {"sq": "Nga", "en": "From"},
    "stats.to": {"sq": "Deri më", "en": "To"},
    "stats.show": {"sq": "Shfaq", "en": "Show"},
    "stats.export": {"sq": "Shkarko CSV", "en": "Export CSV"},
    "stats.counts_only": {"sq": "Vetëm numra (ditët sipas UTC): nuk lexohet asnjë tekst mesazhi.",
                          "en": "Counts only (UTC days): no message text is read."},
    "stats.tracker_error": {"sq": "Bisedat: ruajtja e bisedave nuk lexohet ({kind}); a ka ruajtur Rasa ndonjë bisedë?",
                            "en": "Conversations: the tracker store cannot be read ({kind}); has Rasa stored a "
                                  "conversation yet?"},
    "stats.handoff_error": {"sq": "Kalimet te operatori: {message}", "en": "Handoffs: {message}"},
    "stats.conversations": {"sq": "Biseda", "en": "Conversations"},
    "stats.messages": {"sq": "Mesazhe", "en": "Messages"},
    "stats.fallback": {"sq": "Pjesa e mesazheve të pakuptuara", "en": "Fallback rate"},
    "stats.danger": {"sq": "Mesazhe me rrezik", "en": "Danger messages"},
    "stats.danger_conversations": {"sq": "Biseda me rrezik", "en": "Conversations with danger"},
    "stats.handoffs": {"sq": "Kalime te operatori", "en": "Handoffs"},
    "stats.answered": {"sq": "Të marra nga operatori", "en": "Answered"},
    "stats.never": {"sq": "Pa u marrë kurrë", "en": "Never answered"},
    "stats.wait_mean": {"sq": "Pritja mesatare", "en": "Mean wait"},
    "stats.wait_median": {"sq": "Pritja mediane", "en": "Median wait"},
    "stats.per_day": {"sq": "Biseda në ditë", "en": "Conversations per day"},
    "stats.languages": {"sq": "Gjuhët", "en": "Languages"},
    "stats.topics": {"sq": "Temat", "en": "Topics"},
    "stats.cards": {"sq": "Përgjigjet e përdorura (10 më të shpeshtat)", "en": "Answers used (top 10)"},
    "stats.chart_per_day": {"sq": "Biseda në ditë", "en": "Conversations per day"},
    "stats.chart_languages": {"sq": "Biseda sipas gjuhës", "en": "Conversations by language"},
    "stats.chart_topics": {"sq": "Biseda me përgjigje, sipas temës", "en": "Conversations answered, by topic"},
    "stats.chart_cards": {"sq": "Përgjigjet e përdorura (10 më të shpeshtat)", "en": "Answers used (top 10)"},
    "stats.no_data": {"sq": "pa të dhëna", "en": "no data"},
    "stats.card_removed": {"sq": "(përgjigje e hequr)", "en": "(card removed)"},
    "stats.outcomes": {"sq": "Përfundimet e telefonatave", "en": "Outcomes of calls"},
    "stats.outcome_line": {"sq": "{name}: {item} — {value}", "en": "{name}: {item} — {value}"},
    "period.format": {"sq": "Datat shkruhen YYYY-MM-DD (viti-muaji-dita), për shembull 2026-12-01.",
                      "en": "Dates are written YYYY-MM-DD, for example 2026-12-01."},
    "period.backwards": {"sq": "Periudha fillon pasi mbaron.", "en": "The period starts after it ends."},
    "period.too_long": {"sq": "Një periudhë ka të shumtën {days} ditë.", "en": "A period is at most {days} days."},
    # -- the audit log ------------------------------------------------------------------------------
    "audit.title": {"sq": "Regjistri i veprimeve", "en": "Audit log"},
    "audit.hint": {"sq": "Kush hyri, hapi, mori, ktheu ose mbylli cilën bisedë, dhe kur (UTC). "
                         "Këtu nuk ruhet asnjë tekst mesazhi.",
                   "en": "Who signed in, opened, took, released or closed which conversation, and when (UTC). "
                         "No message text is kept here."},
    "audit.operator": {"sq": "Operatori", "en": "Operator"},
    "audit.everyone": {"sq": "Të gjithë", "en": "Everyone"},
    "audit.filter": {"sq": "Filtro", "en": "Filter"},
    "audit.time": {"sq": "Koha (UTC)", "en": "Time (UTC)"},
    "audit.action": {"sq": "Veprimi", "en": "Action"},
    "audit.conversation": {"sq": "Biseda", "en": "Conversation"},
    "audit.caption": {"sq": "Veprimet, më të rejat në krye", "en": "Actions, newest first"},
    "audit.empty": {"sq": "Nuk ka veprime për këtë zgjedhje.", "en": "No entries for this choice."},
    "audit.newer": {"sq": "← Më të rejat", "en": "← Newer"},
    "audit.older": {"sq": "Më të vjetrat →", "en": "Older →"},
    "audit.page": {"sq": "Faqja {n}", "en": "Page {n}"},
    "audit.bad_page": {"sq": "Numri i faqes është një numër i plotë nga 1 e lart.",
                       "en": "The page number is a whole number from 1 up."},
    "audit.unknown_operator": {"sq": "Nuk ka llogari me emrin {name}.", "en": "There is no account named {name}."},
    "action.sign_in": {"sq": "hyri", "en": "signed in"},
    "action.sign_out": {"sq": "doli", "en": "signed out"},
    "action.opened": {"sq": "hapi bisedën", "en": "opened"},
    "action.took": {"sq": "mori bisedën", "en": "took"},
    "action.replied": {"sq": "u përgjigj", "en": "replied"},
    "action.released": {"sq": "ia ktheu asistentit", "en": "released"},
    "action.closed": {"sq": "mbylli bisedën", "en": "closed"},
}


def text(language: str, key: str, **params: object) -> str:
    """The label `key` in `language`, its `{name}` places filled; KeyError for an unknown key, so a
    typo fails the page's test instead of showing a key to an operator."""
    entry = STRINGS[key]
    words = entry.get(language) or entry[DEFAULT_LANGUAGE]
    return words.format(**params) if params else words


def table(language: str) -> dict[str, str]:
    """The whole table in one language, for the page's script."""
    return {key: entry[language] for key, entry in STRINGS.items()}


def chosen(value: str | None) -> str | None:
    """`value` when it is one of the console's languages."""
    return value if value in LANGUAGES else None


def from_accept_language(header: str | None) -> str | None:
    """The browser's preferred language of the two (Accept-Language, by its q weights), or None."""
    best: tuple[float, str] | None = None
    for part in (header or "").split(","):
        tag, _, weight = part.strip().partition(";")
        primary = tag.strip().split("-")[0].lower()
        try:
            q = float(weight.strip()[2:]) if weight.strip().startswith("q=") else 1.0
        except ValueError:
            continue
        if primary in LANGUAGES and q > 0 and (best is None or q > best[0]):
            best = (q, primary)  # the first of equal weights
    return best[1] if best else None
