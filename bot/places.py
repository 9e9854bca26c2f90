"""Places people write about: countries and towns, as they type them in Albanian and English.

The one place for country codes and names. People write "ne Greqi", "n'gjermani", "in Milan",
"Londër", "Selanik", so each country comes with its Albanian forms (indefinite, definite,
genitive/accusative), its English and local names, and its large towns; Albanian towns come
with their common forms too. Everything is matched folded (ë→e, ç→c).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property

from bot.text import Lang, fold

ALBANIA = "AL"
# The Schengen area (its members, as the knowledge's Schengen cards list them): a question
# about Italy's visa-free days is a question about Schengen.
SCHENGEN = frozenset([
    "AT", "BE", "BG", "CH", "CZ", "DE", "DK", "EE", "ES", "FI", "FR", "GR", "HR", "HU", "IS",
    "IT", "LI", "LT", "LU", "LV", "MT", "NL", "NO", "PL", "PT", "RO", "SE", "SI", "SK",
])
# Words that name the region itself.
_REGION_WORDS = re.compile(r"\b(?:s(?:c)?hengen\w*|europe|european union|evrop[aeë]\w*|europa|"
                           r"bashkimi? evropian|bashkimin evropian|eu)\b")

# ISO 3166-1 alpha-2, the codes in use (XK: Kosovo, the code the EU uses).
COUNTRY_CODES = frozenset("""
AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS BT
BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE EG EH ER
ES ET FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM HN HR HT HU ID
IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV
LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR
NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW PY QA RE RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL
SM SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG UM US UY UZ VA VC
VE VG VI VN VU WF WS XK YE YT ZA ZM ZW""".split())  # noqa: SIM905 - a table is easier to check

# code | Albanian name (as a sentence uses it after "në") | English name; then, indented, other
# forms and towns. Albanian forms: indefinite (Itali), definite (Italia), accusative (Italinë),
# genitive (Italisë). A form of several words is listed in _MULTIWORD too.
_COUNTRIES = """
AL | Shqipëri | Albania
    Shqipëria Shqipërinë Shqipërisë Shqipni Shqipnia Shqipninë Shqipnisë Albanie Albanien
IT | Itali | Italy
    Italie
    Italia Italinë Italisë Italie Italien Roma Romë Rome Milano Milan Milanë Torino Turin Napoli Naples
    Bologna Bolonja Firenze Florence Firence Venezia Venice Venecia Genova Bari Palermo Verona Brescia
    Bergamo Padova Modena Parma Trieste Ancona Lecce Catania Perugia Rimini Treviso Sicilia Sicily
    Sardegna Toscana Lombardia Puglia Piemonte Veneto Calabria Campania Lazio italian italiane italiano
    italiana
GR | Greqi | Greece
    Greqie
    Greqia Greqinë Greqisë Greqia Hellas Ellada Athinë Athina Athens Athinës Selanik Selaniku Selanikut
    Thessaloniki Thessaloniku Kretë Kreta Crete Patra Patras Larisa Larissa Volos Janinë Janina Ioannina
    Korfuz Corfu Rodos Rhodes Kalamata Katerini Kavala Peloponez Peloponnese grek greke greek
DE | Gjermani | Germany
    Gjermanie
    Gjermania Gjermaninë Gjermanisë Deutschland Allemagne Berlin Berlini Mynih Munich München Muenchen
    Munchen Hamburg Hamburgu Frankfurt Frankfurti Köln Koln Cologne Düsseldorf Dusseldorf Stuttgart
    Dresden Leipzig Bremen Hannover Hanover Nuremberg Nürnberg Nurnberg Essen Dortmund Bonn Bavaria
    Bayern gjerman gjermane gjermanisht german
GB | Mbretëri e Bashkuar | United Kingdom
    Anglie Britanie
    Mbretëria e Bashkuar Mbretërinë e Bashkuar Mbretërisë së Bashkuar Britania e Madhe Britani e Madhe
    Great Britain Angli Anglia Anglinë Anglisë Britani Britania Britaninë Britanisë UK England Britain
    Scotland Skoci Skocia Wales Uells Londër Londra Londrën Londrës London Londres Birmingham Manchester
    Mançester Liverpool Leeds Glasgow Edinburgh Bristol Sheffield Newcastle Nottingham Leicester Cardiff
    Belfast Coventry Bradford Luton Croydon Essex Kent anglez britanik britanike british
FR | Francë | France
    France
    Franca Francën Francës Frankreich Paris Parisi Parisit Lyon Marseille Marsejë Nisa Toulouse Bordeaux
    Lille Strasbourg Nantes Montpellier Rennes francez franceze french
BE | Belgjikë | Belgium
    Belgjike
    Belgjika Belgjikën Belgjikës Belgique Belgien Bruksel Brukseli Brukselit Brussels Bruxelles Brussel
    Antwerp Anvers Antwerpen Gent Ghent Liège Liege Charleroi belg belge belgian
NL | Holandë | Netherlands
    Holande
    Holanda Holandën Holandës Hollanda Holland Nederland Amsterdam Rotterdam Hagë Haga Utrecht Eindhoven
    holandez holandeze dutch
CH | Zvicër | Switzerland
    Zvicre
    Zvicra Zvicrën Zvicrës Zvicer Schweiz Suisse Svizzera Cyrih Zürich Zurich Gjenevë Geneva Genève
    Geneve Bern Berna Basel Lausanne Lugano Luzern Lucerne zviceran zvicerane swiss
AT | Austri | Austria
    Austrie
    Austria Austrinë Austrisë Österreich Osterreich Vjenë Vjena Vjenën Vienna Wien Graz Linz Salzburg
    Innsbruck austriak austriake austrian
SE | Suedi | Sweden
    Suedie
    Suedia Suedinë Suedisë Sverige Stokholm Stockholm Göteborg Gothenburg Malmö Malmo
NO | Norvegji | Norway
    Norvegjia Norvegjinë Norvegjisë Norge Oslo Bergen
DK | Danimarkë | Denmark
    Danimarka Danimarkën Danimarkës Danmark Kopenhagë Copenhagen
FI | Finlandë | Finland
    Finlanda Finlandën Finlandës Helsinki
IE | Irlandë | Ireland
    Irlanda Irlandën Irlandës Dublin Dublini
ES | Spanjë | Spain
    Spanje
    Spanja Spanjën Spanjës España Espana Madrid Barcelonë Barcelona Valencia Sevilla Seville Malaga
    spanjoll spanjolle spanish
PT | Portugali | Portugal
    Portugalia Portugalinë Portugalisë Lisbonë Lisbon Lisboa Porto
HR | Kroaci | Croatia
    Kroacie
    Kroacia Kroacinë Kroacisë Hrvatska Zagreb Zagrebi Dubrovnik Rijeka Zadar kroat kroate croatian
SI | Slloveni | Slovenia
    Sllovenia Slloveninë Sllovenisë Ljubljana Lubjana
CZ | Çeki | Czechia
    Çekia Çekinë Çekisë Czech Republic Republika Çeke Prague Prague Praha Pragë Brno
PL | Poloni | Poland
    Polonia Poloninë Polonisë Polska Varshavë Warsaw Warszawa Krakow Kraków
HU | Hungari | Hungary
    Hungaria Hungarinë Hungarisë Magyarország Budapest Budapesti
RO | Rumani | Romania
    Rumania Rumaninë Rumanisë Bukuresht Bucharest
BG | Bullgari | Bulgaria
    Bullgaria Bullgarinë Bullgarisë Sofje
SK | Sllovaki | Slovakia
    Sllovakia Sllovakinë Sllovakisë Bratislava
CY | Qipro | Cyprus
    Qiproja Qipron Qipros Kipros Nicosia Nikozi Limassol Larnaca Larnaka Paphos Ayia Napa
MT | Maltë | Malta
    Malta Maltën Maltës Valletta
LU | Luksemburg | Luxembourg
    Luksemburgu Luksemburgun Luksemburgut Luxemburg
IS | Islandë | Iceland
    Islanda Islandën Islandës Reykjavik
US | Shtetet e Bashkuara | United States
    Amerike
    SHBA USA the US America Amerikë Amerika Amerikën Amerikës Shtetet e Bashkuara të Amerikës New York
    Nju Jork Chicago Çikago Boston Detroit Los Angeles Miami Philadelphia Texas Teksas New Jersey
    Florida amerikan amerikane american
CA | Kanada | Canada
    Kanadaja Kanadanë Kanadasë Toronto Montreal Montréal Vancouver Ottawa Calgary Quebec kanadez
    kanadeze canadian
AU | Australi | Australia
    Australia Australinë Australisë Sydney Sidnei Melbourne
TR | Turqi | Turkey
    Turqie
    Turqia Turqinë Turqisë Türkiye Turkiye Stamboll Stambolli Istanbul Ankara Antalya
AE | Emiratet e Bashkuara Arabe | United Arab Emirates
    UAE Emiratet Dubai Dubaj Abu Dhabi Sharjah
QA | Katar | Qatar
    Katari Katarin Katarit Doha
SA | Arabi Saudite | Saudi Arabia
    Arabia Saudite Riyadh Jeddah
IL | Izrael | Israel
    Izraeli Izraelin Izraelit Tel Aviv
XK | Kosovë | Kosovo
    Kosove
    Kosova Kosovën Kosovës Prishtinë Prishtina Pristina Prizren Pejë Peja Gjakovë Mitrovicë
MK | Maqedoni e Veriut | North Macedonia
    Maqedoni Maqedonia Maqedoninë Maqedonisë Macedonia Shkup Shkupi Skopje Tetovë Tetova Ohër Ohrid
    Strugë Struga
ME | Mal i Zi | Montenegro
    Mali i Zi Malin e Zi Malit të Zi Crna Gora Podgoricë Podgorica Ulqin Ulcinj Tivar Budva
RS | Serbi | Serbia
    Serbia Serbinë Serbisë Beograd Belgrade Beogradi
BA | Bosnjë e Hercegovinë | Bosnia and Herzegovina
    Bosnja Bosnjë Bosnia Sarajevë Sarajevo
RU | Rusi | Russia
    Rusia Rusinë Rusisë Moskë Moscow
UA | Ukrainë | Ukraine
    Ukraina Ukrainën Ukrainës Kiev Kyiv
"""

# The 12 county seats, then other large towns of Albania. Albanian: name, definite
# ("Shkodra"), genitive ("e Shkodrës"), accusative ("në Shkodrën"); English: the name English
# texts usually use; then other spellings.
_ALBANIAN_TOWNS = """
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


@dataclass(frozen=True)
class Country:
    code: str
    name: dict[str, str]  # language -> name
    forms: frozenset[str]  # folded names and towns, as they appear in a text

    def get(self, language: Lang) -> str:
        return self.name[language]


def _countries() -> dict[str, Country]:
    rows: list[list[str]] = []
    for line in filter(str.strip, _COUNTRIES.splitlines()):
        if line.startswith(" "):
            rows[-1][-1] += " " + line.strip()
        else:
            rows.append([part.strip() for part in line.split("|")] + [""])
    countries = {}
    for code, sq, en, others in rows:
        forms = {fold(sq), fold(en), *(fold(w) for w in _split_forms(others))}
        countries[code] = Country(code, {"sq": sq, "en": en}, frozenset(forms))
    return countries


# Forms that are several words: kept together when the "other forms" column is split.
_MULTIWORD = ("Shtetet e Bashkuara të Amerikës", "Shtetet e Bashkuara", "Mbretëri e Bashkuar",
              "Mbretëria e Bashkuar", "Mbretërinë e Bashkuar", "Mbretërisë së Bashkuar", "Britani e Madhe",
              "Britania e Madhe", "Great Britain", "the US",
              "Czech Republic", "Republika Çeke", "New York", "Nju Jork", "Los Angeles", "New Jersey",
              "Abu Dhabi", "Ayia Napa", "Tel Aviv", "Mali i Zi", "Malin e Zi", "Malit të Zi", "Crna Gora",
              "Arabia Saudite")


def _split_forms(column: str) -> list[str]:
    found = [form for form in _MULTIWORD if form in column]
    for form in found:
        column = column.replace(form, " ")
    return [*found, *column.split()]


def _albanian_towns() -> frozenset[str]:
    return frozenset(fold(form) for line in _ALBANIAN_TOWNS.splitlines() for form in line.split())


COUNTRIES: dict[str, Country] = _countries()
ALBANIAN_TOWNS: frozenset[str] = _albanian_towns()  # every folded form of every town


@dataclass(frozen=True)
class Mention:
    """A place named in a text: its country, and where in the folded text it was named."""

    country: str
    start: int
    end: int


class _Gazetteer:
    """One regular expression over every form of every country and Albanian town."""

    @cached_property
    def forms(self) -> dict[str, str]:
        forms = dict.fromkeys(ALBANIAN_TOWNS, ALBANIA)
        for country in COUNTRIES.values():
            forms.update(dict.fromkeys(country.forms, country.code))
        forms.pop("us", None)  # the English pronoun; "USA" and "SHBA" stay
        return forms

    @cached_property
    def pattern(self) -> re.Pattern[str]:
        alternatives = "|".join(re.escape(f) for f in sorted(self.forms, key=len, reverse=True))
        return re.compile(rf"(?<!\w)(?:{alternatives})(?:'s)?(?!\w)")

    def mentions(self, folded: str) -> list[Mention]:
        found = []
        for match in self.pattern.finditer(folded):
            form = match.group(0).removesuffix("'s")
            found.append(Mention(self.forms[form], match.start(), match.end()))
        return found


_GAZETTEER = _Gazetteer()


def mentions(text: str) -> list[Mention]:
    """Every country or Albanian town a text names, in order (positions in the folded text)."""
    return _GAZETTEER.mentions(fold(text))


def country_name(code: str, language: Lang) -> str:
    """How a sentence names a country: "Itali" / "Italy"; the code itself if unknown."""
    country = COUNTRIES.get(code)
    return country.get(language) if country else code


def with_country_tokens(text: str) -> str:
    """The folded text with every place replaced by a token of its country ("ne londer" ->
    "ne xxgbxx"), so that a model learns "the UK" once for London, Anglia and Britain, and no
    town name becomes a clue of its own; a Schengen country also gets the Schengen token that
    "Europe" and "Schengen" get ("ne itali" -> "ne xxitxx xxschengenxx")."""
    folded = _REGION_WORDS.sub(" xxschengenxx ", fold(text))
    for mention in reversed(_GAZETTEER.mentions(folded)):
        region = " xxschengenxx" if mention.country in SCHENGEN else ""
        folded = f"{folded[:mention.start]} xx{mention.country.lower()}xx{region} {folded[mention.end:]}"
    return folded
