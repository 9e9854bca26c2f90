"""Rule-based danger detection, independent of the ML intent classifier.

A person whose passport was taken or who is locked in must get emergency numbers even when
the classifier is unsure, so these patterns run on every message (after folding, so that
"më kanë marrë" and "me kane marre" are the same) and can override the predicted intent.
They look for situations, not topics: "what is forced labour?" is a question, "they force me
to work" is an emergency.
"""

from __future__ import annotations

import re

from bot.situation import read_situation
from bot.text import fold

_ME = r"(?:me|us|her|him|them|my \w+|our \w+)"
# Documents, and the phone: taking it away is how people are cut off and controlled.
_DOCS_EN = r"(?:passports?|pasports?|documents?|papers|id cards?|ids|phones?|mobiles?)"
_DOCS_SQ = r"(?:pasaport\w*|dokument\w*|leternjoftim\w*|karten? e identitetit|letrat|telefon\w*|celular\w*)"
# The people someone writes to us about.
_KIN_EN = (r"(?:daughter|son|sister|brother|cousin|wife|husband|mother|father|mum|mom|dad|child|kid|"
           r"girl|boy|friend|niece|nephew)")
_KIN_SQ = (r"(?:motra|vellai|vella|djali|vajza|femija|femijet|gruaja|burri|nena|babai|shoqja|shoku|"
           r"kusheri\w*|mbesa|nipi|cuni|goca)")
# Albanian clitics before a verb: me/më, na, e, i, ma, m', po me ...
_SQ_OBJ = (r"(?:(?:po|do|kane|kan|ka|jane|jan)\s+)?(?:me|na|e|i|ma|ia|ua|na i|m'|n')\s*"
           r"(?:(?:kane|kan|ka|po|jane|jan)\s+)?")

# Grooming: secrecy, photos used as a threat, blackmail; or a child offered work, a trip or a
# meeting. It counts only when an unknown or online adult is part of it and a minor is
# concerned or pressure is used (_groomed).
_SECRECY = [
    r"\b(?:not to|don'?t|do not|never) tell (?:my|your|her|his|our|the) (?:parents|mum|mom|dad|mother|father|family)\b",
    r"\b(?:mos|te mos|mos u|mos i|mos ia) (?:\w+ )?(?:trego|tregosh|tregoj|thuaj|thuash|thuj|them)\w* "
    r"(?:\w+ )?(?:prinder\w*|nenes|nanes|babait|babes|familjes|shpis|askujt)\b",
    r"\b(?:hide|delete|keep secret|keep quiet about) (?:the|our|your|their|his)? ?"
    r"(?:chats?|messages|conversations?|texts)\b",
    r"\b(?:ta |t'i |te )?(?:fsheh|fshehe|fshehesh|fshije|fshish)\w* (?:biseden|bisedat|mesazhet|chatin)\b",
]
_PRESSURE_PATTERNS = [
    r"\b(?:send|share|post|show)\w* (?:my|her|his|the|your)?\s*(?:photos|pics|pictures|nudes|videos?)\b"
    r"(?:\W+\w+){0,3}?\W+(?:to everyone|everyone|online|if)",
    r"\b(?:shperndaj|shperndane|postoj|poston|dergoj|dergon|publikoj|publikon)\w* (?:\w+ )?(?:fotot|fotografit\w*|"
    r"videot|videon)\b",
    r"\b(?:blackmail\w*|sextort\w*|shantazh\w*|me shantazhon|me kercenon me fotot)\b",
]
_OFFER = (r"\b(?:job|work|modell?ing|model|pune|pun|modele|modelle|ticket|bilet\w*|trip|udhetim|meet|takoj|takohemi|"
          r"run away|ikim bashke|ike me te|shkoj me te|get in (?:his|the) car|makin\w*|girlfriend|e dashur)\b")

SIGNALS: dict[str, list[str]] = {
    "documents_taken": [
        rf"\b(?:took|taken|takes|kept|keeps|keeping|holds|holding|confiscated|"
        rf"seized|hid|hidden|won'?t (?:give|return))\b(?:\W+\w+){{0,3}}?\W+{_DOCS_EN}",
        rf"\b(?:they|he|she|boss|employer|manager|owner|smugglers?)\s+(?:\w+\s+){{0,2}}?(?:take|keep|hold)\b"
        rf"(?:\W+\w+){{0,2}}?\W+{_DOCS_EN}",
        rf"\b{_DOCS_EN}\W+(?:\w+\W+){{0,3}}(?:taken|confiscated|kept|seized)\b",
        rf"\b{_SQ_OBJ}(?:mor|mori|moren|morrn|marre|marr|mbajne|mban|mbajn|konfiskuan|"
        rf"konfiskuar|fshehen)\b(?:\W+\w+){{0,3}}?\W+{_DOCS_SQ}",
        rf"\b(?:mori|moren|morën|konfiskoi|konfiskuan)\W+(?:\w+\W+){{0,2}}{_DOCS_SQ}",
        rf"\b{_DOCS_SQ}\W+(?:\w+\W+){{0,3}}(?:kane marre|kan marr|ka marre|ka marr|mbajne|mban|"
        rf"konfiskuar|nuk (?:ma|na|ia|ja|m'i|na i) (?:kthen|kthejne|japin|jep))\b",
    ],
    "confined": [
        rf"\block(?:ed|ing|s)? {_ME}\b", r"\blocked (?:in|up|inside|ne|n')\b",
        r"\b(?:jam|jemi|i'?m|im|i am|we'?re|we are) locked\b",
        r"\b(?:have|has|got|keep|kept) (?:me|us|her|him) locked\b",
        rf"\b(?:won'?t|will not|wont|doesn'?t|don'?t|do not|does not|not) (?:let|allow) {_ME}\b"
        r"(?:\W+\w+){0,3}?\W+(?:leave|go|out|outside)",
        r"\b(?:not allowed to|can'?t|cannot|unable to) (?:escape|run away)\b",
        r"\b(?:i|we|she|he) (?:am |are |is )?(?:not allowed to|can'?t|cannot|cant|am not able to|are not able to) "
        r"(?:leave|get out|go out)\b(?! (?:my|the|this) (?:job|work|country|house anymore))",
        r"\b(?:in|inside) the (?:boot|trunk) of (?:a|the|his|their) (?:car|van)\b",
        r"\b(?:grabbed|snatched|pulled|dragged) (?:me|her|him|us)\b(?:\W+\w+){0,3}?\W+(?:car|van|into|outside)\b",
        r"\b(?:keep|keeping|kept|holding|held) (?:me|us|her|him) (?:prisoner|captive|inside|locked)\b",
        rf"\b{_SQ_OBJ}(?:mbyll|mbyllin|mbyllen|mbyllur|myll|myllin|myllen|myllur)\b",
        r"\b(?:me|na|e|i|m'|n')\s*(?:kane |kan |po )?(?:mbajne|mbajn|mbajtur|mbanin|mbajten|mbajti|mban)\b"
        r"(?:\W+\w+){0,2}?\W+(?:ne|n') ?(?:nje |nji )?(?:sere|magazin\w*|dhom\w*|bodrum\w*|banes\w*|shtepi\w*|"
        r"ferm\w*|kontejner\w*|kamion\w*|hotel\w*|lokal\w*|apartament\w*|punishte\w*|kasolle\w*)",
        r"\b(?:me|na|e|i) (?:mbajne|mbajn|mban|kane mbajtur) (?:te |të )?mbyll\w*",
        r"\b(?:nuk|s'|s) ?(?:me|na|e|i|m') ?(?:le|lene|lejojne|lejon|lejne|len|lshojne|lshojn|lojn|lojne|lon|lone)\b"
        r"(?:\W+\w+){0,2}?\W+(?:te|me|per te)?\s*(?:dal|dalim|dale|ike|ikim|iki|shku|shkoj|largohem|"
        r"largohemi|dil)",
        r"\b(?:haven'?t|have not|havent|hasn'?t|has not) been (?:outside|out)\b",
        r"\block(?:s|ed)? the doors?\b(?:\W+\w+){0,3}?\W+(?:night|every|us|me|from outside)",
        r"\b(?:dera|deren|dyert)\b(?:\W+\w+){0,2}?\W+(?:mbyllet|mbyllin|e mbyllin|i mbyllin)\b"
        r"(?:\W+\w+){0,2}?\W+(?:jashte|naten|cdo)",
        r"\b(?:won'?t|will not|wont|don'?t|do not|not) (?:let|release) (?:us|me|them|her|him) go\b",
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
        r"\b(?:can'?t|cannot|not allowed to) (?:come|go) (?:back )?home\b(?:\W+\w+){0,3}?\W+(?:owes?|debt)\b",
    ],
    "forced": [
        rf"(?<!allowed to )(?<!legal to )(?<!right to )\b(?:forc\w*|mak\w*|push\w*) {_ME} (?:to )?"
        r"(?:work|sell|sleep|have sex|beg|steal|prostitut)",
        r"\b(?:forced to beg|to beg (?:on|in) the streets?|(?:ta|t'i|te|me) (?:lene|lene te|len|coje|cojne) "
        r"(?:te |me )?lyp\w*|te lype|te lypin|lyp\w* ne rruge)\b",
        r"\b(?:forced|forcing|being forced|been forced|force) (?:to|into) (?:work|sell|prostitut|"
        r"sex|beg|steal|marr)",
        rf"\b(?:forc\w*|push\w*|sell\w*) {_ME} (?:into|in) (?:prostitut|sex|marriage|slavery)",
        rf"\b{_SQ_OBJ}(?:detyroj\w*|detyron\w*|detyruan|shtrengoj\w*|shtrengon)\b",
        r"\b(?:kane|kan|ka|jane|jan|eshte|osht|jam|jemi) (?:\w+ )?(?:detyruar|detyru)\b"
        r"(?! (?:ta|te|me|t'i|t'a) (?:pagu\w*|paguaj|kthej\w*|plotes\w*|deklar\w*))",
        r"\b(?:sell|selling) (?:my|her|our|their) bod(?:y|ies)\b",
        r"\b(?:me|na|e|i) (?:con|cojne|coin|nxjerrin) (?:ne|per|me) (?:prostitucion|rrug)",
    ],
    "violence": [
        rf"(?<!without )\b(?:beat|beats|beating|beaten|hit|hits|hitting|hurt|hurts|hurting|rape|raped|raping|"
        rf"abuse|abuses|abusing|abused|attack\w*) {_ME}\b",
        r"\bbeaten up\b",
        r"\b(?:broke|broken|breaks) (?:his|her|my|their|our) (?:arm|leg|nose|hand|ribs?|jaw|fingers?)\b",
        r"\b(?:hit|hits|beat|beats|punched|kicked) (?:one of|another|a|the) (?:men|man|workers?|boys?|girls?)\b",
        r"\b(?:i|ia|ja|na|me) (?:theu|thyen|thyejne)\b",
        rf"\b(?:threat\w*|kill|going to kill|will kill|gonna kill)\W+{_ME}\b",
        r"\b(?:will|going to|gonna|wants to|want to|threatens? to|threatened to) (?:hurt|kill|beat|harm|break|cut|burn|"
        r"stab|shoot|disfigure|smash)\b",
        r"\bdo (?:me|na|ma|ta|t'i|t'ia|ia|ua|i|e|te) (?:\w+ )?(?:prishin|prish|bejne keq|bej keq|bojne keq|boj keq|"
        r"demtojne|vrasin|vras|thyejne|therin|djegin|qellojne)\b",
        r"\b(?:po |do )?(?:me|na|m') ?(?:kane |kan |ka |po )?kercen\w*\b(?! me (?:perjashtim|gjobe|pushim|padi|gjyq))",
        rf"\b{_SQ_OBJ}(?:rrah\w*|rreh\w*|rrih\w*|godit\w*|lendo\w*|vras\w*|vrasin|vret|perdhun\w*|mbysin|mbytin|"
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
        rf"\b{_KIN_SQ}\b(?:\W+\w+){{0,20}}?\W+telefon\w* (?:\w+ )?(?:eshte |osht )?(?:i )?fikur\b",
        rf"\b{_KIN_EN}\b(?:\W+\w+){{0,20}}?\W+phone (?:is|has been|was|'s been) (?:off|switched off|dead)\b",
        # a ransom, or money demanded to release someone
        r"\b(?:ransom|shpengim\w*)\b",
        r"\b(?:duan|kerkojne|kerkojn|kerkon|do)\b(?:\W+\w+){0,5}?\W+\d+\s*(?:euro|eur|paund|pound|dollar\w*|lek\w*)\b"
        r"(?:\W+\w+){0,6}?\W+(?:(?:ta|t'i|t'a|te|me|na|qe ta|qe te) (?:leshojne|lshojne|lirojne|leshoj|lirojn|lshojn)|"
        r"perndryshe|perndryshe e)",
        r"\b(?:demand\w*|asking for|ask for|want|wants)\b(?:\W+\w+){0,4}?\W+(?:\d+\s*(?:euros?|pounds?|dollars?)|"
        r"(?:more )?money)\b(?:\W+\w+){0,6}?\W+"
        r"(?:or (?:they|he|she)(?:'ll| will)|to (?:release|let (?:him|her|them|me) go))",
        # a child taken away
        r"\b(?:took|taken) (?:away )?my (?:son|daughter|child|children|kids?|baby|boy|girl)\b",
        rf"(?<!t')(?<!te )(?<!per )\b{_SQ_OBJ}(?:mor|mori|moren|marre|marr) (?:djalin|vajzen|femijen|femijet|"
        r"cunin|gocen|foshnjen)\b(?! me vete)",
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
    "person_sold": [  # a person, often a child, sold or offered for money
        r"\b(?:is|are|was|were|being|been|get|got|getting)\s+(?:being\s+)?sold\b",
        rf"\b(?:sold|selling|sells|sell|to sell|wants to sell|trying to sell)\s+(?:her|his|my|our|their|a|an|the|this)"
        rf"\s+(?:\w+\s+){{0,3}}?(?:{_KIN_EN}|children|baby|wife|woman|women|girls|boys|kids)\b",
        r"\bsold (?:me|us|her|him|them)\b(?!\s+(?:a|an|the|some|his|her|my|our|their|this|that|it|fake|tickets?)\b)",
        r"\b(?:e|i|me|na|ma|ia|ja|t'i|ta)\s+(?:kane\s+|kan\s+|ka\s+|po\s+|do\s+t[ae]\s+|duan\s+t[ae]\s+)?"
        r"(?:shiti|shiten|shitur|shesin|shet|shese|shitin|shesim)\b(?:\W+\w+){0,3}?\W+"
        r"(?:vajz\w*|motr\w*|femij\w*|goc\w*|cun\w*|djal\w*|nuse\w*|grua\w*|mbes\w*|kusheri\w*|burr\w*|"
        r"njerez\w*|disa|per para|per leke|te huaj\w*)",
        r"\b(?:vajz\w*|motr\w*|femij\w*|goc\w*|cun\w*|djal\w*|mbes\w*)\b(?:\W+\w+){0,4}?\W+"
        r"(?:u shit|eshte shitur|jane shitur|po shitet|po shiten|shitet|shiten|e shiten|e shiti|e kane shitur|"
        r"do ta shesin|do ta shese|do t'a shesin)\b",
        r"\b(?:me|na) (?:kane |kan |ka )?(?:shiten|shiti|shitur|shesin)\b",
        r"\b(?:femij\w*|foshnj\w*|beb\w*)\b(?:\W+\w+){0,2}?\W+(?:do ta|do t'a|po e|e) (?:shesin|shese|shitin)\b",
        r"\b(?:e|i|po e|do e|do ta|po i)\s*(?:jep|japin|dha|dhane|jepin)\b(?:\W+\w+){0,12}?\W+per (?:para|leke|\d+)",
        r"\b(?:offer\w*|giv\w*|hand\w*)\b(?:\W+\w+){0,8}?\W+"
        r"(?:to men|for sex|to (?:a|an|some) (?:older )?m[ae]n for money)\b",
        r"\b(?:marry|marriage|martes\w*|marto\w*)\b(?:\W+\w+){0,8}?\W+(?:for money|in exchange for money|per para|"
        r"per leke|per \d+\s*(?:euro|lek\w*))",
        r"\barranged for (?:her|him|me) to marry\b",
    ],
    "sextortion": [  # intimate images used as a threat
        r"\b(?:nudes?|naked|intimate|sexual|private|explicit)\s+(?:photos?|pics?|pictures?|videos?|images?)\b"
        r"(?:\W+\w+){0,14}?\W+(?:unless|or else|otherwise|if (?:i|she|he|we) (?:don'?t|doesn'?t|do not|does not))\b",
        r"\b(?:threaten\w*|going to|gonna) (?:to )?(?:send|post|share|show|leak)\w* (?:my|her|his|the|our)?\s*"
        r"(?:\w+\s+)?(?:photos?|pics?|pictures?|videos?|nudes)\b",
        r"\b(?:foto\w*|video\w*)\b(?:\W+\w+){0,10}?\W+(?:perndryshe|nese nuk|po s'|po nuk|ne mos)\b",
        r"\b(?:blackmailing|blackmailed|blackmails|sextort\w*|shantazhoj\w*|shantazhon|shantazhuan|"
        r"po (?:me|e|na) shantazh\w*)\b",
    ],
    "minor_groomed": [*_SECRECY, *_PRESSURE_PATTERNS, _OFFER],  # counted only with a stranger (_groomed)
    "boat_in_distress": [  # counted only when a boat is named (_COMPANIONS)
        r"\b(?:water|uj[ei]\w*)\b(?:\W+\w+){0,3}?\W+(?:coming in|getting in|pouring in|hyn|po hyn|futet|po futet)\b",
        r"\b(?:po )?(?:hyn|futet|fut) uj[ei]\b", r"\b(?:taking (?:on )?water|mbushet me uj\w*|po mbushet)\b",
        r"\b(?:engine (?:stopped|died|failed|broke)|motori (?:u fik|u prish|nuk punon|ndaloi)|drifting|"
        r"no water left|mbaroi uji|pa uje)\b",
        r"\b(?:sinking|is sinking|po fundoset|po mbytet|capsiz\w*|u permbys\w*|flipped|overturned|turned over|"
        r"in the water)\b",
    ],
    "vehicle_distress": [  # counted only when a lorry, van or container is named (_COMPANIONS)
        r"\b(?:air is bad|no air|hard to breathe|too hot|freezing|so cold|vomiting|ajri|shume ftohte|shume nxehte|"
        r"po ngrijme|po vjellin|po vjell)\b",
    ],
    "child_abused": [  # a child with signs of abuse or sexual exploitation, seen by someone else
        r"\b(?:different|many|several|strange|older|unknown) men (?:come and go|coming and going|visit\w*|come to|"
        r"going in|go in)\b",
        r"\bburra (?:te ndryshem |te huaj |te panjohur )?"
        r"(?:vijne e ikin|hyjne e dalin|vijne dhe ikin|hyjne dhe dalin)\b",
        r"\bdropped off (?:at night |every night )?by (?:different|older|many|several|strange) men\b",
        r"\bmen (?:come|came|comes) (?:and )?(?:take|took|get|pick up) (?:him|her|them) (?:out )?"
        r"(?:at night|every night)\b",
        r"\b(?:e|i) (?:con|cojne|merr|marrin|nxjerr|nxjerrin)\b(?:\W+\w+){0,4}?\W+cdo nate\b(?:\W+\w+){0,4}?\W+"
        r"(?:burr\w*|njerez\w*)",
    ],
    "weapon": [
        r"\b(?:has|have|had|with|holding|pulled|got|carrying)\s+(?:a\s+)?(?:knife|gun|pistol|weapon|machete|blade|"
        r"shotgun|rifle)\b",
        r"\b(?:pushk\w*|kallash\w*|shotgun)\b",
        r"\b(?:ka|me|mban|nxori|kishte)\s+(?:nje\s+)?(?:thike|thiken|arme|armen|pistolete|pistoleten|kobure|koburen)\b",
    ],
    "self_harm": [
        r"\b(?:kill myself|end my life|ending my life|take my (?:own )?life|suicid\w*|don'?t want to live|"
        r"do not want to live|want to die|wanna die)\b",
        r"\b(?:thinking|think|thought|thoughts)\s+(?:about|of)\s+(?:ending it|ending my life|killing myself|dying)\b",
        r"\b(?:kill (?:himself|herself|themselves)|(?:going to|gonna|will|i'?ll|want to) jump\b)",
        r"\b(?:vras\w* veten|vret veten|dua (?:vetem )?te vdes|du (?:vetem )?me dek|do hidhem|te hidhem nga)\b",
        r"\b(?:vetevras\w*|te vras veten|me vra veten|me vrare veten|dua te vdes|du me dek|"
        r"nuk dua (?:me|te) (?:te )?jetoj|"
        r"nuk du me jetu|s'dua te jetoj)\b",
        r"\bt'?i jap fund(?:\W*$| jetes| vetes| sonte| tani)",
    ],
    "life_threat": [  # people who cannot breathe, a boat taking water, a person followed
        r"\b(?:can'?t|cannot|cant|not able to|unable to|can not) breathe\b", r"\bno air\b",
        r"\b(?:nuk|s') ?(?:po )?(?:marr|marrim|marrin|merr) (?:dot )?fryme\b",
        r"\b(?:suffocat\w*|unconscious|not waking up|won'?t wake up|passed out|lost consciousness|"
        r"humb\w* ndjenj\w*|pa ndjenja|nuk zgjohet|s'zgjohet)\b",
        r"\b(?:na lane|na lan|na braktis\w*|left us|abandoned us|dropped us|dumped us)\b(?:\W+\w+){0,4}?\W+"
        r"(?:pyll\w*|mal\w*|kufi\w*|rrug\w*|forest|woods|mountains?|border|road|lay-by|desert|snow|bore)",
        r"\b(?:dropped|abandoned|left) by (?:the )?smugglers\b",
        r"\b(?:the (?:men|people|ones|guys)|those|ata|burrat|ata njerez) (?:who|that|qe) "
        r"(?:held|kept|trafficked|sold|locked|me mbanin|na mbanin|me mbyllen|me shiten|me trafikuan)\b",
        r"\bwhere (?:they|he) (?:kept|held|locked) (?:me|us)\b(?:\W+\w+){0,6}?\W+"
        r"(?:looking for|after|found) (?:me|us)\b",
        r"\b(?:makin\w*|burr\w*|dikush|ata)\b(?:\W+\w+){0,2}?\W+(?:po )?(?:me|na) (?:ndjek|ndjekin|ndiqte)\w*",
        r"\b(?:sinking|drowning|po mbytemi|po fundosemi)\b",
        r"\b(?:someone|somebody|a man|a guy|a car|he|they)\s+(?:is|are|has been|have been|keeps?)\s+"
        r"(?:following|followed|stalking) (?:me|us|her)\b",
        r"\b(?:po|me|na) (?:me |na )?(?:ndjek|ndjekin|ndiqte)\w*\b(?:\W+\w+){0,3}?\W+"
        r"(?:burr\w*|makin\w*|dikush|djal\w*)",
        r"\b(?:forced|forcing|force|make|making|made)\s+(?:me|her|him)\s+(?:to\s+)?marry\b|\bforced marriage\b",
        r"\b(?:fejuar|fejuan|fejojne|martuar|martojne|martoj|martohem)\w*\b(?:\W+\w+){0,4}?\W+me (?:zor|force|dhune)\b",
        r"\bme zor\b(?:\W+\w+){0,4}?\W+(?:fejuar|martuar|martese|nuse)\w*",
    ],
}

# "she told me not to tell my parents about the party" is not grooming; "I'm 14, a guy on
# Snapchat has a modelling job for me" is.
_STRANGER = re.compile(r"\b(?:online|internet|snapchat|snap|instagram|insta|tiktok|facebook|fb|telegram|whatsapp|"
                       r"discord|a man|a guy|an older|older (?:man|guy|boy)|stranger|someone i met|i met him|"
                       r"i panjohur|nje burre|nje djale|nji burr\w*|nji djal\w*|ne internet|ne instagram|ne tiktok|"
                       r"ne facebook|met (?:online|on \w+)|e njohu online|qe e njohu|\d\d[- ]?(?:year[- ]old|yr old|"
                       r"vjec\w*) (?:man|guy|burr\w*))\b")
_PRESSURE = re.compile("|".join(_PRESSURE_PATTERNS))
_SECRET = re.compile("|".join(_SECRECY))
_COMPILED = {name: [re.compile(p) for p in patterns] for name, patterns in SIGNALS.items()}


def _groomed(folded: str) -> bool:
    """An unknown or online adult, and pressure, a minor, or secrecy from the parents."""
    if not _STRANGER.search(folded):
        return False
    return bool(_PRESSURE.search(folded) or _SECRET.search(folded)) or read_situation(folded).minor


# Signals that count only beside a second sign: water coming in is a danger on a boat, not in a
# flat; screaming is a danger when someone hears a child next door, not one's own at bedtime.
_COMPANIONS = {
    "boat_in_distress": re.compile(r"\b(?:boat|dinghy|gomon\w*|varke\w*|varka|anije\w*|barke\w*|det\w*|sea|channel|"
                                   r"kanal\w*|lundr\w*|lampedus\w*)\b"),
    "vehicle_distress": re.compile(r"\b(?:kamion\w*|lorry|lorries|truck|container|kontejner\w*|van|furgon\w*|"
                                   r"frigorifer\w*|boot|trunk|bagazh\w*)\b"),
}
# Signals that do not count beside these words when nothing else is wrong: a border guard
# checking a passport, a teacher keeping a phone, a parcel gone missing.
_UNLESS = {
    "documents_taken": re.compile(r"\b(?:border guards?|border police|customs|the police|police officer|teacher|"
                                  r"airline|check(?:ing)? it|policia|policise|kufiri|dogan\w*|mesues\w*)\b"),
    "missing_or_trafficked": re.compile(r"\b(?:parcel|package|luggage|suitcase|bag|letter|payment|transfer|money|"
                                        r"pako\w*|valixh\w*|bagazh\w*|leter\w*|transfert\w*|pages\w*|para)\b"),
}
_PERSON = re.compile(rf"\b(?:{_KIN_EN}|{_KIN_SQ}|people|person|njeri\w*|veta)\b")
_NEXT_DOOR = re.compile(r"\b(?:i hear|i can hear|i heard|we hear|next door|next to (?:mine|us|me)|neighbou?r\w*|"
                        r"fqinj\w*|"
                        r"on my street|in my street|across the street|ne rrugen time|siper meje|poshte meje|perballe|"
                        r"ngjitur|degjoj|degjojme|in the flat|in the house|ne apartament\w*|"
                        r"ne shtepine (?:tjeter|perballe))\b")
# Signs that someone is hurting a child, which count when a child is concerned.
_CHILD_HARMED = re.compile(r"\b(?:scream\w*|crying for help|cries for help|never goes (?:to|out)|"
                           r"pulled (?:her|him) back|"
                           r"begging not to|left alone for days|qan|qante|"
                           r"doesn'?t go to school|never (?:at|in) school|chained|bruises|bertet|bertas|"
                           r"qan(?: cdo)? nat\w*|nuk shkon (?:ne|n') "
                           r"shkolle|s'shkon (?:ne|n') shkolle|me shenja)\b")
_CHILD = re.compile(r"\b(?:girl|boy|child|kid|little|vajz\w*|djal\w*|femij\w*|goc\w*|cun\w*)\b")


def _child_harmed(folded: str) -> bool:
    return (bool(_CHILD_HARMED.search(folded) and _CHILD.search(folded) and _NEXT_DOOR.search(folded))
            and read_situation(folded).minor)


def danger_signals(text: str) -> list[str]:
    """Names of the danger signals found in a message (empty when none)."""
    folded = fold(text)
    if not folded:
        return []
    found = [name for name, patterns in _COMPILED.items() if any(p.search(folded) for p in patterns)]
    if "minor_groomed" in found and not _groomed(folded):
        found.remove("minor_groomed")
    found = [name for name in found if name not in _COMPANIONS or _COMPANIONS[name].search(folded)]
    if len(found) == 1 and found[0] in _UNLESS and _UNLESS[found[0]].search(folded) and not (
            found[0] == "missing_or_trafficked" and _PERSON.search(folded)):
        found = []
    if "child_abused" not in found and _child_harmed(folded):
        found.append("child_abused")
    return found


def is_emergency(text: str) -> bool:
    """True when a message describes a person in danger now."""
    return bool(danger_signals(text))
