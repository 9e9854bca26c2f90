"""The services directory: which organisations help where, and on what.

People ask "where can I get help in Shkodër?" typed any way ("ne shkoder", "Shkodra",
"shkodres"), so Albanian towns are recognised in their common forms, folded (ë→e, ç→c).
Offices are only listed where the knowledge files say they are; for any other town the
national contacts are the honest answer.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from bot.knowledge.loader import CONTACT_TAGS
from bot.knowledge.store import Document, Snapshot
from bot.language import Lang, fold, words


@dataclass(frozen=True)
class City:
    """A town: its Albanian name (as stored), the name English texts use, and how it is typed."""

    sq: str
    en: str
    forms: frozenset[str]  # folded: indefinite, definite and genitive forms, English names

    def get(self, language: Lang) -> str:
        return self.sq if language == "sq" else self.en


# The 12 county seats, then other large towns. Albanian: name, definite ("Shkodra"), genitive
# ("e Shkodrës"), accusative ("në Shkodrën"); English: the name English texts usually use.
_GAZETTEER = """
Tiranë      Tirana       Tirana Tiranës Tiranën
Durrës      Durrës       Durrësi Durrësit Durrësin Durres Durazzo
Shkodër     Shkodra      Shkodra Shkodrës Shkodrën Shkoder Scutari
Vlorë       Vlora        Vlora Vlorës Vlorën Valona
Elbasan     Elbasan      Elbasani Elbasanit Elbasanin
Fier        Fier         Fieri Fierit Fierin
Berat       Berat        Berati Beratit Beratin
Korçë       Korça        Korça Korçës Korçën Korce Korca Koritsa
Gjirokastër Gjirokastra  Gjirokastra Gjirokastrës Gjirokastrën Gjirokaster
Kukës       Kukës        Kukësi Kukësit Kukësin Kukes
Lezhë       Lezha        Lezha Lezhës Lezhën
Peshkopi    Peshkopi     Peshkopia Peshkopisë Peshkopinë Dibër Dibra Dibrës Dibrën Diber
Sarandë     Saranda      Saranda Sarandës Sarandën
Pogradec    Pogradec     Pogradeci Pogradecit Pogradecin
Kavajë      Kavaja       Kavaja Kavajës Kavajën
Lushnjë     Lushnja      Lushnja Lushnjës Lushnjën
Kamëz       Kamza        Kamza Kamzës Kamzën
Krujë       Kruja        Kruja Krujës Krujën
Laç         Laç          Laçi Laçit Laçin
Patos       Patos        Patosi Patosit Patosin
Kuçovë      Kuçova       Kuçova Kuçovës Kuçovën
Burrel      Burrel       Burreli Burrelit Burrelin
Tepelenë    Tepelena     Tepelena Tepelenës Tepelenën
Përmet      Përmet       Përmeti Përmetit Përmetin
Librazhd    Librazhd     Librazhdi Librazhdit Librazhdin
Gramsh      Gramsh       Gramshi Gramshit Gramshin
Bulqizë     Bulqiza      Bulqiza Bulqizës Bulqizën
Rrëshen     Rrëshen      Rrësheni Rrëshenit Rrëshenin
Himarë      Himara       Himara Himarës Himarën
Shijak      Shijak       Shijaku Shijakut Shijakun
"""


def _gazetteer() -> dict[str, City]:
    """Every folded form of every town, to its town."""
    forms: dict[str, City] = {}
    for line in filter(None, map(str.split, _GAZETTEER.splitlines())):
        sq, en, *others = line
        city = City(sq, en, frozenset(fold(form) for form in (sq, en, *others)))
        forms.update(dict.fromkeys(city.forms, city))
    return forms


CITIES: dict[str, City] = _gazetteer()


def city_named(name: str) -> City:
    """The town a stored `city` names (a town the gazetteer lacks stands for itself)."""
    return CITIES.get(fold(name)) or City(name, name, frozenset({fold(name)}))


def find_city(text: str, known: Iterable[str] = ()) -> City | None:
    """The first town the text mentions: one of the gazetteer's, or a `city` of the store."""
    forms = dict(CITIES)
    for name in known:
        city = city_named(name)
        forms.update(dict.fromkeys(city.forms, city))
    return next((forms[word] for word in words(text) if word in forms), None)


def _in(doc: Document, city: City) -> bool:
    return doc.city is not None and fold(doc.city) in city.forms


def national_contacts(snapshot: Snapshot, topic: str | None = None) -> list[Document]:
    """The contacts for the whole country (tagged emergency or handoff), those on `topic` if
    any are, numbers first: a phone number is the quickest help."""
    contacts = [d for d in snapshot.organisations() if CONTACT_TAGS & set(d.topics)]
    on_topic = [d for d in contacts if topic in d.topics]
    return sorted(on_topic or contacts, key=lambda d: d.phone is None)


def services_for(snapshot: Snapshot, city: City | None, topic: str | None) -> list[Document]:
    """Organisations in `city` (on `topic`, if given); else, without a city, every organisation
    on `topic`; else the national contacts."""
    organisations = [d for d in snapshot.organisations() if topic is None or topic in d.topics]
    if city is not None:
        organisations = [d for d in organisations if _in(d, city)]
    elif topic is None:
        organisations = []
    return sorted(organisations, key=lambda d: d.phone is None) or national_contacts(snapshot, topic)


def is_local(docs: Iterable[Document], city: City) -> bool:
    """Whether a services list is of offices in `city` (not the national fallback)."""
    return any(_in(doc, city) for doc in docs)
