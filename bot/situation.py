"""Who is asking, about which country, from where: read from the words of one message.

"jam ne londer", "my daughter (16) is in Milan", "po për Greqinë?", "I'm 14": each message may
say where the person is (abroad or in Albania), which foreign country the question is about,
whether they write about someone else, and whether a minor is concerned. The NLU pipeline turns
what is found into entities (bot.nlu.components.SituationExtractor), the domain's slots keep
them across turns, and the answers and the emergency reply use them. What a message does not
say is left unset, so the conversation's earlier value stays.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.places import ALBANIA, mentions
from bot.text import fold

ADULT_AGE = 18

# "nga Italia", "from Italy": the country someone comes from, less likely the one asked about.
_ORIGIN = re.compile(r"(?:\bnga|\bprej|\bfrom|\bout of)\s+(?:the\s+)?$")
# Being somewhere: "jam ne", "I'm in", "we live in", "punoj ne"; not wanting to be there ("can I
# work in", "të punoj në": the Albanian subjunctive is a wish or a question).
_BEING = re.compile(
    r"(?<!can )(?<!could )(?<!should )(?<!to )(?<!will )(?<!would )(?<!te )(?<!me )"
    r"\b(?:i'?m|i am|im|we are|we'?re|she'?s|she is|he'?s|he is|they are|they'?re|i live|we live|"
    r"she lives|he lives|living|i work|we work|she works|he works|working|staying|stuck|based|"
    r"jam|jemi|je|eshte|osht|ashte|jane|jan|ndodhem|ndodhemi|ndodhet|jetoj|jetojme|jeton|jetojne|"
    r"punoj|punojme|punon|punojne|rri|rrime|qendroj|qendrojme)"
    r"\s+(?:\w+\s+){0,3}?(?:ne|n'|in|at|near|afer)\s*$")
# Wanting to go home from abroad (said of oneself or of whom one writes about), or having come back.
_RETURNING = re.compile(
    r"\b(?:(?:i|we|he|she|they)(?:'d| would| want to| wants to| need to| needs to| have to| has to| plan to| am| are"
    r"| is)?(?: like to| going to| trying to)? (?:go back|return|go home|come back)|help (?:me|us|him|her) "
    r"(?:go back|return|go home)|kthehem|kthehemi|me u kthy|m'u kthy|t'u kthyer|te kthehem|te kthehemi|"
    r"do te kthehet|do te kthehen|dua te kthehem|duam te kthehemi)\b")
_RETURNED = re.compile(
    r"\b(?:u ktheva|u kthyem|jam kthyer|jemi kthyer|u kthye|sapo u ktheva|kam ardhur ne shqiperi|"
    r"came back|i'?m back in|we'?re back in|returned to albania|have returned|i returned|we returned|"
    r"since i came back|back in albania)\b")
_RELATIVE = re.compile(
    r"\b(?:my|our|her|his)\s+(?:\d{1,2}\s*(?:-?\s*years?\s*-?\s*old|yo|y/o)\s+)?(?:little\s+|younger\s+|older\s+)?"
    r"(?:daughter|son|sister|brother|cousin|wife|husband|mother|father|mum|mom|dad|child|children|kids?|"
    r"girlfriend|boyfriend|friend|niece|nephew|uncle|aunt|neighbou?r|partner|fianc\w*|grand\w+)\b|"
    r"\b(?:vajza|djali|motra|vellai|vella|shoqja|shoku|gruaja|burri|nena|nana|babai|kusheri\w*|mbesa|nipi|"
    r"femija|femijet|cuni|goca|fqinj\w*|e fejuara|i fejuari|dajua|xhaxhai|tezja|halla)"
    r"\s+(?:ime|im|jone|jonë|e mi|e mia|e saj|i saj|e tij|i tij|\d{1,2}\s*vjec\w*)\b|"
    r"\b(?:vajzes|djalit|motres|vellait|shoqes|shokut|gruas|burrit|nenes|babait|femijes|femijeve)\s+"
    r"(?:sime|tim|time|tone|te mi)\b")
_OPERATOR = re.compile(r"\b(?:the caller|a caller|caller|callers|telefonuesi|telefonuesja|nje telefonues\w*|"
                       r"i'?m an operator|i am an operator|jam operator\w*|operatori i linjes)\b")
_AGE = [
    re.compile(r"\b(\d{1,2})\s*(?:-\s*)?(?:years?|yrs?|yr)\s*-?\s*old\b"),
    re.compile(r"\b(\d{1,2})\s*(?:yo|y/o|year-old)\b"),
    re.compile(r"\b(\d{1,2})\s*(?:vjec|vjece|vjecare|vjecar|vjeçe|vjeç|vjecaresh|vjeqare|vjeq)\b"),
    re.compile(r"\b(?:i'?m|i am|im|she'?s|she is|he'?s|he is|jam|eshte|osht|ashte|aged?)\s+(?:only\s+|vetem\s+)?"
               r"(\d{1,2})\b(?!\s*(?:%|euro|eur|€|£|\$|pound|dollar|lek|day|dit|hour|or[eë]|min|week|jav|month|"
               r"muaj|vjet\b|year|k\b|people|veta|of\b|times?|here|in\b|ne\b))"),
    re.compile(r"\b(?:daughter|son|sister|brother|girl|boy|child|kid|friend|cousin|niece|nephew)\s+"
               r"(?:is|was|who is)\s+(?:only\s+)?(\d{1,2})\b(?!\s*(?:%|euro|eur|€|£|\$|day|hour|min|week|month|k\b))"),
    re.compile(r"\b(?:girl|boy|child|kid|daughter|son|sister|brother)\s+(?:of|aged?)\s+"
               r"(?:maybe\s+|about\s+|around\s+|only\s+)?(\d{1,2})\b"),
    # "my little sister (14)", "motra ime e vogel (14)"
    re.compile(r"\b(?:girl|boy|child|kid|daughter|son|sister|brother|niece|nephew|cousin|motra|vajza|djali|vellai|"
               r"goca|cuni|mbesa|nipi|femija)\b(?:\s+\w+){0,3}\s*\((\d{1,2})\)"),
]
_MINOR_WORDS = re.compile(r"\b(?:minor|underage|under 18|under-age|nen 18|nen moshen 18|i mitur|e mitur|"
                          r"te mitur|te miturit|te miturat)\b")


@dataclass(frozen=True)
class Situation:
    """What one message says about the person's situation; None/False: it does not say."""

    country: str | None = None  # the foreign country concerned: where they are or want to go
    location: str | None = None  # "abroad" or "albania": where the person concerned is
    asker: str | None = None  # "relative" (writes about someone else) or "operator"
    minor: bool = False


def _country(folded: str) -> tuple[str | None, str | None]:
    """The foreign country a message is about, and "abroad"/"albania" if it says where someone is."""
    found = mentions(folded)
    foreign = [m for m in found if m.country != ALBANIA]
    preferred = [m for m in foreign if not _ORIGIN.search(folded[max(0, m.start - 12):m.start])]
    chosen = (preferred or foreign)[-1].country if foreign else None
    location = None
    for mention in found:
        if _BEING.search(folded[max(0, mention.start - 40):mention.start]):
            location = "albania" if mention.country == ALBANIA else "abroad"
    return chosen, location


def age_of(folded: str) -> int | None:
    """An age the message states ("jam 15 vjeç", "my 16 year old", "a girl of maybe 12")."""
    for pattern in _AGE:
        match = pattern.search(folded)
        if match:
            age = int(match.group(1))
            if 1 <= age <= 99:
                return age
    return None


def read_situation(text: str) -> Situation:
    """Everything one message says about the person's situation."""
    folded = fold(text)
    if not folded:
        return Situation()
    country, location = _country(folded)
    if _RETURNED.search(folded):
        location = "albania"
    elif _RETURNING.search(folded):
        location = "abroad"
    asker = "operator" if _OPERATOR.search(folded) else "relative" if _RELATIVE.search(folded) else None
    age = age_of(folded)
    minor = bool(_MINOR_WORDS.search(folded)) or (age is not None and age < ADULT_AGE)
    return Situation(country, location, asker, minor)
