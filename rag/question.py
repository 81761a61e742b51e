"""What a question asks, read once: its constraints, its shape, the words that make it specific.

A constraint is something the evidence that answers must match, not merely
resemble: a year ("in 2021", "the 2019 final"), a quarter ("Q1 2023", "the first
quarter"), an edition or stage ("the 43rd", "the fifteenth edition", "the second
stage") and a numbered name ("Corvid 4"). A sentence about another year answers
a different question, however well it matches the rest; the engine refuses it
and says which constraint failed (a near miss).

`holds(constraint, context)` is decided by the nearest text that speaks to it:
the sentence, then its passage, then the article's title, then the article's
date (a story dated 2021 that says "this year" speaks of 2021). Only ordinary
English is written here; nothing about any one folder of news.
"""
from __future__ import annotations

import datetime
import re
from dataclasses import dataclass, field, replace

from index.chunking import sentences
from index.text import QUESTION_WORDS, STOPWORDS, fold, stem, words

ORDINAL_WORDS = ("first second third fourth fifth sixth seventh eighth ninth tenth eleventh twelfth thirteenth "
                 "fourteenth fifteenth sixteenth seventeenth eighteenth nineteenth twentieth").split()
_TENS = {"twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80,
         "ninety": 90}
_TENS_ORD = {"twentieth": 20, "thirtieth": 30, "fortieth": 40, "fiftieth": 50, "sixtieth": 60,
             "seventieth": 70, "eightieth": 80, "ninetieth": 90, "hundredth": 100}
# an edition-like noun after a low ordinal word makes it a constraint ("the second stage")
_SERIES = ("edition|season|stage|round|leg|term|tournament|ceremony|festival|awards?|final|game|match|test|phase|"
           "series|year|day|week|month|congress|conference|summit|session|wave|batch|generation|model|version|"
           "quarter|half|race|election|vote|ballot|meeting|event|exchange|swap|anniversary")
_SERIES_AFTER_FIRST = "flight|launch|mission|strike|walkout|attempt|visit|album|trial|hearing|lap|set"
_YEAR = re.compile(r"(?<![\d.,$])\b(1[89]\d{2}|20\d{2})\b(?![.,]\d)")
_NUM_ORD = re.compile(r"\b(\d{1,3})(?:st|nd|rd|th)\b", re.I)
_WORD_ORD = re.compile(r"\b(?:(twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety)[- ])?(" +
                       "|".join(ORDINAL_WORDS) + r")\b|\b(" + "|".join(_TENS_ORD) + r")\b", re.I)
QUARTER_WORDS = ("first", "second", "third", "fourth")
_QUARTER = re.compile(r"\bq([1-4])\b|\b([1-4])q\b|\b(first|second|third|fourth|1st|2nd|3rd|4th)[- ]quarter\b", re.I)
# a season over the turn of a year, "2023-24", "2023/24": read as its first year
_SEASONS = re.compile(r"\b(1[89]\d{2}|20\d{2})\s*[-/\u2013]\s*(\d{2})\b(?![-/]\d)")
_MONTH_QUARTER = re.compile(r"\b(?:(?:january|april|july|october)\s*[-\u2013]\s*|three months (?:to|ended|ending) )"
                            r"(march|june|september|december)\b", re.I)
_HALF = re.compile(r"\b(h[12])\b|\b(first|second)[- ]half\b", re.I)
_RELATIVE = {"this year": 0, "last year": -1, "next year": 1, "a year earlier": -1, "a year ago": -1,
             "previous year": -1, "the year before": -1, "a year later": 1, "current year": 0}
# ... those told from another year, which is the sentence's own where it names one
_ANAPHORIC = frozenset({"a year earlier", "previous year", "the year before", "a year later"})
# history told in passing: "since 1998", "since early March 2020", "since the start of the pandemic in
# 2020", "the most since records began in 1961"
# (within its clause: up to a comma, a full stop or a quotation, save those inside a figure, "84,300")
_IN_CLAUSE = r"(?:[^,.;:\"\u201c\u201d]|(?<=\d)[,.](?=\d))"
_SINCE_YEAR = re.compile(r"\bsince\b" + _IN_CLAUSE + r"{0,60}?\b(1[89]\d{2}|20\d{2})\b")
# a year that is part of someone's title: "beating the 2019 champion Dean Mulcaster" (in a story of 2022)
_TITLE_YEAR = re.compile(r"\b(?:the|a|former|defending)\s+(1[89]\d{2}|20\d{2})\s+(?:champions?|winners?|"
                         r"runners?-up|title-holders?|(?:gold |silver |bronze )?medallists?|finalists?|laureates?)\b",
                         re.I)
# a year named as a deadline or a plan: "would close the brewery by the end of 2024", "until 2030"
_AHEAD_YEAR = re.compile(r"\b(?:by|until|till|before)\s+(?:the\s+(?:end|start|middle|beginning|spring|summer|"
                         r"autumn|winter)\s+of\s+)?(?:\w+\s+)?(1[89]\d{2}|20\d{2})\b", re.I)
# the year a figure is compared with: "down from 180 million last year", "up from 61% in 2019",
# "compared with 62 in 2022", "higher than in 2021"
# a small count in figures or words ("three years later", "eight days ago", "a month before")
SMALL_COUNTS = {"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
                "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "fifteen": 15, "twenty": 20}
SMALL_COUNT_SAID = r"(?:\d{1,2}|" + "|".join(SMALL_COUNTS) + r")"      # ... for patterns


def _counts_up_to(most: int) -> str:
    """SMALL_COUNT_SAID up to `most` in words: past it a count of years or days back is a round
    figure ("twenty years ago"), not a date to read."""
    return r"(?:\d{1,2}|" + "|".join(w for w, n in SMALL_COUNTS.items() if n <= most) + r")"


def small_count(said: str) -> int:
    """The number a SMALL_COUNTS word or a figure says."""
    return int(said) if said.isdigit() else SMALL_COUNTS[said.lower()]


# "two years ago", "three years earlier": the story's year less that many
_YEARS_AGO_SAID = rf"({_counts_up_to(10)}) years (?:ago|earlier)"
_YEARS_AGO = re.compile(rf"\b{_YEARS_AGO_SAID}\b", re.I)
# the words that compare a figure with another ("up from", "more than", "compared with")
_COMPARED = r"\b(?:from|than|compared (?:with|to)|against)\b"
_COMPARED_YEAR = re.compile(_COMPARED + _IN_CLAUSE + r"{0,50}?\b"
                            r"(1[89]\d{2}|20\d{2}|" + "|".join(k for k, v in _RELATIVE.items() if v < 0) + r"|"
                            rf"{_YEARS_AGO_SAID})\b", re.I)
_THIS_TIME = re.compile(r"\bthis (?:summer|spring|autumn|fall|winter|season|month|week|year)\b", re.I)
_RELATIVE_RE = re.compile(r"\b(" + "|".join(_RELATIVE) + r")\b", re.I)
# "Corvid 4", "Model 3", "Galaxy S9", "Kestrel-2": a name with a number that picks one of a series
_NAME_GAP = r"(?:\s+|-)"       # between a numbered name's word and its number
# a part of a series numbered in words: "stage three", "phase two", "round one" (= stage 3, the third stage)
_SPELT = {w: n for w, n in SMALL_COUNTS.items() if w not in ("a", "an")}
_SPELT_PARTS = "stage|phase|round|leg|game|match|part|heat|day|week|act|chapter|episode|level|tier|step|group"
_SPELT_WORDS = "|".join(_SPELT)
_SPELT_NAME = re.compile(rf"\b({_SPELT_PARTS}){_NAME_GAP}({_SPELT_WORDS})\b(?![\s-]+(?:years?|"
                         rf"days?|weeks?|months?|hours?|times)\b)", re.I)
_NUMBERED_NAME = re.compile(rf"\b([A-Z][A-Za-z]{{2,}}){_NAME_GAP}([A-Z]?\d{{1,3}}[a-z]?)\b"
                            r"(?!\s*(?:%|per|million|billion|st|nd|rd|th)\b)")
_TYPED_NUMBERED_NAME = re.compile(rf"\b([a-z][a-z]{{2,}}){_NAME_GAP}(\d{{1,2}}[a-z]?)\b(?!\s*(?:%|per|million|billion|st|nd|"
                                  r"rd|th|[a-z]+s)\b)")
# a name that owns what follows it: "Harbour Post's reporter" is not Harbour Post
_OWNER = re.compile(r"([A-Z][\w'\u2019-]+(?:\s+[A-Z][\w'\u2019-]+)*)['\u2019]s\b")
# written in capitals but a role, not a name: "What did the CEO say?"
_ROLE_ABBREVIATIONS = frozenset("ceo cfo coo cto cio evp svp vp gm md mp mep pm".split())
# a span of years: "from 2022 to 2024", "between 2019 and 2021", "2019-2021"
_YEAR_RANGE = re.compile(r"\b(?:from|between)\s+(?:the\s+)?(1[89]\d{2}|20\d{2})\s+(?:to|and|until|till|through)\s+"
                         r"(?:the\s+)?(1[89]\d{2}|20\d{2})\b|\b(1[89]\d{2}|20\d{2})\s*[-\u2013]\s*(1[89]\d{2}|20\d{2})\b")
MAX_RANGE_YEARS = 10
MONTHS = "january february march april may june july august september october november december".split()
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
WEEKDAY_NAMES = "|".join(d.title() for d in WEEKDAYS)     # "Monday|...|Sunday", for patterns
WEEKDAY = re.compile(rf"\b({WEEKDAY_NAMES})\b")
# asks how things stand now, not at one time the articles tell of ("what is she doing now?",
# "and in the latest census?")
# (or what something came to in the end: "what did it end up costing?")
ASKS_NOW = re.compile(r"\b(now|current|currently|these days|nowadays|today|at present|presently|latest|newest|"
                      r"most recent|so far|still|any ?more|up to date|in the end|eventually|ultimately|finally|"
                      r"end up|ended up)\b", re.I)
# "in what year", "on what date": the kind of answer asked for
_ASKS_WHEN = re.compile(r"\b(?:what|which) (?:year|date|day|month|time)\b", re.I)
# "January|...|December", for patterns; and a month written short ("Nov. 14", "Feb 2023"), only
# before a day or a year, so that "Jan" the name and "mar" the verb are not months
SHORT_MONTHS = frozenset("jan feb mar apr jun jul aug sept sep oct nov dec".split())
# capitalised, yet not names ("Jan" may be one, "Mar" rarely a month written alone)
CALENDAR = frozenset(MONTHS) | frozenset(WEEKDAYS) | (SHORT_MONTHS - {"jan", "mar"})
MONTH_NAMES = "|".join(m.title() for m in MONTHS) + \
    rf"|(?:{'|'.join(sorted((m.title() for m in SHORT_MONTHS), reverse=True))})(?=\.?\s+\d)"


def _is_month(word: str) -> bool:
    return word.lower() in MONTHS or word.lower() in SHORT_MONTHS


def month_number(name: str) -> int:
    """1-12 for a month's name, whole or short ("Nov")."""
    return [m[:3] for m in MONTHS].index(name[:3].lower()) + 1


# a month in the articles: capitalised, so "may" the verb is not one
_MONTH = re.compile(rf"\b({MONTH_NAMES})\b")
# a month a question asks about: "in June 2023", "on May 15", "15 May", "in early March" (not
# "since June", which is not one month)
_ASKED_MONTH = re.compile(rf"(?:\b(?:in|on|of|during)\s+(?:(?:early|late|mid)[- ])?|(?<=\bmid-))({MONTH_NAMES})\b|"
                          rf"\b({MONTH_NAMES})(?=\s+(?:\d{{1,2}}(?:st|nd|rd|th)?\b|1[89]\d\d|20\d\d))|"
                          rf"(?<=\d\s)({MONTH_NAMES})\b", re.I)

# asks for the story in short: "summarise ...", "can you sum up ...", "tl;dr of ...", "a quick summary of
# ...", "Briefly, what was ...", "... in a nutshell", "short overview please", and "what did the
# company announce?" (what was made known: the story of the announcement)
_SHORT = r"(?:(?:short|quick|brief|rough)\s+)?"
SUMMARY = re.compile(r"^\s*(please\s+)?(briefly|(a |an )?" + _SHORT + r"(summary|overview|recap|rundown) of|"
                     r"sum (it |this |that )?up)\b|\byou sum (it |this |that )?up\b|"
                     r"\b(summari[sz]e|tl;? ?dr|in a nutshell|in summary|in brief|"
                     r"(give|want|need)( me| us)? (a|an|the) " + _SHORT + r"(summary|overview|rundown|recap)|"
                     r"(short|quick|brief) (summary|overview|recap|rundown)|what happened (at|in|during|with|to)|"
                     r"what (were|are) the (main|key) (points|outcomes|results)|"
                     r"what (?:did|has|have|had|does|do|will) (?:[\w'\u2019.-]+\s+){1,6}?(?:announce|unveil)(?!\s+(?:as|was|were)\b))\b",
                     re.I)
LIST = re.compile(r"^\s*(and\s+)?(who (were|are|have been|else|(was|is) (in|on|part of|among) (the|their|his|her|its)\b)|(which|what) \w+s (were|are|did|do|have|had|won|"
                  r"took|attended|signed|played)\b|list|name (the|all|every)|what (were|are) the (\w+ )?"
                  r"(demands|terms|conditions|names|members|parties|countries|points|issues|steps|measures|"
                  r"prizes|awards|winners|candidates|results)\b)|\b(who sat on|who (ran|stood|competed) for|"
                  r"which (countries|parties|films|teams|players|leaders|people|companies|albums|members)\b|"
                  r"\b(which|what) (two|three|four|five|six|seven|several|other)\b|\bwhat (kinds|sorts|types) of\b|"
                  r"\blist (a few|them|all)\b|\bmain (terms|points)\b)",
                  re.I)


@dataclass(frozen=True)
class Constraint:
    kind: str        # "year", "month", "day", "quarter", "half", "ordinal", "name"
    value: object    # 2021, 1, 43, ("corvid", "4")
    text: str        # as the question says it
    typed: bool = False  # a numbered name typed in lower case: a constraint only if the articles have it
    season: bool = False  # a year that is a season's first ("the 2023-24 season": 2023)

    @property
    def number(self):
        """The value compared with what evidence names (a numbered name's number)."""
        return self.value[1] if self.kind == "name" else self.value

    def shown(self, value, written: str = "") -> str:
        """A value of this constraint's kind as the user reads it: Q2, H1, 43rd, Corvid 4, 2019
        (a numbered name spelt as `written`, the articles' text, spells it: "corvid 5" typed,
        "Corvid 5" shown)."""
        if self.kind == "quarter":
            return f"Q{value}"
        if self.kind == "half":
            return f"H{value}"
        if self.kind == "ordinal":
            return _ordinal(value)
        if self.kind == "month":
            return MONTHS[value - 1].title()
        if self.kind == "day":
            return f"{MONTHS[value[0] - 1].title()} {value[1]}"
        if self.kind == "name":
            word = re.split(_NAME_GAP, self.text)[0]
            m = re.search(rf"\b({re.escape(word)})({_NAME_GAP})[A-Za-z]?\d", written, re.I) if written else None
            return f"{m.group(1)}{m.group(2)}{value}" if m else f"{word} {value}"
        return str(value)

    def describe(self, written: str = "") -> str:
        if self.season:
            return self.text
        return self.shown(self.number, written) if self.kind == "name" else self.shown(self.value)


@dataclass(frozen=True)
class Query:
    text: str
    constraints: tuple[Constraint, ...]
    shape: str                                    # "fact", "list" or "summary"
    specific: tuple[str, ...] = field(default=())  # folded content words, constraints taken out
    asked: tuple[str, ...] = field(default=())     # the specific words that are not names
    names: tuple[str, ...] = field(default=())     # folded names the question gives (capitalised inside it)
    plain: str = ""                                # the question without its years ("who won the final")
    owners: tuple[str, ...] = field(default=())    # folded names that own another ("Harbour Post's reporter")
    listed: tuple[str, ...] = field(default=())    # for a list, the folded words of what it is of ("animals")

    def describe(self, written: str = "") -> str:
        """The constraints as the user reads them: "Q2 2023", "April 2023", "May 24, 2025"."""
        shown = [c.describe(written) for c in self.constraints]
        year = next((c for c in self.constraints if c.kind == "year"), None)
        when = next((c for c in self.constraints if c.kind in ("month", "day")), None)
        if year is not None and when is not None:     # a year is put after its month or day
            joined = f"{when.describe()}{',' if when.kind == 'day' else ''} {year.describe()}"
            shown = [joined if c is when else d for c, d in zip(self.constraints, shown) if c is not year]
        return ", ".join(shown)


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def _word_ordinal(m: re.Match) -> int:
    if m.group(3):
        return _TENS_ORD[m.group(3).lower()]
    base = ORDINAL_WORDS.index(m.group(2).lower()) + 1
    return base + (_TENS[m.group(1).lower()] if m.group(1) else 0)


def ordinals(text: str) -> set[int]:
    """Every ordinal the text names, as numbers ("43rd", "forty-third" -> 43); "first",
    "second" and "third" as words only of a series (`_of_series`): "finished first" is a placing."""
    found = {int(m.group(1)) for m in _NUM_ORD.finditer(text)}
    found |= {_word_ordinal(m) for m in _WORD_ORD.finditer(text) if _of_series(m, text)}
    return found


def _of_series(m: re.Match, text: str) -> bool:
    """The word ordinal `m` may number one of a series: not one that counts times ("for the
    first time"), nor "first", "second" or "third" said as a placing, followed by a preposition
    or a stop ("finishing first in the opening round", "came second, 4 points behind")."""
    if _TIMES.match(text, m.end()):
        return False        # "for the first time", "won it for the fifth time": how often, not which
    if _word_ordinal(m) > 3:
        return True
    return not _PLACING.match(text, m.end())


_TIMES = re.compile(r"[\s-]+times?\b", re.I)
_PLACING = re.compile(r"\s*[,.;:)]|\s+(?:in|on|at|with|behind|ahead|overall|place|and|after|for)\b", re.I)


def quarters(text: str) -> set[int]:
    """Every calendar quarter the text names: "Q4", "fourth-quarter", "the October-December
    quarter", "the three months to December"."""
    out = {(month_number(m.group(1)) - 1) // 3 + 1 for m in _MONTH_QUARTER.finditer(text)}
    for m in _QUARTER.finditer(text):
        g = m.group(1) or m.group(2) or m.group(3)
        out.add(int(g[0]) if g[0].isdigit() else QUARTER_WORDS.index(g.lower()) + 1)      # ("Q4", "4th", "fourth")
    return out


def halves(text: str) -> set[int]:
    return {1 if (m.group(1) or m.group(2)).lower() in ("h1", "first") else 2 for m in _HALF.finditer(text)}


def years(text: str, date: str | None = None) -> set[int]:
    """Years the text names, and the years its relative phrases mean when the article's date is known."""
    found = {int(y) for y in _YEAR.findall(text)}
    if date and date[:4].isdigit():
        base = int(date[:4])
        found |= {base + _RELATIVE[m.group(1).lower()] for m in _RELATIVE_RE.finditer(text)}
        found |= _years_back(text, base)
    return found


def _years_back(text: str, base: int) -> set[int]:
    """The years "two years ago", "12 years earlier" mean in a story of year `base`."""
    return {base - small_count(m.group(1)) for m in _YEARS_AGO.finditer(text)}


def months(text: str) -> set[int]:
    """The months the text names (1-12)."""
    return {month_number(m.group(1)) for m in _MONTH.finditer(text)}


_DAY = re.compile(rf"\b({MONTH_NAMES})\.?\s+(\d{{1,2}})(?:st|nd|rd|th)?\b(?!\d|,\d)|"
                  rf"\b(\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?({MONTH_NAMES})\b")


def days(text: str) -> set[tuple[int, int]]:
    """The days of the year the text names, as (month, day): "May 23", "23 May"."""
    out = set()
    for m in _DAY.finditer(text):
        name, day = (m.group(1), m.group(2)) if m.group(1) else (m.group(4), m.group(3))
        out.add((month_number(name), int(day)))
    return out


# a sentence or question that looks ahead: what is expected, planned or due (case kept: "May" is a month)
LOOKS_AHEAD = re.compile(r"\b(?:will|would|could|might|shall|[Ee]xpects?|[Ee]xpected|[Pp]lans? to|[Pp]lanned|"
                         r"[Ii]ntends? to|is due|are due|is to|are to|is set to|are set to|going to|[Ff]orecasts?|"
                         r"supposed to|projected|scheduled|to be heard|to be held|may)\b")


def calendar_date(date: str | None) -> datetime.date | None:
    """An article's ISO date ("2024-09-21") as a date; None when it is missing or not whole."""
    try:
        return datetime.date(int(date[:4]), int(date[5:7]), int(date[8:10]))
    except (TypeError, ValueError):
        return None


def weekday_date(sentence: str, date: str | None, article: str = "") -> tuple[str, str] | None:
    """("Saturday", "21 September 2024"): the day a sentence names only by its weekday, read from
    its article's date (the last such weekday on or before it; the next after it when the
    sentence looks ahead), written as the article writes its dates. None when the sentence
    names a calendar day, no weekday, or the article has no date."""
    m = WEEKDAY.search(sentence)
    dated = calendar_date(date)
    ago = DAYS_AGO.search(sentence)
    if not (m or ago) or days(sentence) or dated is None:
        return None
    if ago:
        # "began erupting eight days ago": counted back from the article's date (before any
        # weekday beside it, which is most often the day the story was told: "officials said on Monday")
        n = small_count(ago.group(1))
        day = dated - datetime.timedelta(days=n * (7 if ago.group(2).lower().startswith("week") else 1))
        said = ago.group(0)
    else:
        want = WEEKDAYS.index(m.group(1).lower())
        before = re.split(r"[.!?;]\s", sentence[:m.start()])[-1][-60:]     # its own clause, just before it
        if LOOKS_AHEAD.search(before) or re.search(r"\bnext\s*$", before, re.I):     # ("next Saturday")
            day = dated + datetime.timedelta(days=(want - dated.weekday()) % 7 or 7)
        else:
            day = dated - datetime.timedelta(days=(dated.weekday() - want) % 7)
        said = m.group(1)
    month = MONTHS[day.month - 1].title()
    day_first = bool(re.search(rf"\b\d{{1,2}}\s+(?:{MONTH_NAMES})\b", article))
    written = f"{day.day} {month} {day.year}" if day_first else f"{month} {day.day}, {day.year}"
    return said, written


DAYS_AGO = re.compile(rf"\b({_counts_up_to(12)}) (days?|weeks?) ago\b", re.I)


def numbered_names(text: str) -> set[tuple[str, str]]:
    return {(m.group(1).lower(), m.group(2).lower()) for m in _NUMBERED_NAME.finditer(text)
            if not _is_month(m.group(1)) and not _YEAR.fullmatch(m.group(2))}


# how condense marks a follow-up it could only carry along: "did he appeal it? (following: what
# happened to Corin Talbeck at his trial)"; the words after it are context, not what is asked
FOLLOWING = " (following: "


def parse(question: str) -> Query:
    """The question's constraints, shape and specific words."""
    q = question
    found: list[Constraint] = []
    spans: list[tuple[int, int]] = []

    def free(m):        # not inside a constraint already read
        return not any(a <= m.start() < b for a, b in spans)

    for m in sorted([*_QUARTER.finditer(q), *_MONTH_QUARTER.finditer(q)], key=lambda m: m.start()):
        found.append(Constraint("quarter", next(iter(quarters(m.group()))), m.group()))
        spans.append(m.span())
    for m in _HALF.finditer(q):
        found.append(Constraint("half", next(iter(halves(m.group()))), m.group()))
        spans.append(m.span())
    for m in _YEAR.finditer(q):
        season = _SEASONS.match(q, m.start())
        if season and seasons(season.group()):
            found.append(Constraint("year", int(m.group()), season.group(), season=True))
            spans.append(season.span())
        else:
            found.append(Constraint("year", int(m.group()), m.group()))
            spans.append(m.span())
    for m in _YEAR_RANGE.finditer(q):       # "from 2022 to 2024" asks of 2023 too
        low, high = int(m.group(1) or m.group(3)), int(m.group(2) or m.group(4))
        if 0 < high - low <= MAX_RANGE_YEARS:
            found.extend(Constraint("year", y, str(y)) for y in range(low + 1, high))
    for m in _ASKED_MONTH.finditer(q):
        if free(m) and not re.search(r"\b(?:since|until|till|from|by|before|after)\s+(?:(?:early|late|mid)[- ]?)?$",
                                     q[:m.start()], re.I):
            name = next(g for g in m.groups() if g)
            month = month_number(name)
            day = re.match(r"\.?\s+(\d{1,2})(?:st|nd|rd|th)?\b(?!\d)", q[m.end():]) or \
                re.search(r"\b(\d{1,2})(?:st|nd|rd|th)?\s+(?:of\s+)?$", q[:m.start()])
            if day and 1 <= int(day.group(1)) <= 31:       # "on May 24", "24 May": that day
                found.append(Constraint("day", (month, int(day.group(1))), f"{name.title()} {day.group(1)}"))
                after = day.re.pattern.startswith(r"\.?\s")
                spans.append((m.start(), m.end() + day.end()) if after else (day.start(), m.end()))
            else:
                found.append(Constraint("month", month, name))
                spans.append(m.span())
    for m in _NUMBERED_NAME.finditer(q):
        if _is_month(m.group(1)) or _YEAR.fullmatch(m.group(2)) or m.start() == 0:
            continue
        found.append(Constraint("name", (m.group(1).lower(), m.group(2).lower()), m.group()))
        spans.append(m.span())
    for m in _TYPED_NUMBERED_NAME.finditer(q):
        # typed in lower case ("the vexa 5"): a candidate, kept only if the articles found
        # name that word with a number (`grounded`)
        word = m.group(1).lower()
        if _is_month(word) or word in STOPWORDS or word in QUESTION_WORDS or _YEAR.fullmatch(m.group(2)) \
                or word in ORDINAL_WORDS or not free(m):        # "the first 72-hour walkout": no name
            continue
        found.append(Constraint("name", (word, m.group(2).lower()), m.group(), typed=True))
        spans.append(m.span())
    for m in _SPELT_NAME.finditer(q):
        if free(m):
            found.append(Constraint("name", (m.group(1).lower(), str(_SPELT[m.group(2).lower()])), m.group(),
                                    typed=True))
            spans.append(m.span())
    for m in _NUM_ORD.finditer(q):
        if free(m):
            found.append(Constraint("ordinal", int(m.group(1)), m.group()))
            spans.append(m.span())
    for m in _WORD_ORD.finditer(q):
        if not free(m):
            continue
        n = _word_ordinal(m)
        after = q[m.end():m.end() + 40]
        # "first", "second", "third" are ordinary words unless a series noun follows; a second or
        # third flight, launch or strike is one of a series too ("the third Kestrel-2 flight"), a
        # first one is often said as the maiden or the opening one
        series = _SERIES if n == 1 else _SERIES + "|" + _SERIES_AFTER_FIRST
        if n <= 3 and not re.match(r"[\s-]+([\w]+(?:-\w+)?[\s-]+)?(" + series + r")s?\b", after, re.I):
            continue
        found.append(Constraint("ordinal", n, m.group()))
        spans.append(m.span())
    unique = tuple(dict.fromkeys(found))
    own = q.split(FOLLOWING)[0]        # the shape is that of the question asked, not of its context
    shape = "summary" if SUMMARY.search(own) else "list" if LIST.search(own) else "fact"
    rest = q
    for a, b in sorted(spans, reverse=True):
        rest = rest[:a] + " " + rest[b:]
    # "in what year", "on what date": the kind of answer asked for, not a word the answer holds
    rest = _ASKS_WHEN.sub(" ", rest)
    specific = tuple(w for w in words(fold(rest)) if w not in STOPWORDS and w not in QUESTION_WORDS and len(w) > 1)
    # names say whose story it is, not what is asked of it
    rest = rest.strip()
    # (read as words are read everywhere: "SLV-204" is the words "slv" and "204")
    names = list(dict.fromkeys(w for m in re.finditer(r"(?<=[\s,'\"(])[A-Z][\w-]*", rest)
                               for w in words(fold(m.group())) if not w.isdigit()))
    asked = tuple(w for w in specific if w not in set(names))
    # adjectives of peoples and regions ("French", "Western") are said many ways: not checked
    named = tuple(dict.fromkeys(n for n in names if n not in CALENDAR and n not in STOPWORDS and len(n) > 2
                                and n not in _ROLE_ABBREVIATIONS and not re.search(r"(an|ans|ish|ese|ern|ch|ic)$", n)))
    plain = " ".join(_YEAR.sub(" ", _SEASONS.sub(" ", q)).split())
    owners = tuple(dict.fromkeys(w for m in _OWNER.finditer(q) for w in words(fold(m.group(1)))))
    listed = tuple(list_of(question)) if shape == "list" else ()
    return Query(question, unique, shape, specific, asked, named, plain, owners, listed)


# how the answer should be put, said before or after the question itself: "In one sentence, what
# caused ...?", "Answer with just the number: how many ...?", "Briefly, who ...?", "who won? one word"
_COUNT_WORDS = r"(?:one|a single|two|three|a few|a couple of|\d+)"
_FORM_WORDS = r"(?:sentences?|words?|lines?|paragraphs?)"
# the one thing an answer is asked to be: "just the surname", "only the score"
_ONE_THING = r"(?:number|figure|name|names|surname|first name|last name|full name|date|year|country|city|place|amount|score|percentage|title)"
BRIEFLY = r"briefly|in short|in brief"     # an answer asked for in short (a short fact, or a short summary)
_ANSWER_FORMAT = re.compile(
    rf"^\s*(?:please\s+)?(?:(?:in|using|with)\s+(?:just\s+|only\s+)?{_COUNT_WORDS}\s+{_FORM_WORDS}|"
    r"(?:answer|reply|respond)(?:\s+me)?\s+(?:with|in|using)\s+(?:just\s+|only\s+)?(?:the\s+|a\s+|an\s+|one\s+)?"
    rf"(?:{_ONE_THING}|word|sentence|yes or no)|"
    rf"(?:{BRIEFLY}|quickly|short answer|(?:just|only) the {_ONE_THING})"
    r")\s*[,:;.\u2013\u2014-]+\s*", re.I)
_TRAILING_FORMAT = re.compile(rf"[\s,;:(\u2013\u2014-]+(?:please\s+)?(?:(?:answer\s+)?in\s+{_COUNT_WORDS}\s+{_FORM_WORDS}|"
                              rf"(?:just|only)\s+the\s+{_ONE_THING}|briefly|(?:keep|make) it (?:brief|short)(?:,? please)?|be brief|"
                              rf"{_COUNT_WORDS}\s+{_FORM_WORDS}(?:\s+please)?)[\s)?.!]*$", re.I)


def answer_format(question: str) -> tuple[str, str]:
    """The question without a request for how to put the answer, and that request ("" if none):
    the request is not something the articles are searched for."""
    m = _ANSWER_FORMAT.match(question)
    if m and m.end() < len(question):
        rest = question[m.end():]
        return rest[:1].upper() + rest[1:], m.group(0).strip(" ,:;.-\u2013\u2014")
    m = _TRAILING_FORMAT.search(question)
    if m and m.start() > 0 and re.search(_WH, question[:m.start()], re.I):
        return question[:m.start()].rstrip(" ?") + "?", m.group(0).strip(" ,;:()?.!-\u2013\u2014")
    return question, ""


_WH = r"(?:who|whom|whose|what|when|where|which|why|how)\b"
_TWO_QUESTIONS = re.compile(rf"^(?P<a>{_WH}.+?)\s*,?\s+and\s+(?P<b>(?:(?:over|for|in|at|on|by|from|to|with) )?{_WH}.+)$",
                            re.I | re.S)


def two_questions(question: str) -> tuple[str, str] | None:
    """"Who took over after X was sacked, and how many games did he win?": the two questions
    asked in one, the second read as a follow-up of the first; None for one question."""
    m = _TWO_QUESTIONS.match(question.strip())
    if not m:
        return None
    a, b = m.group("a").strip().rstrip(",;"), m.group("b").strip()
    if len(words(a)) < 3 or len(words(b)) < 3:
        return None
    # the year, edition or quarter the first names holds for the second unless it names its own
    # ("How big was the budget for 2024-25 and what was the tax rise?")
    held, own = parse(a).constraints, parse(b).constraints
    if held and not own:
        b = f"{b.rstrip('?')} ({', '.join(c.text for c in held)})?"
    elif len(held) == 1 and len(own) == 1 and held[0].kind == own[0].kind and held[0].text in a and \
            not {w for w in words(b.replace(own[0].text, " ")) if w not in STOPWORDS} - set(words(a)):
        # "..., and how many to the 14th?": the first asked again of the second's year or edition
        b = a.replace(held[0].text, own[0].text, 1)
    return a.rstrip("?") + "?", b[:1].upper() + b[1:].rstrip("?") + "?"


@dataclass(frozen=True)
class Context:
    """The text around a sentence, nearest first, for deciding constraints."""

    sentence: str
    passage: str
    title: str
    date: str | None
    on_topic: bool = True    # the sentence holds most of what the question asks about


def grounded(q: Query, texts) -> Query:
    """The query without numbered names typed in lower case that no text names with a number
    ("top 10" is not a model name unless the articles speak of a "Top 9")."""
    typed = [c for c in q.constraints if c.typed]
    if not typed:
        return q
    joined = "\n".join(texts)
    return replace(q, constraints=tuple(c for c in q.constraints if not c.typed or _values(c, joined)))


def _values(c: Constraint, text: str) -> set:
    """The values of the constraint's kind that `text` names (years without the date's help)."""
    return {v for _, _, v in mentions(c, text)}


# how each other kind of constraint is found in a text: its patterns, and what a match says
_READERS = {"quarter": ((_QUARTER, _MONTH_QUARTER), quarters), "half": ((_HALF,), halves),
            "ordinal": ((_NUM_ORD, _WORD_ORD), ordinals), "month": ((_MONTH,), months), "day": ((_DAY,), days)}


def _decide(c: Constraint, levels) -> bool | None:
    """The first level that names any value of the constraint's kind decides."""
    for text in levels:
        named = _values(c, text)
        if named:
            return c.number in named
    return None


_RELATIVE_SEASON = re.compile(r"\b(this|last|next|previous|coming|following) (?:season|winter)\b", re.I)
_COMPARED_SEASON = re.compile(_COMPARED + _IN_CLAUSE + r"{0,60}?\b(?:last|previous) (?:season|winter)\b", re.I)
_SEASON_STEP = {"this": 0, "last": -1, "previous": -1, "next": 1, "coming": 1, "following": 1}


def seasons(text: str) -> set[int]:
    """The first years of the seasons over a year's turn the text names ("the 2021-22 winter": 2021)."""
    return {int(m.group(1)) for m in _SEASONS.finditer(text) if int(m.group(2)) == (int(m.group(1)) + 1) % 100}


def _holds_season(c: Constraint, ctx: Context) -> bool:
    """A season over the turn of a year ("the 2023-24 season"): the season a sentence names
    decides, then a year it names (either of the season's), then its headline's season, then
    the story's date: a story of the first half of a year tells of the season that began the
    year before ("closed on 21 April after 149 days", dated April 2024, is of 2023-24), and
    its "next winter" of the one after (its "down from 44.7 million last season" still of its own)."""
    named = seasons(ctx.sentence)
    if named:
        return c.value in named
    year, month = _date_parts(ctx)
    own = None if year is None else year if (month or 1) > 6 else year - 1
    step = _RELATIVE_SEASON.search(ctx.sentence)
    if step and _COMPARED_SEASON.search(ctx.sentence):
        step = None      # a figure compared with last season's
    if step and own is not None:
        return c.value == own + _SEASON_STEP[step.group(1).lower()]
    said = years(ctx.sentence, ctx.date)
    if said:
        return bool(said & {c.value, c.value + 1})
    named = seasons(ctx.title)
    if named:
        return c.value in named
    return c.value in seasons(ctx.passage) if own is None else c.value == own


def holds(c: Constraint, ctx: Context) -> bool:
    """Does the evidence match the constraint? Unknown (nothing says) counts as not matching,
    except for a year, which the article's date can supply."""
    if c.season:
        return _holds_season(c, ctx)
    if c.kind == "year":
        in_sentence = years(ctx.sentence, ctx.date)
        dated = int(ctx.date[:4]) if ctx.date and ctx.date[:4].isdigit() else None
        if in_sentence:
            # a sentence that names its year decides, if it is about the question's subject or
            # its article is of that year; "he retired in 2019" in a story of 2022 is not about 2019
            if c.value not in in_sentence:
                # "won for the first time since 1998", "down from 180 million last year" in a
                # story of the asked year is history told in passing: the sentence still
                # reports the story's own year
                return c.value in (_own_year(ctx), _reported_year(ctx)) and \
                    in_sentence <= _in_passing(ctx.sentence, dated)
            if c.value in _in_passing(ctx.sentence, dated) and ctx.sentence.count(str(c.value)) == 1:
                # named only as history ("for the first time since March 2022"): the sentence
                # speaks of its story's own year
                return c.value in (_own_year(ctx), _reported_year(ctx))
            return ctx.on_topic or dated in (c.value, c.value + 1) or c.value in years(ctx.title)
        if dated is not None and ctx.sentence.strip():
            # in a dated story, a sentence without a year speaks of the year its paragraph last
            # named before it ("In the 2018 final... The crowd was 33,900"), else of the story's
            # own year: "The 14th edition will be held in 2024" after it does not make it 2024's
            frame = _frame_year(ctx)
            if frame is not None:
                return frame == c.value
        else:       # an undated story, or a passage as a whole (does it speak of that year?)
            # (an undated story's history, "for the first time since March 2022", is not its year)
            named = years(ctx.passage, ctx.date) - (_in_passing(ctx.passage, dated) if dated is None else set())
            if c.value in named:
                return True
            if named and dated != c.value:
                return False
        named = years(ctx.title, ctx.date)
        if named:               # a headline that names its year says what the story is about
            return c.value in named
        return _reported_year(ctx) == c.value
    if c.kind == "month":
        # a sentence that names the month holds it; so does a story of that month, whatever other
        # months the sentence names in passing ("moved to August"), and one of early the next
        # month whose sentence names none (a story of early July may tell of the last days of June)
        if c.value in months(ctx.sentence):
            return True
        if ctx.date and ctx.date[5:7].isdigit():
            month, day = int(ctx.date[5:7]), int(ctx.date[8:10]) if ctx.date[8:10].isdigit() else 1
            return c.value == month or (c.value % 12 + 1 == month and day <= 10 and not months(ctx.sentence))
        return c.value in months(ctx.passage)
    if c.kind == "day":
        # a sentence that names a day decides; one that names none speaks of its story's days:
        # the day it is dated, or the day or two before, told as "on Saturday"
        said = days(ctx.sentence)
        if said:
            return c.value in said
        dated = calendar_date(ctx.date)
        if dated is not None:
            asked = calendar_date(f"{dated.year}-{c.value[0]:02d}-{c.value[1]:02d}")
            return asked is not None and 0 <= (dated - asked).days <= 2
        return c.value in days(ctx.passage)
    if c.kind == "ordinal" and not ctx.on_topic and c.value in ordinals(ctx.sentence):
        # "She was Best New Artist at the 42nd" in a story of another edition is not about the 42nd
        return _decide(c, (ctx.title, ctx.passage)) in (True, None)
    said = _decide(c, (ctx.sentence,))
    uncompared = {v for _, _, v in _uncompared(c, ctx.sentence)}
    if said is False and not uncompared:
        said = None     # "net profit was $83 million, double the $38 million of the first quarter"
    elif said and uncompared and c.number not in uncompared:
        # "The Arc 5 has a 4,500 mAh battery, up from 4,100 mAh on the Arc 4": what it tells
        # is of the Arc 5; the Arc 4 is only what it is compared with
        said = False
    if said is not None:
        return said
    # a sentence that names none of the series: its story's. A story headlined about another
    # of them ("Kestrel-3 launches") that names the one asked in passing ("a fourth satellite,
    # Kestrel-4, planned for 2026") is not about it
    in_title = _values(c, ctx.title)
    if in_title and c.number not in in_title and len(_values(c, ctx.passage)) > 1:
        return False
    if c.kind in ("quarter", "half"):
        # a paragraph that names its quarter before the sentence speaks of that quarter ("Revenue
        # in the three months to June rose ... Net profit rose to 402 million"), as of its year
        framed = _frame_period(c, ctx)
        if framed is not None:
            return c.number == framed
    # (a period it tells of before one it only looks ahead to: a story of second-quarter results
    # that "will publish results for the July-September quarter" is not of the third)
    told = _told(ctx.passage) if c.kind in ("quarter", "half") else ctx.passage
    return bool(_decide(c, (told, ctx.passage, ctx.title)))


def _frame_period(c: Constraint, ctx: Context):
    """The last quarter (or half) named before the sentence in its paragraph, outside what a
    figure is compared with ("up from 61 in the first quarter") and what is only looked ahead
    to; None when the sentence is not found or none is named."""
    paragraph = _paragraph_before(ctx)
    named = _uncompared(c, _told(paragraph)) if paragraph else []
    return named[-1][2] if named else None


def _paragraph_before(ctx: Context) -> str | None:
    """What its paragraph says before the sentence; None when the sentence is not in the passage."""
    sentence = ctx.sentence.strip()
    at = ctx.passage.find(sentence[:60]) if sentence else -1
    return ctx.passage[:at].rsplit("\n\n", 1)[-1] if at >= 0 else None


def _told(text: str) -> str:
    """`text` without its sentences that only look ahead ("It will publish results for ...")."""
    return " ".join(text[x.start:x.end] for x in sentences(text) if not LOOKS_AHEAD.search(text[x.start:x.end]))


_COMPARISON = re.compile(_COMPARED + r"(?:[^,.;:\"\u201c\u201d]|(?<=\d)[,.](?=\d)){0,50}", re.I)   # ("61,300")


def _uncompared(c: Constraint, text: str) -> list[tuple[int, int, object]]:
    """The mentions of the constraint's kind in `text`, in reading order, but those naming what
    a figure is compared with ("up from 61 in the first quarter", "double the $38 million of Q1",
    "4,100 mAh on the Arc 4"): told in passing."""
    spans = [m.span() for m in _COMPARISON.finditer(text)]
    return sorted(m for m in mentions(c, text) if not any(a <= m[0] < b for a, b in spans))


def _in_passing(sentence: str, dated: int | None) -> set[int]:
    """The years a sentence names only as history, as part of someone's title ("the 2019
    champion"), as what a figure is compared with, or as a deadline ahead of its story's date."""
    found = {int(y) for y in _SINCE_YEAR.findall(sentence)} | {int(y) for y in _TITLE_YEAR.findall(sentence)}
    # (and a year ahead of the story's, named as a deadline: the sentence says what was decided then)
    found |= {int(y) for y in _AHEAD_YEAR.findall(sentence) if dated is not None and int(y) > dated}
    for m in _COMPARED_YEAR.finditer(sentence):
        said = m.group(1)
        if said.isdigit():
            found.add(int(said))
        elif said.lower() in _ANAPHORIC:
            # "in 2021, up from 4.6 million the year before": the year before the one the
            # sentence names, not before the story's date
            named = _YEAR.findall(sentence[:m.start()])
            base = int(named[-1]) if named else dated
            if base is not None:
                found.add(base + _RELATIVE[said.lower()])
        elif dated is not None:
            found |= _years_back(said, dated) or {dated + _RELATIVE.get(said.lower(), 0)}
    if dated is not None:
        # "... this summer, a quarter of the area lost two years ago": beside a time of its own,
        # a sentence's "two years ago" is history
        back = _years_back(sentence, dated)
        if back and (years(_YEARS_AGO.sub(" ", sentence), f"{dated}") or _THIS_TIME.search(sentence)):
            found |= back
    return found


def _frame_year(ctx: Context) -> int | None:
    """The last year named explicitly before the sentence in its paragraph (history told in
    passing, "since 1998", "up from 15.1 percent in 2001", left out: `_in_passing`); None when
    the sentence is not found or none is named."""
    paragraph = _paragraph_before(ctx)
    if paragraph is None:
        return None
    year, _ = _date_parts(ctx)
    named = [int(y) for y in _YEAR.findall(_SINCE_YEAR.sub("since", paragraph))]
    named = [y for y in named if y not in _in_passing(paragraph, year)]
    return named[-1] if named else None


EARLY_MONTHS = 3     # a story dated in these first months of a year may report the year before


def _reported_year(ctx: Context) -> int | None:
    """The year the story's undated figures belong to: its date's year, except that a quarter's
    results are reported after the quarter ends ("fourth-quarter revenue", dated February,
    is last year's fourth quarter)."""
    year, month = _date_parts(ctx)
    if year is None:
        return None
    named = quarters(ctx.sentence) or quarters(ctx.passage)
    if month is not None and len(named) == 1 and month < 3 * next(iter(named)):
        return year - 1
    if month is not None and month <= EARLY_MONTHS and not named:
        # a story of the first months of a year that names last year and never this one
        # reports last year's figures: "a net profit of 41 million tallers for 2014", dated
        # March 2015, then "Revenue rose 7% to 1.38 billion tallers"
        told = years(ctx.passage) - _in_passing(ctx.passage, year)
        if year - 1 in told and year not in told and year not in years(ctx.title):
            return year - 1
    return _own_year(ctx)


def _date_parts(ctx: Context) -> tuple[int | None, int | None]:
    """The year and month of the story's date (None where it has none)."""
    if not ctx.date or not ctx.date[:4].isdigit():
        return None, None
    return int(ctx.date[:4]), int(ctx.date[5:7]) if ctx.date[5:7].isdigit() else None


def _own_year(ctx: Context) -> int | None:
    """The year of the story's date, or the year before when the sentence tells of a month
    later in the year than the story's ("the figure for the end of December", dated February)."""
    year, month = _date_parts(ctx)
    if year is None:
        return None
    said = months(ctx.sentence)
    if month is not None and said and min(said) > month and not LOOKS_AHEAD.search(ctx.sentence):
        return year - 1
    return year


def mentions(c: Constraint, text: str, date: str | None = None) -> list[tuple[int, int, object]]:
    """Where `text` names a value of the constraint's kind: (start, end, value) for each mention
    (years, with the article's date, also as "this year", "last year")."""
    if c.kind == "year":
        out = [(m.start(), m.end(), int(m.group(1))) for m in _YEAR.finditer(text)]
        if date and date[:4].isdigit():
            out += [(m.start(), m.end(), int(date[:4]) + _RELATIVE[m.group(1).lower()])
                    for m in _RELATIVE_RE.finditer(text)]
        return out
    if c.kind == "name":
        word = re.escape(c.value[0])
        pattern = rf"\b{word}{_NAME_GAP}([a-z]?\d{{1,3}}[a-z]?)\b"
        out = [(m.start(), m.end(), m.group(1).lower()) for m in re.finditer(pattern, text, re.I)]
        if re.fullmatch(_SPELT_PARTS, c.value[0], re.I):
            # "stage two", "the second stage", "the 2nd stage" name stage 2
            spelt = rf"\b{word}{_NAME_GAP}({_SPELT_WORDS})\b"
            out += [(m.start(), m.end(), str(_SPELT[m.group(1).lower()])) for m in re.finditer(spelt, text, re.I)]
            nth = rf"\b(\d{{1,2}}(?:st|nd|rd|th)|{'|'.join(ORDINAL_WORDS[:12])}){_NAME_GAP}{word}\b"
            out += [(m.start(), m.end(), str(next(iter(ordinals(m.group(1)))))) for m in re.finditer(nth, text, re.I)]
        return out
    patterns, read = _READERS.get(c.kind, ((), None))
    return [(m.start(), m.end(), v) for p in patterns for m in p.finditer(text)
            if not (p is _WORD_ORD and not _of_series(m, text)) for v in read(m.group())]


def detached(q: Query, text: str, answers: list[tuple[int, int]], date: str | None = None) -> tuple[Constraint, ...]:
    """The constraints a sentence names with other values beside them whose every answer (the
    figures `answers` gives as spans) sits nearer another value than the one asked: in
    "1.2 million passengers in 2020, down from 3.4 million in 2019, and a profit this year",
    no figure belongs to this year; in "a phase 2 trial, and a phase 3 trial of 18,000
    volunteers" the 18,000 belongs to phase 3."""
    missed: list[Constraint] = []
    found = {kind: mentions(cs[0], text, date) for kind, cs in _by_kind(q).items()}
    # (a number inside a year or a name, "phase 2", "SLV-204", is not a figure)
    named = [(s, e) for said in found.values() for s, e, _ in said]
    figures = [(a, b) for a, b in answers if not any(a < e and s < b for s, e in named)]
    for kind, cs in _by_kind(q).items():
        said, asked = found[kind], {c.number for c in cs}
        if not figures or len({v for _, _, v in said}) < 2 or not any(v in asked for _, _, v in said):
            continue
        nearest = [min(said, key=lambda f: abs(f[0] + f[1] - a - b))[2] for a, b in figures]
        if not asked & set(nearest):
            missed.extend(cs)
    return tuple(missed)


def failed(q: Query, ctx: Context) -> tuple[Constraint, ...]:
    """The constraints the evidence misses. Several values of one kind ("Q4 2021 ... Q3 2023",
    "the Corvid 3 and the Corvid 6") are alternatives: matching one of them is enough."""
    missed: list[Constraint] = []
    for cs in _by_kind(q).values():
        if not any(holds(c, ctx) for c in cs):
            missed.extend(cs)
    return tuple(missed)


def _by_kind(q: Query) -> dict[object, list[Constraint]]:
    """The question's constraints by kind, each kind's in the question's order; numbered names
    by their name ("Corvid 3 ... Corvid 6" are alternatives, "phase 1 of SLV-204" is not)."""
    kinds: dict[object, list[Constraint]] = {}
    for c in q.constraints:
        kinds.setdefault((c.kind, c.value[0]) if c.kind == "name" else c.kind, []).append(c)
    return kinds


def sides(q: Query) -> list[tuple[Constraint, ...]]:
    """The things a question compares, when it names two or more values of a kind ("Q4 2021 …
    Q3 2023", "the Corvid 6 … the Corvid 3", "in 2022 … with 2014"): the i-th value of each such
    kind, in the question's order; none when it names one of each, or kinds disagree in number."""
    several = [cs for cs in _by_kind(q).values() if len(cs) > 1]
    if not several or len({len(cs) for cs in several}) > 1:
        return []
    return list(zip(*several))


def sides_held(compared: list[tuple[Constraint, ...]], ctx: Context) -> tuple[int, ...]:
    """Which of the things compared (`sides`) the evidence is about: every constraint of the side holds."""
    return tuple(i for i, side in enumerate(compared) if all(holds(c, ctx) for c in side))


def said_instead(c: Constraint, ctx: Context) -> str | None:
    """What the closest evidence is about instead, in the constraint's own terms ("2018", "Q2")."""
    for text in (ctx.sentence, ctx.passage, ctx.title):
        named = years(text, ctx.date) if c.kind == "year" else _values(c, text)
        if not named and c.kind == "year" and text is ctx.title and ctx.date:
            named = {int(ctx.date[:4])}
        if not named and c.kind == "month" and text is ctx.title and ctx.date and ctx.date[5:7].isdigit():
            named = {int(ctx.date[5:7])}
        if named:
            return " and ".join(c.shown(v, text) for v in sorted(named)[:2])
    return None


# Words that say how a question is put, not what it is about: never its specific words.
GENERIC_ASKING = frozenset(stem(w) for w in """
people person year years day days time times date place make made take took taken held hold holds happen happened
happening come came go went get got give gave know known think thought call called use used start started begin
began end ended decide decided ever different question following later earlier before after first next
main role part thing things way ways much many compare compared comparison change changed difference
actually really exactly still just back besides apart else originally anything something everything want wanted
latest recent currently nowadays presently eventually ultimately
previous previously meanwhile mean meant during through throughout supposed
""".split())


# what a list is of: "which animals", "what safety rules", "what kinds of", "name the winners",
# "the main terms"
_LIST_HEAD = re.compile(r"\b(?:which|what|name|list)\s+(?:all\s+)?(?:the\s+)?(?:(?:other|top)\s+)?"
                        r"((?:\w+\s+(?!(?:has|was|is|does)\b))?\w+s)\b|"
                        r"\b(?:main|key)\s+(\w+)", re.I)


def list_of(question: str) -> list[str]:
    """The words that say what a list asked for is of ("Which wild animals ...?": wild, animals),
    folded: its items name it ("swans, geese and a fox"), those words need not."""
    return [w for m in _LIST_HEAD.finditer(question) for g in m.groups() if g for w in words(fold(g))]


def focus_terms(q: Query, topic: set[str]) -> set[str]:
    """The question's stemmed content words that are not the shared topic of what was found."""
    return {stem(w) for w in q.asked if len(w) > 3} - topic - GENERIC_ASKING
