"""Which sentences carry the answer, and whether any do.

For each retrieved passage the sentences are scored by how much of the
question's key terms they hold (weighted by rarity in the corpus), by whether
they hold the kind of thing asked for (a number for "how many", a date for
"when", a name for "who") and by the passage's retrieval rank. The best few
become the LLM's context and the extractive answer. The question is refused
when no passage holds enough of what it asks about: decided from this evidence,
not from a similarity threshold (MiniLM scores on-topic unanswerable questions
as high as answerable ones).
Not here: calling an LLM or checking what it wrote (verify.py).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, replace

from index.chunking import OPENS_QUOTE, leans_back, sentences
from index.text import QUESTION_WORDS, STOPWORDS, fold, stem, tokens, words

from .question import (ASKS_NOW, CALENDAR, DAYS_AGO, GENERIC_ASKING, LOOKS_AHEAD, MONTH_NAMES, WEEKDAY, WEEKDAY_NAMES, Constraint,
                       Context, Query, calendar_date, days, detached, failed, focus_terms, grounded, parse,
                       said_instead, sides, sides_held, years)
from .types import Passage

# Words so common in questions about any news story that they carry no evidence.
GENERIC = frozenset(stem(w) for w in """
happen happened event events news report reported story article
summarise summarize summary overview recap rundown tl dr brief short everything whole following
""".split())

_DATE = re.compile(r"\b(" + MONTH_NAMES + r")\b(\s+\d{1,2})?|\b(19|20)\d{2}\b|"
                   r"\b(" + WEEKDAY_NAMES + r"|yesterday|today|tomorrow|"
                   r"last (week|month|year)|next (week|month|year))\b")
_NUMBER = re.compile(r"\b\d[\d,.]*\b|\b(one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|"
                     r"thirty|forty|fifty|hundred|thousand|million|billion|half|third|quarter|fifth|dozen)\b", re.I)
_PLACE = re.compile(r"\b(in|at|on|from|to|near|along) (the )?[A-Z\u0130][a-z\u00e0-\u024f]+")
_PLACE_NAMED = re.compile(r"\b(?:in|at|on|from|to|near|along) (?:the )?([A-Z\u0130][\w\u00e0-\u024f-]*(?:\s[A-Z\u0130][\w\u00e0-\u024f-]*)*)")
# a capitalised word inside a sentence (not its first, nor the first of a quotation that opens it)
_NAME = re.compile(r"(?<![.!?]\s)(?<!^)(?<!^[\"\u201c\u2018'])\b[A-Z\u0130][a-z\u00e0-\u024f]+(?:\s[A-Z\u0130][a-z\u00e0-\u024f]+)*")
# Sentences that address a machine rather than report news: never quoted, never given to the LLM.
INJECTION = re.compile(
    r"\b(ignore|disregard|forget)\b.{0,40}\b(instruction|question|prompt|previous|above|rules)|"
    r"\b(system prompt|api key|you are (now )?an? (ai|assistant|language model))\b|\breply (only )?with\b|"
    r"\b(for|to) (the|any) (assistant|chatbot|language model|ai|llm|model) (reading|summari[sz]ing|processing)\b",
    re.I)
_INSTRUCTION_Q = re.compile(
    r"^\s*(ignore|disregard|forget|pretend|act as|you are now|write (me )?an? (poem|song|story|essay|joke|haiku|code|"
    r"program|script)|translate|summari[sz]e the (internet|web)|print|reveal|show me (your|the) (system|prompt|"
    r"configuration|config|api|key|settings))|\b(system prompt|api key|your instructions|your configuration|"
    r"jailbreak|developer mode)\b", re.I)


@dataclass(frozen=True)
class Unit:
    """One or two consecutive sentences of a passage, as quoted or shown to the LLM."""

    passage: int          # index into the answer's passages
    source: str
    start: int            # article offsets
    end: int
    text: str
    score: float
    coverage: float       # share (by weight) of the question's key terms it holds
    has_type: bool        # holds the kind of thing asked for
    failed: tuple = ()    # the question's constraints it does not match (another year, edition...)
    meaning: float = 0.0  # cosine of the unit and the question
    sides: tuple = ()     # which of the things the question compares it is about (rag.question.sides)


@dataclass(frozen=True)
class Evidence:
    units: list[Unit]           # the units that may answer (every constraint matched), best first
    coverage: float             # best passage-level coverage
    answer_type: str | None
    key_terms: dict[str, float]  # stemmed term -> weight
    refuse: bool
    reason: str
    closest: Unit | None = None  # when refused: the unit nearest to an answer, which does not answer
    near_miss: bool = False      # refused because the evidence is about another year, edition, person
    query: Query | None = None
    compound: bool = False       # a question of several parts: its scores are diluted, weakness proves less
    focus: frozenset = frozenset()  # the question's specific words (stems): what sets its answer apart
    compared: int = 0           # a comparison: its first `compared` units answer for each thing compared
    contradicts: bool = False   # the question's premise is the opposite of what the best unit says

    def addresses(self, text: str) -> bool:
        """Does `text` hold one of the question's specific words (or, with none, anything)?"""
        return not self.focus or any(_mentions(set(tokens(text)), t) for t in self.focus)

    @property
    def decisive(self) -> bool:
        """Strong of its kind whatever its score: both sides of a comparison found, or the best
        unit states the sum, share, age or duration asked for."""
        return bool(self.compared) or (self.answer_type in STRICT_TYPES and bool(self.units)
                                       and self.units[0].has_type)


# "who" asks who, unless the question is asked by another question word and "who" opens a
# relative clause ("what did she offer teachers who go to rural schools?")
_ASKS_WHO = re.compile(r"^(?!\s*(?:and\s+|so\s+|but\s+)?(?:what|which|how|when|where|why)\b).*\b(who|whom|whose)\b|"
                       r"(?:^|[,;]\s*|\b(?:and|or)\s+)(?:who|whom|whose)\b|\b(?:by|to|with|for|from) whom\b")


# "what started the fire?", "what caused the delay?", "what was the cause of the crash?"
_ASKS_CAUSE = re.compile(r"\bwhat (?:\w+ )?(?:started|caused|causes|sparked|triggered|set off)\b|"
                         r"\b(?:what|which) (?:was|is|were|are) (?:the )?(?:main |likely |probable )?causes? of\b", re.I)
# a sentence that says what caused something ("the cause" alone is not one: "we will not
# speculate on the cause")
_CAUSE = re.compile(r"\b(?:caused|causing|causes? (?:of|was|is|were)|because|due to|blam(?:e|es|ed|ing)|"
                    r"(?:started|sparked|triggered|set off) by|result(?:ed)? (?:of|from)|traced to|linked to|"
                    r"stemm(?:ed|ing) from|owing to|faulty|fault)\b", re.I)
# a time of day ("at 7:40 p.m.", "9 a.m.", "noon") or a time taken ("2 hours 8 minutes", "5:58.2")
_CLOCK = re.compile(r"\b\d{1,2}[:.]\d{2}\b|\b\d{1,2}\s?[ap]\.?m\b|\b(?:noon|midday|midnight)\b|"
                    r"\b\d+\s?(?:hours?|hrs?|minutes?|mins?|seconds?|secs?)\b", re.I)


def answer_type(question: str) -> str | None:
    """The kind of thing the question asks for, from its wording."""
    q = question.lower()
    if re.search(r"\bhow old\b|\bwhat age\b|\bage of\b", q):
        return "age"
    if re.search(r"\bhow much\b.*\b(cost|costs|pay|paid|spend|spent|price|worth|budget|money|revenue|profit|"
                 r"prize|fine|fined|earn|earned|raise|raised|fare|fares|fee|fees|ticket|tickets|charge|charged)\b|"
                 r"\b(cost|price|budget)\b.*\bhow much\b|"
                 r"\bwhat (?:does|did|do|will|would)\b(?!.*\b(?:say|said)\b).*\bcost\b|"
                 r"\bwhat (?:is|was|are|were|will be) the (?:\w+ )?(?:cost|price|fare|fee)s?\b|"
                 r"\bhow much (?:did|does|do|will|would|has|have|had) (?:[\w'\u2019-]+\s+){1,5}?(?:win|won|receive|received|"
                 r"take home|taken home|get|got|collect|collected|pocket|pocketed|make|made)\b(?! by\b)", q):
        # "how much is the fare?", "what did the stadium cost?", "what was the ticket price?", and
        # what someone got: "how much did the champion win / take home / get for the title?"
        return "money"
    if not re.search(r"\bwho\b", q) and _ASKS_PAY.search(q):
        return "money"      # "what is the governor paid?", "her salary", "what transfer fee ..."
    if re.search(r"\bwhat (percentage|share|proportion|portion|per ?cent)\b|\bhow many (per ?cent|percent)", q):
        return "percent"
    if re.search(r"\bhow (?:hot|cold|warm)\b|\bwhat (?:was|is|were) (?:the )?(?:\w+ )?temperatures?\b|"
                 r"\bhow high did (?:the )?(?:\w+ )?temperatures?\b", q):
        return "temperature"
    if re.search(r"\bhow heavy\b|\bhow much (?:does|did|do|will)\b.{0,40}\bweigh\b|\bwhat (?:is|was) the weight\b", q):
        return "weight"
    if re.search(r"\bhow (?:deep|wide|tall|far)\b|\bwhat (?:is|was|are|were) the (?:depth|width|height|length|distance)\b|"
                 r"\bhow long\b.*\bin (?:kilo)?met(?:re|er)s\b|\bhow long\b.*\bin (?:miles|feet)\b", q):
        return "length"
    if re.search(r"\bhow long (?:is|was|are|were) (?:the|its|their|a|an)\b", q):
        return "extent"     # "how long is the runway?" or "how long is the lease?": a length or a duration
    if re.search(r"\bhow long\b(?! ago)|\bhow many (seconds|minutes|hours|days|weeks|months|years|decades)\b", q):
        return "duration"
    if re.search(r"\bhow many\b", q):
        return "count"
    if re.search(r"\bhow much\b|\bwhat number\b|\bhow large\b", q):
        return "number"
    if re.search(r"\bwhat time\b(?! of (?:the )?(?:year|day|season|month))", q):
        return "clock"      # "What time did the race start?": a time of day (or a race's time), not a day
    if re.search(r"\b(what|which) year\b", q):
        return "year"       # "In what year was the prize set up?": a year, not a weekday
    if re.search(r"\b(what|which) (date|day)\b", q):
        return "day"        # "On what date / what day did it open?": a day of a month (or a weekday, told as one)
    if re.search(r"(^|[,;]\s*|\b(and|so|but|since|until)\s+)when\b|\b(what|which) (time|month)\b", q):
        return "date"
    if _ASKS_WHO.search(q) or _ASKS_SPEAKER.search(q):
        return "name"       # (and "which analyst said ...?": the one who said it)
    if _ASKS_CAUSE.search(q):
        return "cause"      # "what started the fire?": a sentence saying what caused it
    if re.search(r"^\s*(and\s+)?where\b|\bwhere (in|at|did|was|were|is|are|will)\b|\bwhich (city|country|place|venue)\b", q):
        return "place"
    if _SAYING.search(q):
        return "quote"
    return None


# Words whose opposite, said by the articles, corrects a question's premise ("Why did the council
# reject the wall?" -> "The council approved the flood wall"). Each group is the opposite of the other.
_OPPOSED = [
    ("increase increased raise raised rise rose risen grow grew higher more up gain gained", "reduce reduced cut cuts "
     "lower lowered decrease decreased fall fell fallen drop dropped shrink shrank less fewer down"),
    ("win won beat victory", "lose lost defeat defeated"),
    ("approve approved accept accepted back backed pass passed agree agreed", "reject rejected refuse refused "
     "oppose opposed block blocked"),
    ("open opened start started begin began launch launched", "close closed end ended finish finished stop stopped "
     "halt halted"),
    ("hire hired appoint appointed", "fire fired sack sacked dismiss dismissed"),
    ("join joined", "leave left quit"),
    ("buy bought", "sell sold"),
    ("convict convicted guilty", "acquit acquitted cleared"),
    ("uphold upheld", "overturn overturned quash quashed"),
    ("fail failed", "finish finished complete completed succeed succeeded win won"),
    ("cheaper cheap", "dearer expensive"),
    ("under", "over"),
    ("early earlier", "late later"),
]
OPPOSITES: dict[str, frozenset] = {}
for _one, _other in _OPPOSED:
    for _a in _one.split():
        OPPOSITES[stem(_a)] = OPPOSITES.get(stem(_a), frozenset()) | {stem(b) for b in _other.split()}
    for _b in _other.split():
        OPPOSITES[stem(_b)] = OPPOSITES.get(stem(_b), frozenset()) | {stem(a) for a in _one.split()}
# a question about what happened ("What did the review conclude?", "How many actually came?")
_ASKS_DONE = re.compile(r"\b(actually|in the end|eventually|outcome|result|verdict|ruling|decide|decided|conclude|"
                        r"concluded|conclusion|find|found|findings)\b", re.I)
SECOND_SHARE_DONE = 0.8     # a sentence this close to a prospective best one may tell what happened


def _prospective(text: str) -> bool:
    """The sentence tells what is expected, planned or due, outside any quotation."""
    plain = re.sub(r"[\"\u201c][^\"\u201c\u201d]*[\"\u201d]", " ", text)
    return bool(LOOKS_AHEAD.search(plain))


_ASKS_WHY = re.compile(r"^\s*(?:and\s+|so\s+|but\s+)?why\b", re.I)    # "Why did X ...?" assumes X did it
# words news uses for one another when it counts the dead and the hurt, or tells who took over
SAME_SENSE: dict[str, frozenset] = {}
# ... and the forms of an English verb that are not spelt from its stem ("wrote" for "write",
# "brought" for "bring"): one word for the focus rule, as "hosted" and "hosts" are
IRREGULAR_VERBS = """arise arose arisen; awake awoke awoken; bear bore borne; beat beaten; become became;
begin began begun; bend bent; bind bound; bite bit bitten; bleed bled; blow blew blown; break broke broken;
breed bred; bring brought; build built rebuilt rebuild; buy bought; catch caught; choose chose chosen;
come came; deal dealt; dig dug; draw drew drawn; drive drove driven; eat ate eaten; fall fell fallen; feed fed;
feel felt; fight fought; find found; flee fled; fly flew flown; forbid forbade forbidden; forget forgot
forgotten; forgive forgave forgiven; freeze froze frozen; get got gotten; give gave given; go went gone;
grow grew grown; hang hung; hear heard; hide hid hidden; hold held upheld uphold withheld withhold;
keep kept; know knew known; lead led; leave left; lend lent; lose lost; make made; mean meant; meet met;
overcome overcame; oversee oversaw overseen; overtake overtook overtaken; pay paid; ride rode ridden;
rise rose risen; run ran; say said; seek sought; sell sold; send sent; shake shook shaken; shine shone;
shoot shot; sing sang sung; sink sank sunk; sit sat; sleep slept; speak spoke spoken; spend spent;
stand stood; steal stole stolen; stick stuck; strike struck stricken; swear swore sworn; sweep swept;
swim swam swum; swing swung; take took taken; teach taught; tear tore torn; tell told; think thought;
throw threw thrown; undertake undertook undertaken; understand understood; wake woke woken; wear wore worn;
win won; withdraw withdrew withdrawn; write wrote written"""
# ... and the words a reporter and a reader use for one another in ordinary English: the question's
# "hosted" is the story's "compere", its "quit" the story's "resigned" (none names a subject of news)
PARAPHRASES = """host hosts hosted hosting compere emcee; attend attended attendance crowd spectators audience;
lead leads led leader heads headed charge; quit quits resign resigned resignation; boss chief executive;
build builds built builder construction contractor; buy buys buying bought acquire acquired acquisition purchase
purchased takeover sell sold sale sales; scrap scraps scrapped lift lifted abolish abolished; reject rejected throw threw thrown quash
quashed overturn overturned; support supported backed favour favor; warn warned warning cautioned; illness
disease condition; ship vessel; choose chose chosen pick picked appoint appointed select selected hire hired;
officer detective inspector; burglar burglars thief thieves robber robbers; team delegation squad;
winner champion; propose proposed proposal offer offered suggest suggested;
reveal revealed disclose disclosed confirm confirmed; chair chaired chairs preside presided lead leading;
pay paid fund funded funding finance financed; return returned home; happy pleased satisfied glad delighted;
effective effectiveness efficacy; house houses home homes"""
# the past forms of irregular verbs, with their base ("left": "leave"): each group's second and
# third words ("hold held upheld uphold" lists present forms after them)
IRREGULAR_PAST = {form: group.split()[0] for group in IRREGULAR_VERBS.split(";") for form in group.split()[1:3]}
for _group in ("die died dies dead death deaths kill killed fatal fatalities lives", "hurt injured injuries injury "
               "wounded", "replace replaced replaces replacing succeed succeeded succeeds",
               *IRREGULAR_VERBS.split(";"), *PARAPHRASES.split(";")):
    _stems = frozenset(stem(w) for w in _group.split())
    for _w in _stems:
        SAME_SENSE[_w] = SAME_SENSE.get(_w, frozenset()) | (_stems - {_w})
NAMED_UNITS = 3           # "the name of the X": the best few sentences that speak of an X must name one
COUNTED_UNITS = 3         # "how many X": one of the best few sentences stating a count names X
_UNNAMED_COUNTS = frozenset(stem(w) for w in "people persons".split())
CONTRA_UNITS = 3          # the units that may correct a premise: the best few
CONTRA_COVERAGE = 0.4     # ... that hold this share of the question's key terms (about its subject)
# the words that ask for a sum, a share, an age or a duration: a sentence stating one answers them
_TYPE_WORDS = frozenset(stem(w) for w in """cost costs costing price priced pay paid spend spent worth budget salary
salaries wage wages fee fees earn earned money share percentage proportion portion percent per cent old age aged
long last lasted take took duration heavy weigh weighs weighed weight deep depth wide width tall height far
distance length temperature temperatures hot hottest cold coldest warm high highest""".split())
# what someone is paid or a thing costs, asked without "how much"
_EARNINGS = r"\b(salary|salaries|wages?|paid|earns?|earned|fees?|prize money)\b"
_ASKS_PAY = re.compile(_EARNINGS + r"|\bwhat (?:is|was|were|are|will be) the (?:\w+ )?(?:price|cost)s? of\b", re.I)
# what someone is paid is said as paid: "she earns 300,000 euros", "a fee of", "collects 15,000 euros
# in prize money"; a ticket's price or a grant beside the person's name is not their pay
_ASKS_EARNINGS = re.compile(_EARNINGS, re.I)
_PAID = re.compile(r"\b(pa(?:y|ys|id|ying)|salar(?:y|ies)|wages?|earn(?:s|ed|ing|ings)?|fees?|prizes?|"
                   r"receiv(?:e|es|ed|ing)|collect(?:s|ed|ing)?|bonus(?:es)?|income)\b", re.I)
# (and a news story's age in apposition: "Jonas Rieck, 52, and ...")
_AGE = re.compile(r"\b\d{1,3}[- ]years?[- ]old\b|\baged \d{1,3}\b|\bage(d)? of \d{1,3}\b|\bborn in\b|"
                  r"(?-i:\b[A-Z][\w'\u2019-]+),\s\d{1,3},", re.I)
_SIGN = r"[$\u20ac\u00a3\u20ba]"      # a currency sign before a sum
_CURRENCY = (r"dollars?|euros?|pounds?|liras?|roubles?|rubles?|hryvnias?|kronor|krona|kroner|krone|francs?|"
             r"yen|yuan|rupees?|pesos?|rand|zloty|shillings?|dinars?|usd|eur|gbp")      # a currency word after one
# "$5", "5 euros", "44.5 million euros", "a 44.5-million-euro renovation", "2 billion pounds"
_MONEY = re.compile(rf"{_SIGN}\s?\d|\b\d[\d,.]*(?:[\s-](?:million|billion|bn|trillion))?[\s-]?({_CURRENCY})\b|"
                    rf"\b(million|billion)[\s-]({_CURRENCY})\b", re.I)
# "What did she say / promise / tell them": the answer is what someone said, quoted or reported
_SAYING = re.compile(r"\b(what|how) (did|does|do|has|have|had|will|would)\b.{0,60}\b(say|tell|promise|warn|claim|"
                     r"describe|call|respond|reply|add|write|post)\b", re.I)
# the verbs that report speech: a sentence with one reports what someone said, and the name
# beside one is who spoke
_SAYS = r"said|says|told|tells|added|adds|warned|promised|wrote|posted|announced|described|called|replied"
_SPEECH_VERB = re.compile(rf"\b({_SAYS})\b", re.I)
_IN_QUOTES = re.compile(r"[\"\u201c\u201d]([^\"\u201c\u201d]+)(?:[\"\u201d]|$)")    # (or runs on past the sentence)
_PERCENT = re.compile(r"\d\s?%|\b(per ?cent|percent|percentage points?)\b|\b(half|a third|a quarter|two thirds)\b", re.I)
_DURATION = re.compile(r"\b(\d[\d,.]*|a|an|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|"
                       r"several|a few|half an?)[- ](full )?(seconds?|minutes?|hours?|days?|weeks?|months?|years?|"
                       r"decades?)\b|\b(overnight|all day|all night)\b", re.I)
_NOT_COUNTS = re.compile(
    rf"{_SIGN}\s?\d[\d,.]*(\s?(million|billion|bn|m)\b)?|\b\d[\d,.]*\s?(million |billion )?({_CURRENCY})\b|"
    r"\b\d[\d,.]*\s?(%|per ?cent\b|percent\b)|\b(19|20)\d{2}\b|\b\d{1,2}[:.]\d{2}\b|\b\d+(st|nd|rd|th)\b|"
    rf"\b\d{{1,2}}\s+({MONTH_NAMES})\b|\b({MONTH_NAMES})\s+\d{{1,2}}\b", re.I)
_SCORE = re.compile(r"\b\d{1,2}-\d{1,2}\b")     # a result ("won 6-4 7-5"), not a count
# "221 grams", "1.2 tonnes", "a 40-kilogram bag"
_WEIGHT = re.compile(r"\b\d[\d,.]*[\s-]?(?:grams?|g|kilograms?|kg|kilos?|tonnes?|tons?|pounds?|lbs?|ounces?|oz)\b", re.I)
# "640 metres", "15 kilometres", "a 2.5-kilometre loop"
_LENGTH = re.compile(r"\b\d[\d,.]*[\s-]?(?:metres?|meters?|m|kilometres?|kilometers?|km|miles?|feet|foot|ft|inches|"
                     r"inch|centimetres?|centimeters?|cm|millimetres?|millimeters?|mm)\b", re.I)
_POINTS = re.compile(r"(?:\b\d[\d.,]*|\bhalf an?|\ba quarter of an?|\b(?:one|two|three|four|five))\s+"
                     r"(?:percentage\s+)?points?\b", re.I)
_TEMPERATURE = re.compile(r"\b\d[\d.,]*\s?(?:\u00b0\s?[CF]?|degrees?\b|[CF]\b)")     # 38.2C, 31 degrees
_EXTENT = re.compile(f"{_DURATION.pattern}|{_LENGTH.pattern}", re.I)     # "how long is the X?": either
# asked for and nowhere in the passages: refuse
STRICT_TYPES = {"age": _AGE, "money": _MONEY, "percent": _PERCENT, "duration": _DURATION, "weight": _WEIGHT,
                "length": _LENGTH, "temperature": _TEMPERATURE, "extent": _EXTENT}
# what looks like a figure of a kind and is not: for "how many", sums, shares, years, dates,
# times of day, ranks, ages ("six years old"), spans of time ("two hours", asked for as a
# duration) and results ("6-4"); for a share, a change in percentage points
_NOT_OF_KIND = {"count": (_NOT_COUNTS, _AGE, _DURATION, _SCORE), "percent": (_POINTS,)}


def _masked(text: str, kind: str | None) -> str:
    """`text` with what is no figure of `kind` blanked out (offsets kept)."""
    for pattern in _NOT_OF_KIND.get(kind, ()):
        text = pattern.sub(lambda m: " " * len(m.group()), text)
    return text


_CARDINAL = re.compile(r"\d|^(one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|hundred|"
                       r"thousand|dozen)s?$", re.I)
_NONE = re.compile(r"\b(?:no one|nobody|none)\b|\bno (?:\w+ )?(?:deaths|injuries|casualties|fatalities)\b", re.I)
FIGURE_TYPES = {"count", "number", "money", "percent", "age", "duration", "weight", "length", "temperature", "extent"}


# a calendar date that carries its year: "2 March 2025", "March 2, 2025", "in March 2025"
_DATED = re.compile(r"\b(?:\d{1,2}\s+(?:" + MONTH_NAMES + r")|(?:" + MONTH_NAMES + r")(?:\s+\d{1,2},?)?)\s+((?:19|20)\d{2})\b")


def _dated_elsewhen(q: Query, span: str) -> bool:
    """Asked when something happened in a year, the sentence gives its dates with their years,
    and none is the year asked ("born on 2 March 2025" for "when were the cubs born in 2024?",
    whatever else of 2024 the sentence tells); a date it gives without a year may be the one."""
    asked = {c.value for c in q.constraints if c.kind == "year"}
    dated = {int(m.group(1)) for m in _DATED.finditer(span)}
    return bool(asked and dated) and not asked & dated and not days(_DATED.sub(" ", span))


def figures(text: str, kind: str) -> list[tuple[int, int]]:
    """Where `text` states a figure of the kind asked for (start, end)."""
    masked = _masked(text, kind)
    if kind in STRICT_TYPES:
        return [m.span() for m in STRICT_TYPES[kind].finditer(masked)]
    # (a figure: digits or a number word, not "million" or "quarter" alone)
    return [m.span() for m in _NUMBER.finditer(masked) if _CARDINAL.search(m.group())]


def figures_said(text: str, kind: str) -> list[str]:
    """The figures of a kind `text` states, as digits ("1,400" and "1400" alike)."""
    return [re.sub(r"[^\d.]", "", text[a:b]) or text[a:b].lower() for a, b in figures(text, kind)]


def has_type(text: str, kind: str | None) -> bool:
    if kind in STRICT_TYPES:
        return bool(STRICT_TYPES[kind].search(_masked(text, kind)))
    if kind == "number":
        return bool(_NUMBER.search(text))
    if kind == "count":
        # "how many": a sum of money, a share, a year, a date or a time of day is not a count;
        # "no one was hurt" is one (none)
        return bool(_NUMBER.search(_masked(text, kind)) or _NONE.search(text))
    if kind == "date":
        return bool(_DATE.search(text) or DAYS_AGO.search(text))
    if kind == "year":
        return bool(years(text))
    if kind == "day":
        return bool(days(text) or WEEKDAY.search(text) or DAYS_AGO.search(text))
    if kind == "name":
        return bool(_NAME.search(text))
    if kind == "place":
        return bool(_PLACE.search(text))
    if kind == "cause":
        return bool(_CAUSE.search(text))
    if kind == "clock":
        return bool(_CLOCK.search(text))
    if kind == "quote":
        # a speech verb, or words in quotation marks that are a saying, not a title ("A House
        # Without Clocks"): five words or more
        return bool(_SPEECH_VERB.search(text)) or any(len(m.group(1).split()) >= 5 for m in _IN_QUOTES.finditer(text))
    return False


def is_instruction(question: str) -> bool:
    """A request to do something other than answer from the articles."""
    return bool(_INSTRUCTION_Q.search(question))


def key_terms(question: str, idf) -> dict[str, float]:
    """Stemmed content terms of the question with their weights (corpus IDF)."""
    terms: dict[str, float] = {}
    for w in words(question):
        if w in STOPWORDS or w in QUESTION_WORDS or len(w) < 2:
            continue
        s = stem(w)
        if s in GENERIC or s in GENERIC_ASKING:
            continue
        terms[s] = idf(s)
    return terms


def coverage(text_terms: set[str], terms: dict[str, float]) -> float:
    total = sum(terms.values())
    return sum(w for t, w in terms.items() if t in text_terms) / total if total else 0.0


_SENTENCE_END = re.compile(r"[.!?][\"'\u201d\u2019)]*$")


# a wire story's opening place, date and agency: "HARLOWBY, Feb 17 (Wire) - ", "ORLEN (Reuters) - "
DATELINE = re.compile(r"^[A-Z][A-Z.'\u2019-]+(?: [A-Z][A-Z.'\u2019-]+){0,3}(?:,\s+[A-Z][a-z]+(?: [A-Z][a-z]+)?(?=\s+\())?,?"
                      r"(?:\s+[A-Z][a-z]{2,8}\.?\s+\d{1,2},?)?"
                      r"(?:\s+\([^()\n]{1,40}\))?\s+[-\u2013\u2014]+\s+(?=[A-Z\"\u201c'])")


QUOTE_BACK = 3       # sentences a quotation may run on for before the one quoted
_ASKS_SPEAKER = re.compile(rf"\b(?:who|(?:which|what)\s+(?!(?:did|does|do|has|have|had|will|would|is|was|were|are)\b)\w+)\s+(?:\w+\s+)?(?:{_SAYS}|say|says|tell|called|described)\b",
                           re.I)    # "who said ...", "which analyst said ...", "what official told ..."
SPEAKER_REACH = 380  # characters a quotation shown with its speaker's sentence may take


def _with_speaker(text: str, sents, opened: list[int | None], op: int, end: int) -> int:
    """The sentence a quotation opening at sentence `op` and reaching to `end` is shown from when
    asked who said it: `op`, or the sentence just before in its paragraph when `op` names no
    speaker and that one does ('"We promised ...," said Brenner. "I understand ... But a grade
    ..."'), from where that one's own quotation opens, within SPEAKER_REACH characters."""
    def said(i: int) -> bool:
        return bool(speakers(text[sents[i].start:sents[i].end]))

    if op == 0 or said(op) or not said(op - 1) or "\n" in text[sents[op - 1].end:sents[op].start] \
            or end - sents[op - 1].start > SPEAKER_REACH:
        return op
    back = opened[op - 1]
    return back if back is not None and end - sents[back].start <= SPEAKER_REACH else op - 1


def _quotes_open(text: str, sents) -> list[int | None]:
    """For each sentence, the index of the sentence whose quotation it begins inside (None when
    it begins outside one): straight quotes toggle, curly ones open and close."""
    out: list[int | None] = []
    inside: int | None = None
    for i, s in enumerate(sents):
        out.append(inside)
        for ch in text[s.start:s.end]:
            if ch == "\u201c" or (ch == '"' and inside is None):
                inside = i if inside is None else inside
            elif ch == "\u201d" or ch == '"':
                inside = None
    return out


def _headline_like(text: str) -> bool:
    """A headline, dateline or section title: short and without closing punctuation."""
    return len(text) < 100 and not _SENTENCE_END.search(text)


# Refusal decisions, in the order they are taken (each documented in `gather`).
TOPIC_SHARE = 0.5        # a question word in at least this share of the passages found is their topic
LEDE_CHARS = 400         # the opening of an article, where a news story says what happened
W_LEDE = 0.2
W_FIGURE = 0.1
W_SUMMARY_LENGTH = 0.0005   # per character of a sentence offered to a summary
SUMMARY_MATCH = 0.5      # share of the weight of a sentence's likeness to the question a summary keeps
W_FACTS = 0.03           # per figure or person a sentence offered to a summary gives (up to MAX_FACTS)
MAX_FACTS = 4
W_QUOTED = 0.05          # for a sentence offered to a summary that quotes someone
_QUOTE_MARK = re.compile(r"[\"\u201c\u201d]")
W_ITEMS = 0.3            # a list question's sentence that names several things
OFF_SUBJECT = 0.6        # an article holding less than this share of the best article's coverage is off subject
OFF_SUBJECT_MARK = Constraint("subject", None, "the question's subject")
OTHER_SPEAKER_MARK = Constraint("subject", None, "the person asked about")
# who speaks in a sentence: a name right before a verb of saying ('…," Brask said'), or after
# "said" ('…," said Hedda Brask'); pronouns ("She said") name no one
_NAME_RUN = r"[A-Z][\w'\u2019-]+(?:\s+[A-Z][\w'\u2019-]+)*"
# "Lund said", "said Lund", and "Oyelaran, who took over from Grieve in January, said" (the
# speaker before a clause set off by commas, not the names inside it)
_SPEAKER = re.compile(rf"({_NAME_RUN})\s+(?:{_SAYS})\b|\bsaid\s+({_NAME_RUN})|"
                      rf"({_NAME_RUN}),\s+(?:who|whose|which|the|a|an|now|then|herself|himself)\b[^,;\"\u201c]{{0,90}},\s+"
                      rf"(?:{_SAYS})\b")

W_TYPED = 0.2            # bonus for holding the kind of thing asked for (a figure, a date, a name)
W_FOCUS = 0.25           # bonus for holding one of the question's specific words
NOW_SHARE = 0.7          # asked how things stand now: a sentence this close to the best, from a newer story, leads
MEANING_ALONE = 0.62     # a unit this close in meaning answers even without the question's specific words
MIN_ANSWER_SCORE = 0.5   # below this the best unit that may answer is too weak to be presented as one (measured on both gold sets)
ON_TOPIC = 0.5           # a sentence holding this share of the question's terms is about its subject
TYPED_SHARE = 0.6        # a sentence stating the kind of answer asked for, this close to the best, may answer
QUOTED_SHARE = 0.45      # ... and, asked what someone said, a sentence of their words this close
ASKED_FOR = {"number": "a number", "count": "a number", "date": "a date", "year": "a year", "day": "a date",
             "age": "an age", "money": "a sum of money", "percent": "a share", "duration": "how long",
             "weight": "a weight", "length": "a length", "name": "a name", "cause": "a cause",
             "clock": "a time", "temperature": "a temperature", "extent": "how long", "place": "a place",
             "quote": "what someone said"}
# asked for and in no unit that may answer: refuse
REQUIRED_TYPES = ("number", "count", "date", "year", "day", "age", "money", "percent", "duration", "weight", "length",
                  "cause", "clock", "temperature", "extent")
LEADING_TYPES = REQUIRED_TYPES + ("name", "place", "quote")   # a fact's sentence stating one leads before a closer one that does not
DATE_TYPES = ("date", "year", "day")     # when, in what year, on what date


# "The company did not say how many units it sold": a sentence saying that what is asked was
# not given; the words after it say what was withheld
# a sentence saying that no date is set yet
_NO_DATE = re.compile(r"\bno (?:date|day|time)\b|\bnot (?:yet )?(?:been )?(?:set|fixed|scheduled)\b", re.I)
WITHHELD = re.compile(r"\b(?:did not|didn't|declined to|would not|wouldn't|refused to|has not|have not|hasn't|"
                      r"haven't|does not|doesn't|was not|were not)\s+(?:yet\s+)?(?:been\s+)?(?:say|disclose|"
                      r"disclosed|reveal|revealed|publish|published|give|given|provide|provided|specify|specified|"
                      r"release|released|announce|announced)\b([^.;]{0,80})", re.I)
_ASKS_ABOUT_SAYING = re.compile(r"\b(?:say|said|tell|told|disclos\w*|reveal\w*|announc\w*|publish\w*)\b", re.I)
# the day a story was told: "the club announced on Tuesday", "officials said on Monday" (not
# when what it tells happened)
_SAID_ON = re.compile(rf"\b(?:{_SAYS}|confirmed|reported)(?:\s+\w+){{0,2}}?\s+on\s+(?:{WEEKDAY_NAMES})\b", re.I)
_CLAUSES = re.compile(r"\?\s+|[,;]\s*(?:and|but|also|plus)\s+|\.\s+")


def speakers(text: str) -> set[str]:
    """The words of the names said to speak in `text` (folded), pronouns and sentence-initial
    function words left out."""
    out: set[str] = set()
    for m in _SPEAKER.finditer(text):
        out |= _name_words(m.group(1) or m.group(2) or m.group(3))
    return out


_SAID_AFTER = re.compile(rf"([\w'\u2019-]+)\s+(?:{_SAYS})\b")
_MAY_BE_ANYONE = frozenset("he she they it who i we".split())


def _said_by_others(text: str, names: set[str]) -> bool:
    """Every report of speech in `text` has a subject that is neither a pronoun nor one of
    `names` ("the provincial fire service said", "officials told reporters")."""
    said = [m.group(1) for m in _SAID_AFTER.finditer(text)]
    # (a name said to speak is `speakers`' to judge: here the subjects written in lower case)
    # (a function word before the verb, "but said", "and told", says nothing of who spoke)
    return bool(said) and all(s[:1].islower() and fold(s) not in _MAY_BE_ANYONE and fold(s) not in names
                              and fold(s) not in STOPWORDS and not fold(s).endswith("ly") for s in said)


PRONOUN_BACK = 300      # characters before "he said" in which the one it stands for is named


def _said_by_pronoun(u: Unit, p: Passage, names: set[str]) -> bool:
    """`u` reports words said by "he", "she" or "they", and the text just before it names one
    of `names`: their words."""
    said = {fold(m.group(1)) for m in _SAID_AFTER.finditer(u.text)}
    if not said & {"he", "she", "they"}:
        return False
    before = p.text[max(0, u.start - p.start - PRONOUN_BACK):max(0, u.start - p.start)]
    return bool(set(words(fold(before))) & names)


def _name_words(name: str) -> set[str]:
    """The folded words of a person's name, without an owner before it ("Harbour Post's Lena
    Vos" is Lena Vos)."""
    name = re.sub(r"^.*['\u2019]s\s+", "", name)
    return {w for w in words(fold(name)) if w not in STOPWORDS}


# a name told as a person's: with an age ("Vantreel, 29,") or a title ("Ms Lund")
_PERSON = re.compile(rf"({_NAME_RUN}),\s+\d{{1,3}},|\b(?:Mr|Mrs|Ms|Dr|Sir)\.?\s+({_NAME_RUN})")


def people(text: str) -> set[str]:
    """The words of the names `text` tells as people's (folded): speakers, and names given an
    age or a title."""
    out = speakers(text)
    for m in _PERSON.finditer(text):
        out |= _name_words(m.group(1) or m.group(2))
    return out


def _mentions(unit_terms: set[str], term: str, *, whole: bool = False) -> bool:
    """The unit holds the term, a word sharing its first five letters ("refereed"/"referee"), or
    one news uses in its place for the dead and the hurt ("died"/"killed", "hurt"/"injured").
    `whole`: for the thing a question names, a word that begins with the other instead of five
    shared letters ("aftershocks"/"aftershock"; not "afternoon")."""
    if term in unit_terms or SAME_SENSE.get(term, frozenset()) & unit_terms:
        return True
    if whole:
        return any(t.startswith(term) or term.startswith(t) for t in unit_terms if len(t) >= 4)
    return len(term) >= 5 and any(t[:5] == term[:5] for t in unit_terms)


_HOW_MANY = re.compile(r"\bhow many\s+((?:[\w'-]+\s+){0,2}?[\w'-]+?)(?=\s+(?:were|was|are|is|did|do|does|have|has|had|will|"
                       r"would|could|can|of|in|on|at|to|for|from|by|\w+ed)\b|[?,.]|$)", re.I)


def _counted(question: str) -> list[str]:
    """The words of what a "how many" question counts, as asked: "passenger trains" in "How many
    passenger trains were cancelled?"."""
    m = _HOW_MANY.search(question)
    return [w for w in words(m.group(1)) if w not in STOPWORDS] if m else []


# "what was the name of the woman who died?": what is to be named (its last word is the thing)
_NAME_OF = re.compile(r"\bname of (?:the|a|an|its|their|his|her) ((?:[\w-]+ ){0,2}?[\w-]+?)"
                      r"(?= (?:who|that|which|where|whose|for|in|on|at|to|from|of|ever|by|\w+ed|built|made|held|known|"
                      r"born|stolen|written|sold|bought|given|taken|chosen|found|hit|sent|lost|won|run|set)\b|"
                      r"\s*[?.]|\s*$)", re.I)


def _counted_head(counted: list[str]) -> str | None:
    """Of the words of what is counted (`_counted`), the one naming the thing ("trains" in
    "passenger trains"); None for people, times, years and the like, which a sentence may count
    without naming them ("seven were killed")."""
    head = stem(counted[-1]) if counted else None
    return None if head is None or head in GENERIC_ASKING or head in _UNNAMED_COUNTS else counted[-1]


def _unnamed(thing: str, units: list[Unit]) -> Unit | None:
    """The first of `units` that speaks of `thing` ("sawmill"), when some do and none names it:
    a capitalised or quoted name beside the word ("the Brackley sawmill", "the ship Brennan
    Tide", "a village called Nova Tove", "the "1000 for 1000" formula", "Aurelia, the biggest ship")."""
    word = re.escape(thing)
    told = [u for u in units if re.search(rf"\b{word}s?\b", u.text, re.I)]
    named = (rf"(?-i:\b[A-Z][\w'-]+)\s+{word}s?\b|\b{word}s?,?\s+(?:called\s+|named\s+)?(?-i:[A-Z\"\u201c])|"
             rf"[\"\u201d]\s+{word}s?\b|(?-i:\b[A-Z][\w'-]+),\s+(?:the|a|an)\s+(?:[\w-]+\s+){{0,3}}{word}s?\b")
    if told and not any(re.search(named, u.text, re.I) for u in told):
        return told[0]
    return None


COUNT_REACH = 3     # words (stopwords aside) after a figure that may name what it counts


def _counts(text: str, counted: set[str]) -> bool:
    """`text` puts a figure right before what is counted ("2,400 of the 3,100 passenger trains",
    "412 passengers"; not "41 injured when a Corvane Air passenger jet")."""
    for start, end in figures(text, "count"):
        after = tokens(text[end:end + 40])[:COUNT_REACH]
        if any(_mentions(set(after), t) for t in counted):
            return True
    return False


def _by_surname(text: str, last: str, first: str) -> bool:
    """`text` names this person by surname: "Velko said", not "Daniel Velko" for Taras Velko."""
    for m in re.finditer(rf"\b{re.escape(last)}\b", text):
        before = text[:m.start()].split()[-1:] or [""]
        if not before[0][:1].isupper() or before[0] == first:
            return True
    return False


def _names_another(text: str, asked_words: set[str], kind: str = "name") -> bool:
    """`text` names someone, something or somewhere the question does not ("who?" is not
    answered by the question's own names, "where in Varna?" not by "in Varna")."""
    found = _NAME.finditer(text) if kind == "name" else _PLACE_NAMED.finditer(text)
    return any(set(words(fold(m.group(m.lastindex or 0)))) - asked_words - CALENDAR for m in found)


def _found_of_articles(passages: list[Passage]) -> dict[str, str]:
    """What was found of each article, in reading order: overlapping passages joined where they
    overlap, those one character apart by a space, and the others as separate paragraphs (what
    lies between them was not found, and a paragraph's year must not frame the next one's)."""
    by_source: dict[str, list[Passage]] = {}
    for p in passages:
        by_source.setdefault(p.source, []).append(p)
    out = {}
    for source, found in by_source.items():
        first, *rest = sorted(found, key=lambda p: (p.start, p.end))
        text, end = first.text, first.end
        for p in rest:
            if p.end <= end:
                continue                        # (already read: the same passage, or inside one)
            text += p.text[end - p.start:] if p.start < end else (" " if p.start - end == 1 else "\n\n") + p.text
            end = p.end
        out[source] = text
    return out


def gather(question: str | Query, passages: list[Passage], idf, question_vector=None, sentence_vectors=None, *,
           refuse_below: float = 0.65, embed_query=None, found: int | None = None) -> Evidence:
    """Score the sentences of `passages` against `question` and decide whether to refuse.
    `found`: how many of `passages` retrieval found (the rest read on from their stories);
    the words most of those share are the topic (default: all of them).

    A unit's score mixes its meaning (cosine of sentence and question vectors, when
    given) with the share of the question's key terms it holds, plus a bonus when it
    holds the kind of thing asked for and a small prior for the passage's rank. Only
    units that match every constraint of the question (its year, quarter, edition,
    numbered name; see rag.question) may answer. Refused, in this order, when:
    the question has no terms; meaning and term coverage are both weak (off the
    articles' topics); constraints are asked and no unit matches them (a near miss:
    `closest` is the best unit about something else); the question's specific words
    (those not shared by most passages found) are in no unit that may answer and none
    is close in meaning (on topic, but the articles don't say); it asks for a number,
    date, age or sum and no unit that may answer holds one; the best unit that may
    answer scores below MIN_ANSWER_SCORE. Summaries are only refused for the first three.
    """
    q = grounded(question if isinstance(question, Query) else parse(question), [p.text for p in passages])
    # the year asked is matched as a constraint (the article's date may supply it), not
    # counted as a word the evidence must hold
    terms = key_terms(q.plain or q.text, idf)
    all_terms = key_terms(q.text, idf)
    kind = answer_type(q.text)
    earnings = kind == "money" and bool(_ASKS_EARNINGS.search(q.text))
    compared = sides(q)
    candidates: list[tuple[int, int, int, str]] = []   # passage, start, end (passage offsets), text
    best_cov = 0.0
    seen_in: dict[str, int] = {}
    topical = passages[:found]      # the passages whose shared words are the question's topic
    article = _found_of_articles(passages)     # what was found of each article: constraints are read in all of it
    quoted_from: dict[tuple[int, int, int], int] = {}   # a candidate inside a quotation -> where the quotation opens
    passage_cov: list[float] = []
    asks_speaker = kind == "name" and bool(_ASKS_SPEAKER.search(q.text))     # "who said ...?"
    asks_saying = bool(_ASKS_ABOUT_SAYING.search(q.text))       # "when did they announce ...?"
    # "How did Ekwall describe the Dunmere plant ... Halvard ...?": the one whose words are asked
    # for is the one named before the verb of saying, when a name is there
    said = _SAYING.search(q.text)
    speaker = set(q.names) & set(words(fold(said.group()))) if said else set()
    speaker = speaker or set(q.names)
    for pi, p in enumerate(passages):
        sents = sentences(p.text)
        passage_terms = set(tokens(p.title + " " + p.text))
        if pi < len(topical):
            for t in passage_terms:
                seen_in[t] = seen_in.get(t, 0) + 1
        passage_cov.append(coverage(set(tokens(p.title + " " + article[p.source])), terms))
        best_cov = max(best_cov, coverage(passage_terms, terms))
        opened = _quotes_open(p.text, sents)
        for si, sent in enumerate(sents):
            text = p.text[sent.start:sent.end]
            if INJECTION.search(text) or _headline_like(text):
                continue
            start = sent.start
            if opened[si] is not None and si - opened[si] <= QUOTE_BACK:
                # inside a quotation opened sentences before ('Askeland said: "The Larkspur was
                # fine. ... The coffee machine was not fine."'): shown from where it opens, with
                # whoever spoke it (scored by its own words); asked who said it, from its speaker's
                # sentence (`_with_speaker`)
                op = _with_speaker(p.text, sents, opened, opened[si], sent.end) if asks_speaker else opened[si]
                quoted_from[(pi, start, sent.end)] = sents[op].start
            # a sentence that leans on the one before ("he said") brings it along
            if si > 0 and leans_back(text):
                prev = sents[si - 1]
                before = p.text[prev.start:prev.end]
                if not INJECTION.search(before) and not _headline_like(before):
                    start = prev.start
            candidates.append((pi, start, sent.end, p.text[start:sent.end]))
    topic = {t for t, n in seen_in.items() if n >= max(2, TOPIC_SHARE * len(topical))}
    focus = focus_terms(q, topic) & set(terms)
    if question_vector is not None and sentence_vectors is not None and candidates:
        vectors = sentence_vectors([c[3] for c in candidates], [passages[c[0]].source for c in candidates])
        sims = [sum(a * b for a, b in zip(v, question_vector)) for v in vectors]
        whole = max(sims)
        # the question without the words every passage shares ("How many people attended"
        # rather than "... the 2018 Shield final"): what tells the answering sentence apart
        specific = " ".join(w for w in words(q.text) if stem(w) not in topic and not w.isdigit())
        if focus and specific.strip():
            sv = embed_query(fold(specific)) if embed_query is not None else sentence_vectors([specific])[0]
            sims = [0.5 * a + 0.5 * sum(x * y for x, y in zip(v, sv)) for a, v in zip(sims, vectors)]
    else:
        sims = [0.0] * len(candidates)
        whole = 0.0
    # the coverage an article about the subject reaches; in a comparison, each thing compared
    # is told in its own articles, which may word it differently ("crowd", "fans attended")
    subject_cov = [max(passage_cov)] * len(passages)
    if compared:
        told = [set(sides_held(compared, Context("", article[p.source], p.title, p.date))) for p in passages]
        subject_cov = [max((c for c, t in zip(passage_cov, told) if t & told[pi]), default=subject_cov[pi])
                       for pi in range(len(passages))]
    asked_words = set(words(fold(q.text)))
    known_people = people("\n".join(article.values()))
    # the people the question names in full ("Taras Velko"): each as (its terms, surname, first name)
    full_names = [(tokens(name), name.split()[-1], name.split()[0]) for name in (m.group() for m in _NAME.finditer(q.text))
                  if len(name.split()) == 2 and fold(name.split()[-1]) in known_people]
    asked_people = set(q.names) & known_people
    units: list[Unit] = []
    for (pi, start, end, span), sim in zip(candidates, sims):
        p = passages[pi]
        if (pi, start, end) in quoted_from:
            start = quoted_from[(pi, start, end)]
            span = p.text[start:end]
        lead = DATELINE.match(span)
        if lead and lead.end() < len(span):     # "HARLOWBY, Feb 17 (Wire) - ": where and when it was
            start, span = start + lead.end(), span[lead.end():]  # filed (the citation shows its date), not what
        span_terms = set(tokens(span))
        # a person named in full in the question is named by surname after a story's first mention
        # ("Taras Velko" ... "Velko said"): the surname stands for the whole name
        span_terms |= {t for run, last, first in full_names if run[-1] in span_terms and _by_surname(span, last, first)
                       for t in run}
        cov = coverage(span_terms, terms)
        typed = has_type(span, kind) and (not earnings or bool(_PAID.search(span))) \
            and (kind not in ("name", "place") or _names_another(span, asked_words, kind)) \
            and (kind not in DATE_TYPES or asks_saying or has_type(_SAID_ON.sub(" ", span), kind))
        focused = bool(focus) and any(_mentions(span_terms, t) for t in focus)
        # (a summary weighs a sentence's likeness to the question, which names only the event,
        # less than its facts: SUMMARY_MATCH, below)
        match = (SUMMARY_MATCH if q.shape == "summary" else 1.0) * (0.5 * sim + 0.5 * cov)
        score = (match + (W_TYPED if typed else 0.0) + (W_FOCUS if focused else 0.0)
                 + 0.05 / (1 + pi) - 0.0004 * max(0, len(span) - 250))
        named = set(words(fold(span))) & known_people      # the people it names
        if kind == "name" and not asks_speaker and named - asked_words:
            score += W_PERSON       # "who replaced her?": a sentence naming someone not asked about
        if q.shape == "list":
            # a list is answered by sentences that name several things ("A, B and C")
            # that are close in meaning to the question
            score += W_ITEMS * min(1.0, max(0.0, sim - 0.3) / 0.3) if enumerates(span) else 0.0
        if q.shape == "summary":
            # a news story says what happened first; a summary wants its figures, and more of its
            # points in short sentences than in long ones
            score += (W_LEDE if p.start + start < LEDE_CHARS else 0.0) + (W_FIGURE if _NUMBER.search(span) else 0.0) \
                - W_SUMMARY_LENGTH * len(span)
            # (and within the story, its facts: "Imke Sollberg retained her women's title in
            # 2:31:40" over "Hedda Brask announced this had been her last marathon"; what someone
            # said, less)
            facts = len(set(_NUMBER.findall(span))) + len(_named(span))
            score += W_FACTS * min(MAX_FACTS, facts) - W_QUOTED * bool(_QUOTE_MARK.search(span))
        on_topic = coverage(span_terms, all_terms) >= ON_TOPIC      # (its years count here)
        ctx = Context(span, article[p.source], p.title, p.date, on_topic)
        missed = failed(q, ctx) if q.constraints else ()
        if q.constraints and not missed and kind in FIGURE_TYPES:
            # the figure asked for is the one said of the year or edition asked, not of another
            # the sentence names beside it
            missed = detached(q, span, figures(span, kind), p.date)
        if not missed and kind == "date" and _dated_elsewhen(q, span):
            missed = tuple(c for c in q.constraints if c.kind == "year")
        if passage_cov[pi] < OFF_SUBJECT * subject_cov[pi]:
            missed = missed + (OFF_SUBJECT_MARK,)    # from an article about something else
        if kind == "quote" and q.names:
            # "what did X say?" is not answered by someone else's words, nor by words every
            # report in it puts in another's mouth ("..., the fire service said")
            spoke = speakers(span)
            if (spoke and not spoke & speaker) or _said_by_others(span, speaker):
                missed = missed + (OTHER_SPEAKER_MARK,)
        elif asked_people and kind not in (None, "name"):
            # "how much did Haverkamp win?" is not answered by what another person won: a
            # sentence naming other people and not the one asked ("She won" may answer)
            if named and not named & asked_people:
                missed = missed + (OTHER_SPEAKER_MARK,)
        units.append(Unit(pi, p.source, p.start + start, p.start + end, span, score, cov, typed, missed, sim,
                          sides_held(compared, ctx)))
    units.sort(key=lambda u: -u.score)
    if q.shape in ("summary", "list") and q.constraints:
        # a summary of the 47th ceremony (or a list from it) is told by the story of it: its
        # sentences that name another edition in passing ("breaking the record set at the 44th")
        # are part of it. (Years are not: a story names other years' figures as news of its own,
        # and taking those sentences cost summaries more points than it found.)
        told = {u.source for u in units if not u.failed}
        units = _excused(units, _TOLD_BY_STORY, lambda u: u.source in told)
    if q.shape == "summary":
        units = _of_years_asked(q, _of_month_asked(q, units, passages), passages)
    answering = [u for u in units if not u.failed]
    if ASKS_NOW.search(q.text) and answering:
        # "what is she doing now?", "and in the latest census?": of the sentences that answer
        # nearly as well as the best, the newest story's lead
        near = [u for u in answering if u.score >= NOW_SHARE * answering[0].score]
        near.sort(key=lambda u: passages[u.passage].date or "", reverse=True)
        answering[:len(near)] = near
    best_sim = whole     # the off-topic test reads the whole question's meaning
    parts = [set(map(stem, words(fold(c)))) for c in _CLAUSES.split(q.text) if words(c)] or [set()]

    def out(refuse: bool, reason: str, closest: Unit | None = None, near: bool = False, leading: int = 0):
        return Evidence(answering, best_cov, kind, terms, refuse, reason, closest if refuse else None, near, q,
                        len(parts) > 1, frozenset(focus), leading)

    def corrected(missing: set[str]) -> Evidence | None:
        """For "why did X ...?", the evidence led by the best unit saying the opposite of a word
        the question assumes ("Why did the court increase his sentence?" and "... reduced the
        prison sentence"), about the question's subject: the premise is false, that is the answer."""
        if not _ASKS_WHY.match(q.text):
            return None
        opposite = {a for t in missing for a in OPPOSITES.get(t, ())}
        against = next((u for u in answering[:CONTRA_UNITS]
                        if opposite & set(tokens(u.text)) and u.coverage >= CONTRA_COVERAGE), None)
        if against is None:
            return None
        answering[:] = [against] + [u for u in answering if u is not against]
        return replace(out(False, ""), contradicts=True)

    if not terms:
        return out(True, "the question has no terms to look for")
    found_words = set(words(fold(" ".join(f"{p.title} {p.outlet or ''} {p.text}" for p in passages))))
    absent = [n for n in q.names if not _mentions(found_words, n)]
    if absent:
        on_topic = best_sim + best_cov >= refuse_below
        return out(True, f"the passages found don't mention {' or '.join(n.title() for n in absent[:3])}",
                   units[0] if units and on_topic else None)
    if best_sim + best_cov < refuse_below:
        return out(True, f"off the articles' topics (meaning {best_sim:.2f} + terms {best_cov:.2f})")
    if not answering and units and q.constraints:
        closest = units[0]
        where = passages[closest.passage]
        miss = next((c for c in closest.failed if c.kind != "subject"), q.constraints[0])
        instead = said_instead(miss, Context(closest.text, where.text, where.title, where.date))
        why = f"no passage is about {miss.describe(where.text)}" + (f"; the closest is about {instead}" if instead else "")
        return out(True, why, closest, near=True)
    counted_words = _counted(q.text) if kind == "count" else []     # what "how many" counts
    counted = {stem(w) for w in counted_words}
    speaker_names = set(q.names) - set(q.owners)    # (an owner named is not who spoke)
    # sentences that state the number, sum, share, age, duration, date, name, place or saying asked
    # for, close enough to the best to answer it
    stated = [u for u in answering if u.has_type and u.score >= TYPED_SHARE * answering[0].score] \
        if kind in LEADING_TYPES else []
    if kind == "quote" and speaker_names and not any(speakers(u.text) & speaker_names for u in stated):
        # "What did Halloway say when he was named?": his own words, told further down, answer
        # before the sentence that names him ("named Halloway as its next chief executive")
        stated = [u for u in answering if u.has_type and speakers(u.text) & speaker_names and
                  u.score >= QUOTED_SHARE * answering[0].score][:1] + stated
        if not stated:
            # ... or told as "he said" right after the sentence that names him ("Its last keeper,
            # Tomas Gulbrand, drove to the headland. "The tower will always stand," he said.")
            stated = [u for u in answering if u.has_type and _said_by_pronoun(u, passages[u.passage], speaker_names)][:1]
    # (for "how many", those counting the very thing asked first, or saying there was none: "412
    # passengers" before "a 14-year gap", "38,000 people were evacuated" before "a storm surge of
    # 3 metres" that names the storm asked about)
    # (then those holding the question's specific words: "No one has been killed" before "2,100
    # people were evacuated" for "how many people died?")
    # (then, for "when", those naming the calendar day: "takes over on January 1" before "was
    # named on Wednesday")
    stated.sort(key=lambda u: (not (counted and (_counts(u.text, counted) or _NONE.search(u.text))),
                               not (focus and any(_mentions(set(tokens(u.text)), t) for t in focus)),
                               not (kind in ("date", "day") and bool(days(u.text)))))
    if q.shape != "summary":
        # a share, a sum or an age asked for and stated answers words like "share", "cost", "old";
        # the question's other specific words ("the glass lantern") are still looked for
        if kind in STRICT_TYPES and any(u.has_type for u in answering):
            focus = {t for t in focus if t not in _TYPE_WORDS}
            parts = [part - _TYPE_WORDS for part in parts]
        if q.shape == "list":
            # "which animals ...?", "what kinds of data ...?", "name the winners": what the list
            # is of is named by its items ("swans, geese and a fox"), not by the word asked
            heads = {stem(w) for w in q.listed}
            focus = {t for t in focus if t not in heads}
            parts = [part - heads for part in parts]
        # a question of several parts ("Who led X, and which folder do you use?") is answered
        # for the part that asks nothing the passages lack
        whole_part_plain = any(not (focus & part) for part in parts)
        # "What did Dorrance say when he was appointed?": a sentence quoting the one named is
        # what is asked; when or where they said it need not be in it
        quoting = kind == "quote" and bool(q.names) and any(
            u.has_type and speakers(u.text) & (set(q.names) - set(q.owners)) for u in answering[:3])
        if focus and not whole_part_plain and not quoting and \
                not any(u.meaning >= MEANING_ALONE for u in answering):
            # half of them at least, in one sentence: one word of the question found beside
            # others ("chair of the Chamber of Commerce" for "who chairs the planning
            # committee?") is a sentence about something else
            # (of some part of the question: the part the passages answer)
            held = [set(tokens(u.text)) for u in answering] or [set()]
            asks = [focus & part for part in parts if focus & part] or [focus]
            best = [max(({t for t in ask if _mentions(h, t)} for h in held), key=len) for ask in asks]
            if not any(2 * len(most) >= len(ask) for most, ask in zip(best, asks)):
                missing = asks[0] - best[0]
                correction = corrected(missing)
                if correction is not None:
                    return correction
                shown = [w for w in q.asked if stem(w) in missing]
                return out(True, f"the passages found don't mention {' or '.join(shown[:3]) or 'what is asked'}",
                           answering[0] if answering else None)
        if kind == "quote" and speaker_names and \
                not any(u.has_type and speaker_names & set(words(fold(f"{passages[u.passage].title} "
                                                                       f"{passages[u.passage].text}")))
                        for u in answering):
            # "What did Grieve say?": words reported in a passage that names whoever is asked about
            shown = [n.title() for n in q.names if n in speaker_names][:2]
            return out(True, f"no passage found quotes {' or '.join(shown)}", answering[0] if answering else None)
        # (and "who won the 2020 final?" over "the 2020 final is scheduled for June": asked who,
        # a sentence naming nobody but those the question names does not answer)
        # (and "where did they fly into first?" over "flew to different Turkish cities": asked
        # where, a sentence naming no place the question does not is no answer; asked what
        # someone said, one that reports no words: "Its last keeper drove to the headland")
        if (kind in REQUIRED_TYPES or kind in ("name", "place", "quote") and q.shape == "fact" and not asks_speaker) and not stated:
            return out(True, f"asks for {ASKED_FOR[kind]}; no passage found states one",
                       answering[0] if answering else None)
        # "how much does a season ticket cost?" over "the stadium is expected to cost 165
        # million", "how wide is the crater?" over "a lava flow 2 kilometres wide": a figure in a
        # sentence that does not name the thing priced or measured is another thing's
        measured = thing_asked(q.text, kind)
        if measured and stated and not any(_mentions(set(tokens(u.text)), stem(measured[1])) for u in stated):
            return out(True, f"no passage found gives the {measured[0]} of the {measured[1]} asked about", stated[0])
        # "what was the name of the sawmill destroyed?" over "a sawmill was destroyed": the
        # articles speak of one without naming it
        asked_name = _NAME_OF.search(q.text)
        thing = asked_name.group(1).split()[-1] if asked_name else None
        unnamed = _unnamed(thing, answering[:NAMED_UNITS]) if thing else None
        if unnamed is not None:
            return out(True, f"the passages found speak of a {thing} without naming it", unnamed)
        # "how many aftershocks followed?": a figure in a sentence that does not count what is
        # asked ("a magnitude 6.1 earthquake ... killing seven people"; "Seven people were killed
        # when a Corvane Air passenger jet ..." for "how many passengers did it carry?") counts
        # something else
        head = _counted_head(counted_words)
        if head and stated and not any(_counts(u.text, {stem(head)}) for u in stated[:COUNTED_UNITS]):
            return out(True, f"asks how many {head}; no passage found counts them", stated[0])
        # (the score of a question of several parts is diluted by the parts a sentence does not answer)
        if answering and answering[0].score < MIN_ANSWER_SCORE and len(parts) == 1:
            return out(True, f"the best passage matches weakly (score {answering[0].score:.2f})", answering[0])
    if not answering:
        return out(True, "no passage may answer", units[0] if units else None)
    if q.shape == "fact" and not _ASKS_ABOUT_SAYING.search(q.text):
        # the best evidence (what would be quoted) says that what is asked was not given:
        # the articles don't say it
        for u in answering[:2]:
            withheld = WITHHELD.search(u.text)
            if withheld and set(tokens(withheld.group(1))) & set(terms):
                said = " ".join(withheld.group(0).split())
                return out(True, f"the passage found says it was not given (\"{said}\")", u)
    if kind in LEADING_TYPES and q.shape == "fact" and not (kind in DATE_TYPES and _NO_DATE.search(answering[0].text)):
        # "how many", "how much", "when": a sentence that states one answers before one that
        # does not ("Castell was dismissed on 8 April" before "... seven weeks after the sacking"),
        # unless the best says there is none yet ("no date has been set" answers "when will they meet?")
        answering[:] = stated + [u for u in answering if u not in stated]
    if compared and q.shape == "fact":
        # "how did X in 2022 compare with 2014?": the best unit about each thing compared leads
        # (for each, the best unit that gives a figure beside the question's specific words:
        # "net profit was $88 million", not "revenue was $1.38 billion")
        # (and of those, first one giving a figure of the kind asked, counting the thing asked:
        # "a record 40,300 people" before "medics treated 200 people")
        wanted = kind if kind in FIGURE_TYPES else "number"
        # (a word of the question that no sentence giving such a figure holds, "on the night",
        # tells none apart)
        figured = [set(tokens(u.text)) for u in answering if figures(u.text, wanted)]
        telling_words = {t for t in focus if any(_mentions(held, t) for held in figured)}

        def telling(u: Unit, strict: bool) -> bool:
            held = set(tokens(u.text))
            if not figures(u.text, wanted if strict else "number"):
                return False
            if strict and counted and not _counts(u.text, counted):
                return False
            return not telling_words or any(_mentions(held, t) for t in telling_words)
        firsts = [next((u for u in answering if i in u.sides and telling(u, True)),
                       next((u for u in answering if i in u.sides and telling(u, False)),
                            next((u for u in answering if i in u.sides), None))) for i in range(len(compared))]
        told = [u for u in firsts if u is not None and telling(u, True)]
        if kind in FIGURE_TYPES and len(told) < len(firsts):
            # "how many in 2016, and how many in 2022?": a thing compared with no sentence giving
            # a figure of the kind asked beside the question's words is not answered by one
            # without ("... ended after a weekend of extreme heat"), nor the comparison by the rest
            i = next(i for i, u in enumerate(firsts) if u not in told)
            missing = ", ".join(c.describe() for c in compared[i])
            return out(True, f"no passage gives the figure asked for {missing}", firsts[i] or (told or answering)[0])
        if len(told) > 1:
            # one measure for two years is said in like words ("The Yes side won 64.3 percent of
            # the vote" / "The Yes side won 50.6 percent ..."): for each thing compared, of the
            # sentences telling it nearly as well as its best, the one most like the best
            # sentence of all (not "Turnout was 71.2 percent" beside it)
            anchor = max(told, key=lambda u: u.score)
            for i, u in enumerate(firsts):
                if u in told and u is not anchor:
                    near = [v for v in answering if i in v.sides and v.source != anchor.source and
                            telling(v, True) and v.score >= PARALLEL_SHARE * u.score]
                    firsts[i] = max(near or [u], key=lambda v: (_likeness(v.text, anchor.text), v.score))
        firsts = list(dict.fromkeys(u for u in firsts if u is not None))
        if len(firsts) > 1:
            answering[:] = firsts + [u for u in answering if u not in firsts]
            return out(False, f"meaning {best_sim:.2f}, terms {best_cov:.2f}", leading=len(firsts))
    if q.shape == "fact" and _ASKS_DONE.search(q.text) and not LOOKS_AHEAD.search(q.text) and answering \
            and _prospective(answering[0].text):
        # "What did the 2025 review conclude?" answered only by "it would publish a review in
        # 2025": the articles expect it; what came of it they don't say
        near = [u for u in answering[1:CONTRA_UNITS] if u.score >= SECOND_SHARE_DONE * answering[0].score]
        if not any(not _prospective(u.text) and (u.has_type or not kind) for u in near):
            return out(True, "the articles only say what was expected, not what happened", answering[0])
    if focus and answering:
        # "Why did the council reject it?" answered by "The council approved it": a correction
        best_held = set(tokens(answering[0].text))
        correction = corrected({t for t in focus if not _mentions(best_held, t)})
        if correction is not None:
            return correction
    return out(False, f"meaning {best_sim:.2f}, terms {best_cov:.2f}")


# "how much does a season ticket cost?", "how much is a ticket to climb the tower?", "how wide is
# the summit crater?": the thing priced or measured
_PRICED = re.compile(r"\bhow much (?:(?:does|did|do|will|would) (?:a|an|the) ([\w' -]+?) (?:cost|costs)\b|"
                     r"(?:is|was|are|were) (?:a|an) ([\w' -]+?)(?: to | at | in | on | for | from |\?|$))", re.I)
_MEASURED = re.compile(r"\bhow (long|tall|high|wide|deep|heavy|big|far|large|fast) (?:is|was|are|were|will be) "
                       r"(?:the|a|an) ([\w' -]+?)(?: to | at | in | on | for | from |\?|$)", re.I)
_MEASURE = {"long": "length", "tall": "height", "high": "height", "wide": "width", "deep": "depth", "heavy": "weight",
            "big": "size", "large": "size", "far": "distance", "fast": "speed"}


def thing_asked(question: str, kind: str | None) -> tuple[str, str] | None:
    """What of which thing a question asks the price or measure of, as (measure, head word):
    ("price", "ticket") of "how much is a ticket to climb the tower?", ("width", "crater") of
    "how wide is the summit crater?"; None when the thing is not a common noun (a named thing,
    "the Tour of the Verrin Hills", is told of as "the race") or none is asked."""
    m = _PRICED.search(question) if kind == "money" else _MEASURED.search(question) if kind in FIGURE_TYPES else None
    if not m:
        return None
    measure, *things = ("price", *m.groups()) if kind == "money" else (_MEASURE[m.group(1).lower()], m.group(2))
    thing = re.split(r" (?:to|at|in|on|for|from|of) ", next(t for t in things if t))[0].split()
    head = [w for w in thing if not w[:1].isdigit()]
    if not head or len(head) > 5 or not head[-1].islower() or head[-1] in STOPWORDS:
        return None
    return measure, head[-1]


def _of_month_asked(q: Query, units: list[Unit], passages: list[Passage]) -> list[Unit]:
    """A summary of what happened "in August 2019" is the story dated then, all of it: its
    sentences that name another year ("traffic averaged 24,300 a day last year", what the
    minister announced that August) do not fail the year."""
    month = next((c.value for c in q.constraints if c.kind == "month"), None)
    asked = {c.value for c in q.constraints if c.kind == "year" and not c.season}
    if month is None or len(asked) != 1:
        return units

    def dated_then(u: Unit) -> bool:
        day = calendar_date(passages[u.passage].date)
        return day is not None and day.year in asked and day.month == month
    return _excused(units, ("year",), dated_then)


def _excused(units: list[Unit], kinds, where) -> list[Unit]:
    """`units` with their failures forgiven where `where(unit)` holds and every constraint the
    unit fails is of `kinds`."""
    return [replace(u, failed=()) if u.failed and where(u) and all(c.kind in kinds for c in u.failed) else u
            for u in units]


def _of_years_asked(q: Query, units: list[Unit], passages: list[Passage]) -> list[Unit]:
    """A summary of "the 2022 season" is told by the stories of 2022: dated that year or naming
    it in their title. When some story that may answer is one, the sentences of stories of other
    years that name the year only in passing ("a quarter of last year's record") fail the year.
    (Not a list: "each quarter of 2023" is reported into the next year.)"""
    asked = [c for c in q.constraints if c.kind == "year" and not c.season]
    if not asked:
        return units

    def of_year(u: Unit) -> bool:
        p = passages[u.passage]
        dated = int(p.date[:4]) if p.date and p.date[:4].isdigit() else None
        return all(c.value == dated or c.value in years(p.title or "") for c in asked)

    told = {u.source for u in units if not u.failed and of_year(u)}
    if not told:
        return units
    return [replace(u, failed=tuple(asked)) if not u.failed and u.source not in told else u for u in units]


_TOLD_BY_STORY = ("ordinal",)   # constraints a summary or a list reads of the story, not of each sentence
SAME_STORY = 0.7     # an article whose best unit scores this share of the best one's tells the same story
NEW_SHARE = 0.3      # a unit with less than this share of words not yet said (or under 3) says it again


PARALLEL_SHARE = 0.97  # a sentence telling one thing compared that scores this share of its best may stand for it


def _likeness(a: str, b: str) -> float:
    """How alike two sentences are worded, their figures aside: the share of their words (stems)
    they have in common."""
    x, y = (set(tokens(_NUMBER.sub(" ", t))) for t in (a, b))
    return len(x & y) / max(1, len(x | y))


W_PERSON = 0.1       # for a sentence naming a person the question does not, asked who
W_NAMED = 0.1        # per name a sentence gives, for a list of people
# a person's name: two or three capitalised words, not after "the" ("the Velsborg Chamber")
_NAMED = re.compile(r"(?<![Tt]he )\b[A-Z][\w'\u2019-]+(?: [A-Z][\w'\u2019-]+){1,2}\b")


def _named(text: str) -> set[str]:
    """The names of people a sentence may give ("Marta Vinterberg", "Tobiah Krane")."""
    return {fold(m.group()) for m in _NAMED.finditer(text)}


SAME_EVENT_DAYS = 10   # another outlet's report of the same event is dated within this many days of it
# a summary that asks for a course of events, not one event: "since 2019", "from the fire to the
# reopening", "the story of", "how ... developed", "over the years", "so far", "everything"
_SPANS = re.compile(r"\bsince\b|\bfrom\b.+\bto\b|\bstory\b|\bhistory\b|\bdevelop|\bevolv|\bover the\b|"
                    r"\bso far\b|\ball\b|\bevery|\btimeline\b|\bsaga\b|\bchanges?\b|\bbetween\b", re.I)


def one_event(question: str) -> bool:
    """The summary asked for is of one event (a final, a ruling, a quarter's results): the
    question names at most one year and asks for no course of events (`_SPANS`)."""
    return len(years(question)) <= 1 and not _SPANS.search(question)


def _days_apart(a: str | None, b: str | None) -> int | None:
    """Days between two articles' ISO dates; None when either is missing or not a whole date."""
    first, second = calendar_date(a), calendar_date(b)
    return None if first is None or second is None else abs((first - second).days)


def pick_many(units: list[Unit], n: int, max_chars: int, *, people: bool = False,
              dates: dict[str, str | None] | None = None) -> list[Unit]:
    """Up to `n` units for a list or a summary, within `max_chars`: the best article's, and
    those of articles that score nearly as well (the same story told by another outlet): the
    best of each such article first, then the best of the rest; never one that repeats what a chosen unit says. Returned with
    the best article's units first, each article's in reading order. A list of people
    (`people`) takes only units that name someone not yet named, those naming most first.
    With `dates` (each article's date; a summary of one event), only the articles dated within
    SAME_EVENT_DAYS of the best one's tell the same story."""
    by_source: dict[str, list[Unit]] = {}
    for u in units:
        by_source.setdefault(u.source, []).append(u)
    if not by_source:
        return []
    top = max(us[0].score for us in by_source.values())
    stories = {src: us for src, us in by_source.items() if us[0].score >= SAME_STORY * top}
    if dates is not None:
        # one event: other stories are the same one told by another outlet, within days of it
        # (an undated story may be either: kept)
        best = max(stories, key=lambda src: stories[src][0].score)
        stories = {src: us for src, us in stories.items()
                   if src == best or (_days_apart(dates.get(src), dates.get(best)) or 0) <= SAME_EVENT_DAYS}
    firsts = [us[0] for us in stories.values()]
    rounds = firsts + sorted((u for us in stories.values() for u in us[1:]), key=lambda u: -u.score)
    if people:
        # (the sentences naming most people first)
        names = {id(u): _named(u.text) for u in rounds}
        rounds.sort(key=lambda u: -(u.score + W_NAMED * len(names[id(u)])))
        said: set[str] = set()
        kept = []
        for u in rounds:
            if names[id(u)] - said:
                said |= names[id(u)]
                kept.append(u)
        rounds = kept or rounds
    chosen = pick(rounds, n, max_chars, say_new=True)
    first = {src: i for i, src in enumerate(dict.fromkeys(u.source for u in chosen))}
    return sorted(chosen, key=lambda u: (first[u.source], u.start))


def enumerates(text: str) -> bool:
    """The sentence names several things in a row: three or more short comma- or "and"-separated
    parts that each hold a capitalised word ("… named as Deputy Minister A, Deputy Minister B
    and C"), or two with "also" ("She also won X and Y")."""
    parts = [p.split() for p in re.split(r",\s*(?:and\s+)?|\s+and\s+", text.strip())]
    run = best = 0
    for i, words_ in enumerate(parts):
        seg = words_[1:][-6:] if i == 0 else words_      # a list may start at the end of the first part
        named = (i == 0 or len(words_) <= 6) and any(w[:1].isupper() for w in seg)
        run = run + 1 if named else 0
        best = max(best, run)
    return best >= 3 or best >= 2 and bool(re.search(r"\balso\b", text))


def continue_list(first: Unit, passage: Passage, max_chars: int) -> Unit:
    """A list often runs on past the sentence that starts it ("...taking four awards. She also
    won A, B and C."): the unit grown by the sentences that follow it in its passage while each
    names several things in a row (`enumerates`), within `max_chars`."""
    end = first.end - passage.start
    for text, sent_end in _after(first, passage, max_chars):
        if INJECTION.search(text) or _headline_like(text) or not enumerates(text):
            break
        end = sent_end
    return _grown(first, passage, end)


QUOTE_ON = 2     # sentences of their own words a reported saying may run on for


def continue_quote(first: Unit, passage: Passage, max_chars: int) -> Unit:
    """What someone said, reported ("Ruel told the delegations there were 'two roads' ahead"),
    often goes on in their own words in the next sentences ('"One road leads to peace …," Ruel
    said.'): the unit grown by up to QUOTE_ON of them while each opens a quotation that is
    unattributed or attributed to the one the unit reports, within `max_chars`."""
    if not _SPEECH_VERB.search(first.text):
        return first
    # (the one reported: a speaker found beside the verb, else anyone the sentence names, as in
    # "Market trader Joe Hendry, 71, who has sold vegetables for 48 years, said he ...")
    reported = speakers(first.text) or set(words(fold(first.text)))
    end = first.end - passage.start
    for n, (text, sent_end) in enumerate(_after(first, passage, max_chars)):
        said_by = speakers(text)
        if n >= QUOTE_ON or not OPENS_QUOTE.match(text) or INJECTION.search(text) or \
                (said_by and not said_by & reported):
            break
        end = sent_end
    return _grown(first, passage, end)


def _after(first: Unit, passage: Passage, max_chars: int):
    """The sentences that follow `first` in its passage, as (text, end in the passage), while
    the unit grown to each stays within `max_chars`."""
    start, end = first.start - passage.start, first.end - passage.start
    for sent in sentences(passage.text):
        if sent.start < end:
            continue
        if sent.end - start > max_chars:
            return
        yield passage.text[sent.start:sent.end], sent.end


def _grown(first: Unit, passage: Passage, end: int) -> Unit:
    """`first` reaching to `end` (in the passage) instead."""
    if end == first.end - passage.start:
        return first
    start = first.start - passage.start
    return replace(first, end=passage.start + end, text=passage.text[start:end])


def pick(units: list[Unit], n: int, max_chars: int | None = None, *, say_new: bool = False) -> list[Unit]:
    """The best `n` units that do not overlap, best first, within `max_chars` in all; with
    `say_new`, none that repeats what those chosen say (fewer than 3 new words, or under
    NEW_SHARE of its words)."""
    chosen: list[Unit] = []
    said: set[str] = set()
    used = 0
    for u in units:
        if len(chosen) >= n:
            break
        if any(u.source == c.source and u.start < c.end and c.start < u.end for c in chosen):
            continue
        if max_chars is not None and used + len(u.text) > max_chars:
            continue
        if say_new:
            content = {w for w in words(fold(u.text)) if w not in STOPWORDS}
            new = content - said
            if chosen and (len(new) < 3 or len(new) < NEW_SHARE * len(content)):
                continue
            said |= content
        chosen.append(u)
        used += len(u.text) + 5
    return chosen
