"""Rule-based danger detection, independent of the ML intent classifier.

A person whose passport was taken or who is locked in must get emergency numbers even when
the classifier is unsure, so these patterns run on every message (after folding, so that
"më kanë marrë" and "me kane marre" are the same) and can override the predicted intent.
They look for situations, not topics: "what is forced labour?" is a question, "they force me
to work" is an emergency.
"""

from __future__ import annotations

import re

from bot.language import fold

_ME = r"(?:me|us|her|him|them|my \w+|our \w+)"
# Documents, and the phone: taking it away is how people are cut off and controlled.
_DOCS_EN = r"(?:passports?|documents?|papers|id cards?|ids|phones?|mobiles?)"
_DOCS_SQ = r"(?:pasaport\w*|dokument\w*|leternjoftim\w*|karten? e identitetit|letrat|telefon\w*|celular\w*)"
# The people someone writes to us about.
_KIN_EN = (r"(?:daughter|son|sister|brother|cousin|wife|husband|mother|father|mum|mom|dad|child|kid|"
           r"girl|boy|friend|niece|nephew)")
_KIN_SQ = (r"(?:motra|vellai|vella|djali|vajza|femija|femijet|gruaja|burri|nena|babai|shoqja|shoku|"
           r"kusheri\w*|mbesa|nipi|cuni|goca)")
# Albanian clitics before a verb: me/më, na, e, i, ma, m', po me ...
_SQ_OBJ = r"(?:(?:po|do|kane|kan|ka|jane|jan)\s+)?(?:me|na|e|i|ma|ia|na i|m'|n')\s*(?:(?:kane|kan|ka|po|jane|jan)\s+)?"

SIGNALS: dict[str, list[str]] = {
    "documents_taken": [
        rf"\b(?:took|taken|takes|kept|keeps|keeping|holds|holding|confiscated|stole|stolen|"
        rf"seized|hid|hidden|won'?t (?:give|return))\b(?:\W+\w+){{0,3}}?\W+{_DOCS_EN}",
        rf"\b{_DOCS_EN}\W+(?:\w+\W+){{0,3}}(?:taken|confiscated|stolen|kept|seized)\b",
        rf"\b{_SQ_OBJ}(?:mor|mori|moren|morrn|marre|marr|mbajne|mban|mbajn|konfiskuan|"
        rf"konfiskuar|grabiten|grabiti|vodhen|fshehen)\b(?:\W+\w+){{0,3}}?\W+{_DOCS_SQ}",
        rf"\b(?:mori|moren|morën|konfiskoi|konfiskuan|vodhi)\W+(?:\w+\W+){{0,2}}{_DOCS_SQ}",
        rf"\b{_DOCS_SQ}\W+(?:\w+\W+){{0,3}}(?:kane marre|kan marr|ka marre|ka marr|mbajne|mban|"
        rf"konfiskuar|nuk (?:ma|na|ia|ja|m'i|na i) (?:kthen|kthejne|japin|jep))\b",
    ],
    "confined": [
        rf"\block(?:ed|ing|s)? {_ME}\b", r"\blocked (?:in|up|inside)\b",
        rf"\b(?:won'?t|will not|wont|doesn'?t|don'?t|do not|does not|not) (?:let|allow) {_ME}\b"
        r"(?:\W+\w+){0,3}?\W+(?:leave|go|out|outside)",
        r"\b(?:can'?t|cannot|not allowed to|not able to|unable to) (?:leave|get out|go out|escape)\b",
        r"\b(?:keep|keeping|kept|holding|held) (?:me|us|her|him) (?:prisoner|captive|inside|locked)\b",
        rf"\b{_SQ_OBJ}(?:mbyll|mbyllin|mbyllen|mbyllur)\b",
        r"\b(?:me|na|e|i) (?:mbajne|mbajn|mban|kane mbajtur) (?:te |të )?mbyll\w*",
        r"\b(?:nuk|s') ?(?:me|na|e|i|m') ?(?:le|lene|lejojne|lejon|lejne|len|lshojne|lshojn)\b"
        r"(?:\W+\w+){0,2}?\W+(?:te|me|per te)?\s*(?:dal|dalim|dale|ike|ikim|iki|shku|shkoj|largohem|"
        r"largohemi|dil)",
        r"\b(?:nuk|s') ?mund (?:te|me) (?:dal|dalim|ik|largohem)\w*\b(?:\W+\w+){0,3}?\W+(?:shtepi|"
        r"dhome|ferme|lokal|banes)",
        r"\b(?:kept|held|keep|keeping|holding|hold)(?: (?:me|us|her|him|them))? (?:in|inside) (?:a|an|the|this) "
        r"(?:\w+ )?(?:warehouse|"
        r"house|room|basement|flat|apartment|farm|container|building|hotel)\b",
    ],
    "debt_bondage": [  # told they owe, and made to work it off: not an ordinary debt
        r"\b(?:they|he|she|boss|employer|agent|smuggler)\w* (?:say|says|said|tell me|tells me|told me|"
        r"told us|claim|claims|claimed)\b(?:\W+\w+){0,3}?\W+(?:i|we) (?:owe|have a debt)",
        r"\b(?:must|have to|has to|forced to|make me|make us|makes me) work (?:until|till) "
        r"(?:i|we|she|he) (?:pay|have paid|repay)",
        r"\b(?:me|na) (?:thone|thon|thote|thot|thane|than)\b(?:\W+\w+){0,3}?\W+(?:kam|kemi|ke) borxh",
        r"\b(?:duhet|me duhet|na duhet|detyr\w*) (?:te|me) punoj\w* (?:derisa|gjersa|deri sa) ",
    ],
    "forced": [
        rf"\b(?:forc\w*|mak\w*|push\w*) {_ME} (?:to )?(?:work|sell|sleep|have sex|beg|steal|prostitut)",
        r"\b(?:forced|forcing|being forced|been forced|force) (?:to|into) (?:work|sell|prostitut|"
        r"sex|beg|steal|marr)",
        rf"\b(?:forc\w*|push\w*|sell\w*) {_ME} (?:into|in) (?:prostitut|sex|marriage|slavery)",
        rf"\b{_SQ_OBJ}(?:detyroj\w*|detyron\w*|detyruan|shtrengoj\w*|shtrengon)\b",
        r"\b(?:kane|kan|ka|jane|jan|eshte|osht|jam|jemi) (?:\w+ )?(?:detyruar|detyru)\b",
        r"\b(?:sell|selling) (?:my|her|our|their) bod(?:y|ies)\b",
        r"\b(?:me|na|e|i) (?:con|cojne|coin|nxjerrin) (?:ne|per|me) (?:prostitucion|rrug)",
    ],
    "violence": [
        rf"\b(?:beat|beats|beating|beaten|hit|hits|hitting|hurt|hurts|hurting|rape|raped|raping|"
        rf"abuse|abuses|abusing|abused|attack\w*) {_ME}\b",
        rf"\b(?:threat\w*|kill|going to kill|will kill|gonna kill)\W+{_ME}\b",
        r"\b(?:will|going to|gonna|wants to|want to|threatens? to) (?:hurt|kill|beat|harm)\b",
        rf"\b{_SQ_OBJ}(?:rrah\w*|rreh\w*|rrih\w*|godit\w*|lendo\w*|kercen\w*|vras\w*|vrasin|vret|perdhun\w*|"
        rf"dhunoj\w*|dhunon|keqtrajt\w*)\b",
        r"\b(?:kercenim\w*|dhune|perdhunim)\b",
    ],
    "missing_or_trafficked": [
        r"\b(?:is|are|went|gone|has been|have been|been|was|were|reported) missing\b",
        r"\bmissing (?:child|children|person|girl|boy|daughter|son|sister|brother|wife|husband|"
        r"mother|father|friend|relative)\b",
        r"\b(?:disappeared|kidnapp\w*|abduct\w*|vanished)\b",
        rf"\b(?:{_ME}|i|we|she|he|they) (?:am |is |are |was |were |has been |have been |got )?"
        r"(?:being |been )?trafficked\b",
        r"\b(?:is|are|was|were) being trafficked\b", r"\b(?:has|have) been trafficked\b",
        r"\b(?:u zhduk\w*|zhdukur|zhduket|rrembye\w*|rrembyer|rrembim\w*)\b",
        r"\b(?:motra|vellai|vella|djali|vajza|femija|femijet|gruaja|burri|nena|babai|shoqja|shoku)"
        r"\b(?:\W+\w+){0,2}?\W+(?:ka humbur|kane humbur|nuk gjendet|nuk po e gjej|s'e gjej)\b",
        rf"\b{_SQ_OBJ}(?:trafikuan|trafikuar|trafikojne|trafikon)\b",
        r"\b(?:jam|eshte|jane|osht|ashte|jemi) (?:e |i )?trafikuar\b",
        # a relative who has not come home, or cannot be found
        rf"\b{_KIN_EN}\b(?:\W+\w+){{0,3}}?\W+(?:hasn'?t|hasnt|has not|didn'?t|didnt|did not|never) "
        r"(?:come|came|returned|been|got) (?:back )?home\b",
        rf"\b{_KIN_EN}\b(?:\W+\w+){{0,12}}?\W+(?:can'?t|cannot|cant|couldn'?t|could not) (?:find|reach) "
        r"(?:her|him|them)\b",
        rf"\b{_KIN_SQ}\b(?:\W+\w+){{0,4}}?\W+(?:nuk|s') ?(?:\w+ )?(?:kthehet|eshte kthyer|osht kthy|u kthye|"
        r"ka ardhur|ka ardh|erdhi)\b",
        rf"\b{_KIN_SQ}\b(?:\W+\w+){{0,12}}?\W+(?:nuk|s') ?(?:e |i |ia )?(?:di|dime|dim|gjejme|gjej|gjejm) "
        r"ku (?:eshte|osht|ashte|jane|ndodhet|ndodhen|gjendet)\b",
        # a child taken away
        r"\b(?:took|taken) (?:away )?my (?:son|daughter|child|children|kids?|baby|boy|girl)\b",
        rf"\b{_SQ_OBJ}(?:mor|mori|moren|marre|marr) (?:djalin|vajzen|femijen|femijet|cunin|gocen|"
        r"foshnjen)\b",
    ],
    "danger_now": [
        r"\b(?:i am|i'?m|im|we are|we'?re|she is|he is|she'?s|he'?s) (?:\w+ )?in danger\b",
        r"\bin danger (?:right )?now\b",
        r"\b(?:jam|jemi|eshte|jane|osht|ashte) (?:\w+ )?(?:ne |n')rrezik\b",
        r"\b(?:kam|kemi|ka) frike (?:per jeten|se do (?:me|na) (?:vrasin|vras|rrahin))",
        r"\bne rrezik (?:tani|tash|per jeten)\b",
        r"\b(?:scared|afraid|terrified) (?:for my life|they will|he will|she will)\b",
        r"\bfrike se (?:do|po) (?:me|na)\b",
    ],
    "help_now": [
        r"^\W*(?:please |pls |plz )?(?:help me|help us|sos|save me|save us|emergency)"
        r"(?: please| pls| now)?\W*$",
        r"^\W*(?:ju lutem |te lutem )?(?:ndihme|ndihm|ndihmoni|me ndihmoni|me ndihmo|na ndihmoni|"
        r"shpetoni|me shpetoni|sos|urgjent|urgjence)(?: ju lutem| te lutem| tani| shpejt)?\W*$",
        r"\b(?:n+d+i+h+m+e*|h+e+l+p+)\s*!{2,}",  # "ndihmeee!!", "heeelp!!"
        r"\b(?:someone|somebody|anyone|anybody|dikush) (?:please |ju lutem )?(?:help|save|ndihmo\w*|"
        r"shpeto\w*) (?:me|us|mua|na)\b",
    ],
}

_COMPILED = {name: [re.compile(p) for p in patterns] for name, patterns in SIGNALS.items()}


def danger_signals(text: str) -> list[str]:
    """Names of the danger signals found in a message (empty when none)."""
    folded = fold(text)
    if not folded:
        return []
    return [name for name, patterns in _COMPILED.items() if any(p.search(folded) for p in patterns)]


def is_emergency(text: str) -> bool:
    """True when a message describes a person in danger now."""
    return bool(danger_signals(text))
