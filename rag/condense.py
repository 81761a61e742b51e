"""Make a follow-up question stand alone before retrieval.

A `Conversation` is read from the history: for every exchange, the entities its question
asked about and its answer gave (people, groups, places, events and things, times), each
with its kind and the turn that introduced it, and which of them the turn was about. A
follow-up's pronouns and ellipses resolve against it by kind and recency: he/she -> a
person, it -> an event or thing, they -> a group, there -> a place, "that day" -> a time,
"and the other side?" / "what about X?" -> the previous question with X put in. The turn's
subject is the entity its question was about, except after "who...?" (or "which...?"),
where the answer names it. A question that names its own subject is a new topic: nothing
from earlier turns goes into its search. When "he" could be either of two people, it is not
guessed: the result carries the candidates and a clarifying question.

Rules about the shape of English questions and news prose only (titles, prepositions,
the nouns that name events and groups); no word of any one corpus. With an LLM, the engine
may ask it to rewrite instead; a rewrite is kept only if every name in it comes from the
conversation (`accept_rewrite`).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, replace

from index.text import QUESTION_WORDS, STOPWORDS, fold, words

from .markers import strip_markers
from .question import (ASKS_NOW, FOLLOWING, SMALL_COUNT_SAID, MONTH_NAMES, MONTHS, QUARTER_WORDS, WEEKDAY_NAMES, days,
                       month_number, quarters, small_count)

TURNS_READ = 8           # the last exchanges read into the state: a conversation's thread, not its archive
TURN_CHARS = 2000        # of each turn's text (an answer is at most a few sentences)
PERSON, GROUP, PLACE, EVENT, THING, TIME, NAME = "person", "group", "place", "event", "thing", "time", "name"

# Words that stand before a name and say the name is a person's.
_TITLES = frozenset("""
president presidential prime minister foreign defense defence deputy secretary general gen lt col colonel major
mr mrs ms miss dr sir lord lady dame king queen prince princess chancellor senator governor mayor judge pope
director chief captain coach ceo cfo chairman chairwoman chair ambassador envoy spokesman spokeswoman spokesperson
retired admiral professor prof rev reverend aide adviser advisor actor actress singer author critic reporter
correspondent striker midfielder defender goalkeeper keeper manager substitute candidate host founder leader
commander officer official negotiator head minister's president's sen rep
""".split())
# Nouns that name a person by role ("the palace spokesman", "the CEO").
_ROLE_NOUNS = frozenset("""
president minister secretary chancellor senator governor mayor judge director chief captain coach ceo cfo chairman
chairwoman chair ambassador envoy spokesman spokeswoman spokesperson aide adviser advisor reporter correspondent
manager host founder leader commander negotiator head striker goalkeeper keeper author critic actor actress
singer winner candidate referee official
""".split())
_EVENT_NOUNS = frozenset("""
talks meeting meetings match game final semifinal summit ceremony conference election vote referendum race marathon
festival awards award edition season tournament cup shield championship league concert show session negotiations
exchange swap deal agreement ceasefire war invasion visit trip call interview debate hearing trial launch
release merger takeover strike opening count protest attack quarter campaign inauguration premiere screening
fire flood storm eruption crash accident sinking outbreak drought heatwave earthquake collapse theft heist robbery
""".split())
_GROUP_NOUNS = frozenset("""
delegation delegations team teams side sides government party club company firm board committee jury council
ministry agency union alliance army commission authority court parliament senate assembly police
officials members players fans voters crowd band group coalition
""".split())
_PLACE_NOUNS = frozenset("""
palace city room venue stadium arena hall capital country town village square park building hotel airport
ground theatre theater centre center street island region
""".split())
# A capitalised last word that makes a proper name a place, an event or an organisation.
_PLACE_HEADS = frozenset("palace arena park hall stadium square street centre center airport island city bay "
                         "bridge tower house castle cathedral theatre theater ground grounds".split())
_EVENT_HEADS = frozenset("festival awards summit cup shield championship championships games election conference "
                         "final olympics prize trophy ceremony open league series forum marathon race tour rally "
                         "regatta derby classic triathlon gala fair expo congress convention exhibition".split())
_ORG_HEADS = frozenset("union party council committee ministry agency bank group company corporation inc ltd "
                       "plc fc club association federation institute university office "
                       # the words a company's name ends in: "Delvane Mining", "Halvard Motors"
                       "mining motors foods freight airlines airways holdings energy systems technologies "
                       "industries pharmaceuticals pharma labs laboratories partners capital media telecom "
                       "steel logistics shipping ferries railways insurance instruments electronics press "
                       "publishing publishers studios records".split())
_NOT_HEADS = frozenset("one other same first second third last next following previous former latter "
                       "way time lot kind sort rest end start day night morning evening week month year date".split())
_MOTION = re.compile(r"^(go|goes|went|gone|get|got|come|came|fly|flew|flown|travel\w*|arriv\w+|move\w*|return\w*|"
                     r"head\w*|back|sent|send)$")
_LOWER_PEOPLE = (
    re.compile(r"^\s*(?:and\s+)?who\s+(?:is|was)\s+(?P<name>[a-z][\w'-]+(?:\s+[a-z][\w'-]+)?)\s*\??\s*$"),
    re.compile(r"\b(?:did|does|do|will|would|has|had)\s+(?P<name>[a-z][\w-]+)\s+(?:say|said|tell|think|want|mean|"
               r"thank|do|react|respond)\b"),
    re.compile(r"\b(?P<name>[a-z][\w-]+)['\u2019]s\s+(?:job|role|position|title|name|age|party|team|side)\b"),
)
_INTERJECTIONS = frozenset("yes no yeah however meanwhile still instead also well sure ok okay right".split())
_REACH = re.compile(r"^(reach|reached|reaches|visit|visited|visits|enter|entered|left|leave|leaves|toured|tour)$")
_PLACE_PREPS = frozenset("in at from near inside outside".split())
_TIME = re.compile(rf"\b(?:(?:the night of |the evening of |the morning of )?(?:{MONTH_NAMES})\s+\d{{1,2}}(?:,?\s+\d{{4}})?"
                   rf"|\d{{1,2}}\s+(?:{MONTH_NAMES})(?:\s+\d{{4}})?|(?:{MONTH_NAMES})\s+\d{{4}}|(?:1[89]|20)\d\d)\b")
_TOKEN = re.compile(r"[^\W_]+(?:['\u2019\-][^\W_]+)*(?:['\u2019]s?)?|\d+(?:[.,]\d+)*|[.!?;:,\"\u201c\u201d()]")
_SPEECH = re.compile(r"^(said|says|say|told|tells|called|calls|thanked|wants|wanted|asked|met|led|leads|headed|"
                     r"chaired|won|scored|hosted|directed|added|argued|insisted|warned|wrote|replied|announced)$")

_PERSON_PRONOUNS = {"he": "", "him": "", "she": "", "her": "", "his": "'s", "hers": "'s", "himself": "", "herself": ""}
_GROUP_PRONOUNS = {"they": "", "them": "", "their": "'s", "theirs": "'s", "themselves": ""}
_THING_PRONOUNS = {"it": "", "its": "'s", "itself": ""}
_PRONOUN = re.compile(r"\b(he|him|his|she|her|hers|they|them|their|theirs|it|its(?! kind)|there)\b"
                      r"(?!\s+(?:is|are|was|were|be|been|has|have|had)\b\s+(?:a|an|any|no|some|"
                      r"many|more|much)\b)", re.I)
_DEMONSTRATIVE = re.compile(r"\b(that|this|those|these)\s+(day|night|year|time|week|month|morning|evening|season)\b",
                            re.I)
_THOSE = re.compile(r"\b(?:that|this|those|these)\s+(?:%s)\b" % "|".join(sorted(
    _ROLE_NOUNS | _EVENT_NOUNS | _GROUP_NOUNS | _PLACE_NOUNS)), re.I)
_NEW_TOPIC = re.compile(r"^\s*(?:(?:a\s+)?(?:different|new|another|other|unrelated|separate)\s+(?:question|topic|"
                        r"subject)|(?:changing|change of|switching)\s+(?:the\s+)?(?:subject|topic)|on another note|"
                        r"by the way|btw)\s*[:,.;!-]*\s*", re.I)
_THAT = re.compile(r"\b(?:that|this)\b(?=\s+(?:is|was|does|did|do|mean|means|meant|matter|matters|mattered|happen|"
                   r"happened|will|would|could|can|change|changed)\b)|\b(?:to|about|on|with|of)\s+(?:that|this)\s*\?",
                   re.I)
_OTHER = re.compile(r"\bthe other (side|one|delegation|team|party|candidate|club|company)\b", re.I)
_ONE = re.compile(r"\bthe ([a-z]+) (ones?)\b", re.I)
# "it" that stands for no thing: the weather or the time ("how hot was it", "was it raining")
_WEATHER_WORDS = r"(hot|cold|warm|cool|wet|dry|windy|sunny|rainy|raining|snowing|humid|stormy|cloudy|foggy|icy|dark|late)"
_WEATHER_IT = re.compile(rf"\bhow\s+{_WEATHER_WORDS}\s+(was|is|will be|had it been|did it get)\s+it$", re.I)
_WEATHER_IT_AFTER = re.compile(rf"\s+(was|is|got|get|gets|became)?\s*(very\s+|so\s+|too\s+)?{_WEATHER_WORDS}\b", re.I)


def _dummy_it(text: str, m: re.Match | None = None) -> bool:
    """Does "it" (the match `m`, else the first in `text`) stand for the weather or the time
    rather than a thing ("how hot was it", "was it raining")?"""
    m = m or re.search(r"\bit\b", text, re.I)
    return m is not None and bool(_WEATHER_IT.search(text[:m.end()]) or _WEATHER_IT_AFTER.match(text[m.end():]))


# a follow-up asking only for the newest value of what was asked: "What's the latest figure?",
# "and what is the current estimate?"
_LATEST = re.compile(r"^\s*(?:and\s+|so\s+|but\s+)?(?:what(?:'s|\u2019s|\s+is|\s+was|\s+are)|how\s+(?:much|many|big|high)"
                     r"\s+is)\s+(?:the\s+)?(latest|newest|current|most recent|updated|revised)\s+(figure|estimate|number|"
                     r"total|count|tally|forecast|toll|cost|price|value|one)s?\s*[?.!]*\s*$", re.I)


def _carried(question: str) -> str:
    """A previous question's words that ride along in the search of a follow-up that has too
    little of its own: its content words, stopwords and question words left out."""
    return " ".join(w for w in re.findall(r"[\w'\u2019-]+", question) if fold(w) not in STOPWORDS | QUESTION_WORDS)


_SAID_THAT = re.compile(r"\b(said|say|says|saying|mean|meant|means|told)\s+(that|this|it)\s*[?.!]?$", re.I)
_LEAD = re.compile(r"^\s*(?:and|but|so|then|ok|okay|also)?\s*(?:what|how)\s+about\s+|^\s*(?:and|but|so|then)\b\s*",
                   re.I)
_WH = re.compile(r"\b(who|whom|whose|what|which|when|where|why|how|is|are|was|were|did|does|do|has|have|had|will|"
                 r"would|can|could|should)\b", re.I)
_ASKS_ENTITY = re.compile(r"^\s*(?:and\s+|so\s+)?(who|whom|whose|which|what)\b", re.I)
_SHIFT_NEXT = re.compile(r"\b(next|following|later|after that|afterwards|subsequent)\b|\b(?:years?|seasons?|editions?)\s+on\b|"
                         r"\bafter\s*\W*$", re.I)
_SHIFT_PREV = re.compile(r"\b(before that|previous|earlier|prior|preceding|before)\b", re.I)
_CLARIFY = re.compile(r"^\s*(?:do you mean|which one do you mean|which do you mean|did you mean)\b", re.I)
_ORDINALS = {"first": 0, "former": 0, "1st": 0, "second": 1, "latter": -1, "2nd": 1, "third": 2, "3rd": 2,
             "last": -1}
# demonyms whose country is not spelled like them (Norwegian -> Norway is found by its spelling)
_DEMONYMS = {"american": ("us", "u.s", "united", "america", "washington"), "british": ("uk", "britain", "united"),
             "dutch": ("netherlands", "holland"), "french": ("france",), "swiss": ("switzerland",),
             "greek": ("greece",), "spanish": ("spain",), "chinese": ("china",), "japanese": ("japan",)}


@dataclass(frozen=True)
class Entity:
    text: str                      # as written: "Lena Vos", "the Norwegian delegation", "June 4"
    kind: str                      # person, group, place, event, thing, time or name (a bare proper name)
    turn: int                      # the exchange that introduced it (0 = the first)
    said_in: str                   # "question" or "answer"
    context: tuple[str, ...] = ()  # folded words of the clause it stood in

    @property
    def key(self) -> str:
        return " ".join(w for w in words(self.text) if w not in STOPWORDS)


@dataclass(frozen=True)
class Turn:
    question: str                        # as asked
    resolved: str                        # as understood, pronouns resolved
    answer: str                          # markers stripped
    asked: tuple[Entity, ...]            # entities of the resolved question
    answered: tuple[Entity, ...]         # entities of the answer
    about: tuple[Entity, ...]            # what the turn was about, best first
    clarifying: tuple[Entity, ...] = ()  # the assistant asked "Do you mean A or B?" about these


@dataclass(frozen=True)
class Standalone:
    question: str          # what the user reads and the LLM answers
    search: str            # what retrieval searches for
    rewritten: bool
    how: str               # "as asked", "rules" or "llm"
    ambiguous: tuple[str, ...] = ()     # the people a pronoun could mean, when it is not guessed
    clarification: str | None = None    # "Do you mean A or B?" to ask instead of answering
    resolved: tuple[str, ...] = ()      # the entities put in for pronouns and ellipses


def normalize_history(history) -> list[tuple[str, str]]:
    """[(role, text)] from tuples, lists or Gradio-style {"role", "content"} dicts."""
    out = []
    for turn in history or []:
        if isinstance(turn, dict):
            role, text = turn.get("role"), turn.get("content")
        else:
            role, text = turn[0], turn[1]
        if role in ("user", "assistant") and isinstance(text, str) and text.strip():
            out.append((role, text))
    return out


# -- reading entities -------------------------------------------------------------------------
def _cap(tok: str) -> bool:
    return tok[:1].isupper()


_IRREGULAR_PLURALS = frozenset("people men women children police".split())


def _plural(word: str) -> bool:
    w = word.lower()
    return w in _IRREGULAR_PLURALS or \
        (len(w) > 3 and w.endswith("s") and not w.endswith(("ss", "us", "is", "'s", "\u2019s")))


def _bare(tok: str) -> str:
    return re.sub(r"['\u2019]s?$", "", tok)


def _demonym(tok: str) -> bool:
    w = tok.lower()
    return w in _DEMONYMS or (len(w) > 4 and w.endswith(("ian", "ish", "ese", "can", "ean")))


def _clauses(text: str) -> list[str]:
    return [c for c in re.split(r"[;,]|\s(?:and|while|but|whereas)\s|\.\s", text) if c.strip()]


def entities(text: str, turn: int = 0, said_in: str = "question") -> list[Entity]:
    """The entities `text` mentions, in order, each with a guessed kind."""
    found: list[tuple[int, Entity]] = []
    at = 0
    for clause in _clauses(text):
        at = text.find(clause, at)
        ctx = tuple(words(clause))
        toks = [m for m in _TOKEN.finditer(clause)]
        found += [(at + m.start(), Entity(m.group(), TIME, turn, said_in, ctx)) for m in _TIME.finditer(clause)]
        found += [(at + toks[i].start() if i < len(toks) else at, e)
                  for i, e in _read_tokens([t.group() for t in toks], turn, said_in, ctx)]
    for m in re.finditer(r"[\"\u201c]([A-Z][^\"\u201d]{1,40})[\"\u201d]", text):
        if len(m.group(1).split()) <= 5:           # a quoted title: "Windfall", "Paper Harbour"
            found.append((m.start(), Entity(m.group(1), THING, turn, said_in, tuple(words(text)))))
    if said_in == "question":       # people typed in lower case: "who is okafor", "what did quist say"
        for pat in _LOWER_PEOPLE:
            for m in pat.finditer(text):
                name = m.group("name")
                if not set(name.split()) & (STOPWORDS | QUESTION_WORDS):
                    found.append((m.start("name"), Entity(name, PERSON, turn, said_in, tuple(words(text)))))
    found.sort(key=lambda p: p[0])
    out, seen = [], set()
    for _, e in found:
        if e.key and e.key not in seen and not (e.kind != TIME and _TIME.fullmatch(e.text)):
            seen.add(e.key)
            out.append(e)
    return out


def _read_tokens(toks: list[str], turn: int, said_in: str, ctx) -> list[tuple[int, Entity]]:
    out = []
    i, n = 0, len(toks)
    while i < n:
        t = toks[i]
        low = _bare(t).lower()
        start_of_sentence = i == 0 or toks[i - 1] in ".!?:\"\u201c"
        if _cap(t) and not (start_of_sentence and low in STOPWORDS | QUESTION_WORDS | _INTERJECTIONS):
            j = i
            while j < n and (_cap(toks[j]) or (toks[j][:1].isdigit() and j > i)) and j - i < 6:
                j += 1
                if toks[j - 1].endswith(("'s", "\u2019s")):
                    break
            span = toks[i:j]
            e = _proper(span, toks[max(0, i - 2):i], toks[j] if j < n else "", start_of_sentence, turn, said_in, ctx)
            if e:
                # the words near the name say which one it is: "a Norwegian team headed by ... Vos"
                out.append((i, replace(e, context=tuple(words(" ".join(toks[max(0, i - 8):j + 3]))))))
            i = j
            continue
        if low in ("the", "a", "an", "this", "that", "those", "these", "many") or t.endswith(("'s", "\u2019s")):
            e = _common(toks[i + 1:i + 4], low, turn, said_in, ctx, toks[i] if t.endswith(("'s", "\u2019s")) else "")
            k = i + len(e.text.split()) if e else 0
            if e and e.kind == THING and k + 1 < n and toks[k].lower() == "of" and \
                    any(_cap(w) for w in toks[k + 1:k + 3 if toks[k + 1].lower() == "the" else k + 2]):
                e = None        # "the price of the Arc 6": a thing's attribute, what "its" is not
            if e:
                out.append((i, e))
        elif low in _GROUP_NOUNS and _plural(low) or (low in _EVENT_NOUNS and i and toks[i - 1][:1].isdigit()):
            out.append((i, Entity(t, GROUP if low in _GROUP_NOUNS else EVENT, turn, said_in, ctx)))
        elif low in _EVENT_NOUNS and i and toks[i - 1].lower() not in ("the", "a", "an", "this", "that", "those",
                                                                          "these") and toks[i - 1][:1].islower() \
                and toks[i - 1].lower() not in STOPWORDS and not toks[i - 1].endswith(("ed", "ing")):
            out.append((i - 1, Entity(f"{toks[i - 1]} {t}", EVENT, turn, said_in, ctx)))
        i += 1
    return out


def _proper(span, before, after, start_of_sentence, turn, said_in, ctx) -> Entity | None:
    words_ = [_bare(w) for w in span]
    titled = False
    while words_ and (words_[0].lower() in _TITLES or (_demonym(words_[0]) and len(words_) > 1)):
        titled = titled or words_[0].lower() in _TITLES
        words_ = words_[1:]
    titled = titled or any(_bare(b).lower() in _TITLES for b in before[-1:])
    if not words_:
        return None
    if start_of_sentence and len(span) == 1 and after[:1].islower() and not after.lower().startswith(("said", "say")):
        return None         # "Presidential aide ...": a capitalised first word, not a name
    text = " ".join(words_)
    last = words_[-1].lower()
    prev = [b.lower() for b in before]
    possessive = span[-1].endswith(("'s", "\u2019s"))
    if possessive and after.lower() in _GROUP_NOUNS:
        return Entity(f"{text}'s {after}", GROUP, turn, said_in, ctx)
    if possessive and _bare(after) in _ROLE_NOUNS:
        return Entity(f"{text}'s {_bare(after)}", PERSON, turn, said_in, ctx)     # "Harbour Post's reporter"
    if possessive and (after.lower() in _ROLE_NOUNS | _TITLES or after[:1].isupper()) and not titled:
        return Entity(text, GROUP if len(words_) > 1 else NAME, turn, said_in, ctx)
    if len(words_) == 1 and _demonym(words_[0]):
        if after.lower() in _GROUP_NOUNS | _EVENT_NOUNS | _ROLE_NOUNS:
            return None         # "the Norwegian delegation": read as the common noun phrase
        if _plural(words_[0]):
            return Entity(text, GROUP, turn, said_in, ctx)
        return None
    if last in _EVENT_HEADS or (len(words_) > 1 and words_[-2].lower() in _EVENT_HEADS and after[:1].isdigit()):
        if after.lower() in _EVENT_NOUNS:
            text = f"{text} {after.lower()}"           # "the Harbour Cup final"
        if before and re.fullmatch(r"\d+(?:st|nd|rd|th)|(?:1[89]|20)\d\d", before[-1]):
            text = f"{before[-1]} {text}"           # "the 44th Corriven Music Awards", "the 2023 final"
            if len(before) > 1 and before[-2].lower() == "the":
                text = f"the {text}"
        return Entity(text, EVENT, turn, said_in, ctx)
    if last in _PLACE_HEADS or (prev and (prev[-1] in _PLACE_PREPS or (prev[-1] == "the" and len(prev) > 1
                                                                        and prev[-2] in _PLACE_PREPS)
                                          or (prev[-1] == "to" and len(prev) > 1 and _MOTION.match(prev[-2]))
                                          or _REACH.match(prev[-1]))):
        return Entity(text, PLACE, turn, said_in, ctx)
    # "Leni Castellan of Green Forward won": the name after a person's and "of" is where they
    # belong, and the one who did it is the person
    affiliation = not titled and len(before) > 1 and prev[-1] == "of" and _cap(before[-2])
    if titled or (_SPEECH.match(after.lower()) and not (len(words_) > 1 and _plural(words_[-1])) and not affiliation):
        if len(words_) <= 3 and not any(ch.isdigit() for ch in text) and last not in _ORG_HEADS | _PLACE_HEADS:
            return Entity(text, PERSON, turn, said_in, ctx)     # "Mayor Tom Reyes": a title makes a person
    if last in _ORG_HEADS or (len(words_) > 1 and _plural(words_[-1])) or (len(words_) == 1 and _plural(text)
                                                                         and _demonym(text[:-1])):
        return Entity(text, GROUP, turn, said_in, ctx)
    if any(ch.isdigit() for ch in text):
        return Entity(text, THING, turn, said_in, ctx)
    if titled or (2 <= len(words_) <= 3 and not (prev and prev[-1] == "the") and not affiliation) or \
            (_SPEECH.match(after.lower()) and not affiliation):
        return Entity(text, PERSON, turn, said_in, ctx)
    return Entity(text, NAME, turn, said_in, ctx)


def _common(rest, det, turn, said_in, ctx, owner="") -> Entity | None:
    """A common-noun phrase after a determiner or a possessive: "the Norwegian delegation",
    "a prisoner exchange", "the palace spokesman", "Harbour Post's reporter"."""
    phrase = []
    for w in rest:
        lw = _bare(w).lower()
        if not re.match(r"[^\W\d_]", w) or (lw in STOPWORDS and lw != "other") or lw in QUESTION_WORDS:
            break
        phrase.append(w)
        if w.endswith(("'s", "\u2019s")):
            break
    known = [k for k, w in enumerate(phrase) if _bare(w).lower() in _ROLE_NOUNS | _EVENT_NOUNS | _GROUP_NOUNS
             | _PLACE_NOUNS]
    if known:                       # "the club spokesman": the last noun that names a kind is the head
        phrase = phrase[:known[-1] + 1]
    else:                           # "the prisoners come home": a plural ends the phrase
        plural = [k for k, w in enumerate(phrase) if _plural(_bare(w))]
        phrase = phrase[:plural[0] + 1] if plural else phrase[:2]
    if not phrase:
        return None
    phrase[-1] = _bare(phrase[-1])
    head = _bare(phrase[-1]).lower()
    if phrase[0][:1].isupper() and head not in _ROLE_NOUNS | _EVENT_NOUNS | _GROUP_NOUNS | _PLACE_NOUNS:
        return None                                  # a proper name: read by _proper
    lead = f"{_bare(owner)}'s" if owner else ("the" if det in ("this", "that", "those", "these", "a", "an") else det)
    text = " ".join([lead] + phrase) if lead != "many" else " ".join(phrase)
    if head in _ROLE_NOUNS:
        kind = PERSON
    elif head in _GROUP_NOUNS or (_plural(head) and head not in _EVENT_NOUNS):
        kind = GROUP
    elif head in _EVENT_NOUNS:
        kind = EVENT
    elif head in _PLACE_NOUNS:
        kind = PLACE
    elif owner or len(phrase) > 3 or head in _NOT_HEADS:
        return None
    else:
        kind = THING
    return Entity(text, kind, turn, said_in, ctx)


# -- the conversation --------------------------------------------------------------------------
def _fits(kind: str, wanted: str) -> bool:
    return {"person": kind in (PERSON,), "person?": kind == NAME, "group": kind == GROUP,
            "plural": kind in (EVENT, THING), "people": False, "thing": kind in (EVENT, THING), "event": kind == EVENT,
            "place": kind == PLACE, "place?": kind == EVENT, "time": kind == TIME, "prize": kind == NAME}[wanted]


# what only an organisation has: "how many members does it have?", "who is its chief executive?"
_ORG_ROLES = (r"(?:members|membership|staff|employees|workforce|chief executive|ceo|chairman|chairwoman|chair|"
              r"president|shareholders|headquarters|owner)")
_ORG_ATTRIBUTES = re.compile(rf"\bits\s+(?:\w+\s+)?{_ORG_ROLES}\b|\b{_ORG_ROLES}\s+(?:does|did|do|has|had)\s+it\s+"
                             r"(?:have|employ|count)\b|\b(?:does|did|do)\s+it\s+(?:employ|have\s+as)\b", re.I)


# what is won or held ("who won it?", "has she ever retained it?"): a named prize or title, then the event
_WON_IT = re.compile(r"\b(?:won|win|wins|winning|awarded|took|take|takes|claimed|claim|lifted|lift|retained|retain|"
                     r"defended|defend|held|hold|holds)\s+it\b", re.I)


def _wanted(pronoun: str, question: str) -> list[str]:
    p = pronoun.lower()
    if p in _PERSON_PRONOUNS:
        return ["person", "person?"]
    if p in ("it", "its") and _ORG_ATTRIBUTES.search(question):
        return ["group", "thing"]
    if p in _GROUP_PRONOUNS:
        return ["group", "people", "plural"]
    if p == "there":
        return ["place", "place?"]
    if p == "it" and _WON_IT.search(question):
        return ["prize", "event", "thing"]      # "who won it in 2019?": the cup or prize asked about before
    if re.search(r"\b(take place|took place|last|lasted|happen|happened|held|start|started|begin|began|end|ended|"
                 r"open|opened|over)\b", question, re.I):
        return ["event", "thing"]
    return ["thing"]


def _shares(a: str, b: str) -> bool:
    """Two folded words that are one word's forms: norway/norwegian, canada/canadian."""
    if a == b:
        return True
    n = min(len(a), len(b))
    if n < 4:
        return False
    k = 0
    while k < n and a[k] == b[k]:
        k += 1
    return k >= n - 1 and k >= 4


def _matches(selector: list[str], ctx) -> int:
    hits = 0
    for s in selector:
        forms = (s,) + _DEMONYMS.get(s, ())
        hits += any(_shares(f, c) for f in forms for c in ctx)
    return hits


class Conversation:
    """What has been said: one `Turn` per exchange, each question resolved against the turns
    before it, so "he" in turn 4 can mean a person named in turn 1."""

    def __init__(self, turns: list[Turn]):
        self.turns = turns

    @classmethod
    def from_history(cls, history) -> "Conversation":
        conv = cls([])
        pending = None
        turns = normalize_history(history)[-2 * TURNS_READ:]
        for role, text in ((r, t[:TURN_CHARS]) for r, t in turns):
            if role == "user":
                if pending is not None:
                    conv.add(pending, "")
                pending = text
            elif pending is not None:
                conv.add(pending, text)
                pending = None
        if pending is not None:
            conv.add(pending, "")
        return conv

    @property
    def entities(self) -> list[Entity]:
        return [e for t in self.turns for e in t.asked + t.answered]

    def add(self, question: str, answer: str) -> Turn:
        n = len(self.turns)
        st = self.resolve(question)
        answer = strip_markers(answer).strip()
        asked = tuple(entities(st.question, n, "question"))
        answered = tuple(entities(answer, n, "answer"))
        clarifying = ()
        if _CLARIFY.match(answer):
            older = [e for t in self.turns for e in t.answered + t.asked]
            clarifying = tuple(next((o for o in reversed(older) if o.key == c.key), c) for c in answered)
            clarifying = tuple(e for e in clarifying if e.kind in (PERSON, NAME))
            answered = ()
        about = self._about(st.question, asked, answered)
        turn = Turn(question, st.question, answer, asked, answered, about, clarifying)
        self.turns.append(turn)
        return turn

    @staticmethod
    def _about(question: str, asked, answered) -> tuple[Entity, ...]:
        """The turn's subject(s), best first: after "who/which/what ...?" the answer's entities
        that fit what was asked, ranked by the question's qualifiers; else the question's own."""
        m = _ASKS_ENTITY.match(question)
        if re.match(r"^\s*(?:and\s+|so\s+)?(who|what)\s+(is|was|are|were)\s+[A-Z\u0130]", question) and asked:
            return tuple(asked) + tuple(answered)        # "Who is Mara Quist?" is about her
        if m and answered and re.search(r"\bname\b", question, re.I):
            return tuple(answered) + tuple(asked)        # "what's his name?": the answer names him
        if m and answered:
            wh = m.group(1).lower()
            kinds = (PERSON, NAME, GROUP) if wh in ("who", "whom", "whose") else (THING, EVENT, PERSON, GROUP, PLACE,
                                                                               NAME, TIME)
            asks_thing = re.match(r"^\s*(?:and\s+)?(?:which|what)\s+(?!(?:did|does|do|is|was|are|were|has|have|"
                                  r"had|will|would|can|could)\b)[a-z]+", question, re.I)
            names_one = re.match(r"^\s*(?:and\s+)?(what|which)\s+(is|was|are|were)?\s*(the\s+)?(name|one)\b", question,
                                 re.I)
            if wh in ("what", "which") and asked and not asks_thing and not names_one:
                # "What did Hale say...?" is about Hale; "what was the result?" about the answer's thing
                if any(e.kind in (PERSON, NAME, GROUP) for e in asked):
                    return _named_first(asked, answered)
            qualifiers = _qualifiers(question)
            fitting = [e for e in answered if e.kind in kinds]
            if any(e.kind == PERSON and e.text[:1].isupper() for e in fitting):
                # "Who was the captain?" "The captain was Jonas Rieck.": the name is the captain
                fitting = [e for e in fitting if not (e.kind == PERSON and not e.text[:1].isupper()
                                                      and any(e.key == a.key for a in asked))]
            rest = [e for e in answered if e.kind not in kinds]
            ranked = sorted(fitting, key=lambda e: -_matches(qualifiers, e.context))
            return tuple(ranked) + tuple(asked) + tuple(rest)
        return _named_first(asked, answered)

    def candidates(self, wanted: list[str]) -> list[list[Entity]]:
        """Entities that fit, latest turn first; within a turn, what the turn was about first."""
        out = []
        for t in reversed(self.turns):
            row = [e for w in wanted for e in t.about if _fits(e.kind, w)
                   and (w != "plural" or _plural(e.text.split()[-1]))]
            if "people" in wanted:
                people = [e for e in t.about if e.kind == PERSON and e.said_in == "answer"]
                if len(people) > 1 and not any(e.kind == GROUP for e in row[:1]):
                    row = [Entity(_join([p.text for p in people]), GROUP, t.about[0].turn, "answer")] + row
            row = list({e.key: e for e in reversed(row)}.values())[::-1]
            if row:
                out.append(row)
        return out

    # -- resolving a follow-up ------------------------------------------------------------------
    def resolve(self, question: str) -> Standalone:
        q = question.strip()
        if not self.turns:
            return Standalone(q, q, False, "as asked")
        fresh = _NEW_TOPIC.match(q)
        if fresh and q[fresh.end():].strip():           # "Different question: ...": nothing carried over
            rest = q[fresh.end():].strip()
            return Standalone(rest, rest, True, "rules")
        last = self.turns[-1]
        if last.clarifying:
            chosen, rest = self._choose(q, last.clarifying)
            if chosen is not None:
                base = rest if rest and _PRONOUN.search(rest) else self.turns[-1].question
                text = _put(base, chosen)
                return Standalone(text, f"{text} {chosen.text}", True, "rules", resolved=(chosen.text,))
        put: list[str] = []
        text = q
        ellipsis = self._ellipsis(q)
        if ellipsis is not None:
            text, put = ellipsis
        text, more = self._relative(text)
        put += more
        relative = bool(more)
        text, more = self._other(text)
        put += more
        text, more = self._definite(text)
        put += more
        # the year asked now: the one a relative phrase moved to, else the one the follow-up names
        shifted = set(_YEAR.findall(" ".join(put) if relative else q))
        if ellipsis is not None and _LATEST.match(q):
            more, ambiguous = [], []     # (the last question, already resolved, with "the latest figure")
        else:
            text, more, ambiguous = self._pronouns(text, there=not relative)
        for i, e in enumerate(more if shifted else ()):
            # "who did she beat to win it the year before?": "it" is the 2022 Open, asked of 2021;
            # "and who won it in 2019?" after "the 2021 Quenby Regatta": the regatta, of 2019
            stale = set(_YEAR.findall(e)) - shifted
            if stale:
                more[i] = " ".join(re.sub(rf"\b(?:{'|'.join(stale)})\b", " ", e).split())
                text = text.replace(e, more[i])
        put += more
        if _dummy_it(q):
            # "how hot was it that year?" is about the weather of what was being talked about
            put.append(_carried(last.resolved))
        if ambiguous:
            a, b = ambiguous[0], ambiguous[1]
            return Standalone(q, q, False, "rules", ambiguous=tuple(ambiguous),
                              clarification=f"Do you mean {a} or {b}?")
        text, more = self._demonstratives(text)
        put += more
        text, more = self._said_that(text)
        put += more
        if not more and _THAT.search(text) and self.turns[-1].answer:
            # "why does that matter?", "how did they respond to that?": what was just said
            put.append(" ".join(self.turns[-1].answer.split()[:25]))
        unresolved = bool(_PRONOUN.search(text) or _DEMONSTRATIVE.search(text) or _THOSE.search(text)
                          or _OTHER.search(text))
        if not put and (_content(q) < 2 or unresolved) and ellipsis is None:
            # too little of its own to search for ("for what day?"), or a reference found nowhere
            # ("those talks" when none were spoken of): the previous question's words ride along
            put = [_carried(last.resolved)]
            return Standalone(f"{q}{FOLLOWING}{last.resolved})", f"{q} {' '.join(put)}", True, "rules",
                              resolved=tuple(put))
        named = _names(last.resolved)
        if not put and ellipsis is None and not _names(q) and named:
            # no name of its own after a question that named its subject ("how much emergency
            # money did the government put up?" after one on the Vallomar frost): searched with
            # the names the conversation is about
            return Standalone(q, f"{q} {named}", True, "rules", resolved=(named,))
        if not put and ellipsis is None:
            return Standalone(q, q, False, "as asked")
        if ellipsis is None and not any(_content(_YEAR.sub(" ", p)) for p in put) and not _names(q) and \
                _content(_YEAR.sub(" ", text)) < 3:
            # "and who came third that year?", "and the following season, who lifted the trophy?":
            # the year is said, but not what it is the year of; the search takes the words of the
            # last question that named a year too
            dated = next((t.resolved for t in reversed(self.turns) if _YEAR.search(t.resolved)), last.resolved)
            put.append(_carried(_YEAR.sub(" ", dated)))
        put += self._described(put)
        extra = [p for p in dict.fromkeys(put) if fold(p) not in fold(text)]
        search = " ".join([text] + extra)
        return Standalone(text, search, True, "rules", resolved=tuple(dict.fromkeys(put)))

    def _described(self, put: list[str]) -> list[str]:
        """A vague event or thing ("the meeting") is searched with the names of the turn that
        brought it up ("And who chaired the meeting?" - "Petra Lund"), which say which one."""
        more = []
        for text in put:
            e = next((e for e in self.entities if e.text == text), None)      # where it was first said
            if e is None or e.kind not in (EVENT, THING) or any(w[:1].isupper() for w in e.text.split()):
                continue
            first = self.turns[e.turn].about[:1]
            more += [a.text for a in first if a.text[:1].isupper() and a.key != e.key
                     and a.kind in (PERSON, GROUP, NAME)]
        return more

    def _relative(self, text: str):
        """"the following season", "a year later", "the edition before that": the year, the
        edition or the model number last spoken of, moved by one."""
        m = _RELATIVE.search(text)
        if not m:
            return text, []
        phrase = m.group(0)
        for t in reversed(self.turns):
            for source in (t.resolved, t.answer):
                moved = _shift(source, phrase)
                if moved != source:
                    new = _changed(source, moved)
                    if new and re.search(r"\bone\b", phrase, re.I) and _YEAR.fullmatch(new.split()[-1]):
                        # "the previous one" is a thing, not a year: it keeps its words, and the
                        # search those of what was being talked about
                        return text, [_carried(t.resolved)]
                    if new:
                        return text[:m.start()] + new + text[m.end():], [new]
        return text, []

    def _choose(self, q: str, options: tuple[Entity, ...]):
        """The answer to "Do you mean A or B?": a name, an ordinal, or a word of its clause."""
        parts = re.split(r"[.?!]\s+", q, maxsplit=1)
        first, rest = parts[0], (parts[1] if len(parts) > 1 else "")
        sel = [w for w in words(first) if w not in STOPWORDS and w != "one"]
        for w in sel:
            if w in _ORDINALS and -len(options) <= _ORDINALS[w] < len(options):
                return options[_ORDINALS[w]], rest.strip()
        scores = [(sum(_shares(s, k) for s in sel for k in words(o.text)) * 10 + _matches(sel, o.context), i)
                  for i, o in enumerate(options)]
        scores.sort(reverse=True)
        if scores and scores[0][0] > 0 and (len(scores) == 1 or scores[0][0] > scores[1][0]):
            return options[scores[0][1]], rest.strip()
        return None, ""

    def _ellipsis(self, q: str):
        """"and the norwegians?", "what about the next edition?", "and afterwards?": a fragment
        that leans on the previous question; rebuilt from it, with the fragment put in."""
        last = self.turns[-1]
        m = _LEAD.match(q)
        frag = q[m.end():] if m else q
        frag_words = [w for w in words(frag) if w not in STOPWORDS]
        latest = _LATEST.match(q)
        if latest:
            # "What's the latest figure?": the figure the last question asked for, now
            frag = f"the {latest.group(1)} {latest.group(2)}"
        elif not m or _WH.search(frag) or len(frag_words) > 5:
            if not (len(words(q)) <= 4 and not _WH.search(q) and not _PRONOUN.search(q) and frag_words):
                return None
        frag = frag.strip(" ?.!")
        prev = last.resolved
        shifted = _shift(prev, frag)
        if shifted != prev:
            return shifted, []
        if ASKS_NOW.search(frag) and _YEAR.search(prev):
            # "and in the latest census?" after "... in the 2011 census?": not 2011 any more
            prev = re.sub(r"\s+", " ", _YEAR.sub("", re.sub(rf"\b(?:in|during|for|of)\s+{_YEAR.pattern}", "", prev)))
            prev = prev.replace(" ?", "?")
        if latest:
            return f"{prev.rstrip(' ?.!')}: {frag}?", [frag]
        new = entities(frag, len(self.turns), "question")
        for e in new:
            same = [o for o in last.asked if o.kind == e.kind and o.key != e.key and fold(o.text) in fold(prev)]
            # the one of the same shape: "the norwegians" stands for "the Canadians", not for "Harbour Post"
            same.sort(key=lambda o: (_shape(o) != _shape(e), -fold(prev).find(fold(o.text))))
            for old in same[:1]:
                    new_text = e.text
                    if re.search(r"\bthe\s+" + re.escape(old.text), prev, re.I):
                        new_text = re.sub(r"^the\s+", "", new_text, flags=re.I)
                    text = re.sub(re.escape(old.text), new_text, prev, count=1)
                    if text != prev:
                        return text, [e.text]
        when = re.search(r"\s+(?:at the (?:start|end|beginning|opening|close)|when [^?]+|after (?:the )?\w+|"
                         r"before (?:the )?\w+|afterwards|later|earlier|first|then)\s*\??\s*$", prev, re.I)
        if when and re.fullmatch(r"(?:afterwards|after that|later|earlier|before that|before|then|at the end|"
                                 r"at the start|at first|first|in the end)", frag, re.I):
            return f"{prev[:when.start()]} {frag}?", [frag]
        return f"{prev.rstrip(' ?.!')}: {frag}?", [frag]

    def _other(self, text: str):
        """"the other side": the counterpart of the group the last turns were about."""
        m = _OTHER.search(text)
        if not m:
            return text, []
        for row in self.candidates(["group"]):
            g = row[0]
            noun = g.text.split()[-1]
            said = f"the other {noun if noun.lower() in _GROUP_NOUNS else m.group(1)} (not {g.text})"
            return text[:m.start()] + said + text[m.end():], [f"other {noun}"]
        return text, []

    def _definite(self, text: str):
        """"the reporter" -> "Harbour Post's reporter" (the fuller name said before);
        "the canadian one" -> "the canadian delegation" (the noun of the last such phrase)."""
        put = []
        m = _ONE.search(text)
        if m and m.group(1).lower() not in _NOT_HEADS:
            # "the canadian one" is a group like the last; "the earlier ones" events like the last
            order = (GROUP, EVENT) if _demonym(m.group(1)) else (EVENT, GROUP)
            found = [e for e in reversed(self.entities) if e.kind in (GROUP, EVENT) and len(e.text.split()) > 1
                     and e.text.split()[-1].lower() in _GROUP_NOUNS | _EVENT_NOUNS]
            for e in sorted(found, key=lambda e: order.index(e.kind))[:1]:
                head = e.text.split()[-1]
                if m.group(2).lower() == "ones" and not _plural(head):
                    head += "s"
                text = text[:m.start()] + f"the {m.group(1)} {head}" + text[m.end():]
                put.append(f"{m.group(1)} {head}")
        for m in re.finditer(r"\b(?:the|that|this|those|these) ([a-z]+)\b", text):
            noun = m.group(1).lower()
            if noun not in _ROLE_NOUNS | _EVENT_NOUNS | _GROUP_NOUNS or noun in _NOT_HEADS:
                continue
            pointing = m.group(0).split()[0].lower() != "the"      # "those talks": the ones spoken of
            for e in reversed(self.entities):
                ws = e.text.split()
                fuller = len([w for w in ws if w.lower() != "the"]) > 1
                if _bare(ws[-1]).lower() == noun and e.kind != TIME and (pointing or fuller):
                    text = text[:m.start()] + e.text + text[m.end():]
                    put.append(e.text)
                    break
            if put and put[-1] in text:
                break
        return text, put

    def _pronouns(self, text: str, there: bool = True):
        put, ambiguous = [], []
        out, pos = [], 0
        done: dict[str, Entity] = {}
        for m in _PRONOUN.finditer(text):
            p = m.group(1)
            if p.lower() == "there" and not there:
                continue
            if p.lower() == "it" and re.search(r"\b(said|say|says|told|tell|mean|meant)\s+$", text[:m.start()],
                                               re.I):
                continue                                  # "when he said it": what was said
            if p.lower() == "it" and _dummy_it(text, m):
                continue                                  # "how hot was it": the weather, no one thing
            wanted = _wanted(p, text)
            key = wanted[0]
            if key not in done:
                e, amb = self._pick(wanted, p)
                if amb:
                    return text, [], amb
                if e is None or any(d.key == e.key for d in done.values()):
                    continue
                done[key] = e
            e = done[key]
            suffix = {**_PERSON_PRONOUNS, **_GROUP_PRONOUNS, **_THING_PRONOUNS}.get(p.lower(), "")
            if p.lower() == "there":
                rep = ("in " if e.kind == PLACE else "at ") + e.text
                if re.search(r"\b(in|at|from|to)\s+$", text[:m.start()], re.I):
                    rep = e.text
            elif p.lower() == "her" and re.match(r"\s+[a-z]", text[m.end():]) and e.kind == PERSON and \
                    not re.match(r"\s+(to|and|or|in|at|on|for|with|about)\b", text[m.end():]):
                rep = f"{e.text}'s"
            else:
                rep = e.text + (suffix if not e.text.endswith("s") or suffix != "'s" else "'")
                bare_plural = e.kind != PERSON and e.text[:1].islower() and _plural(e.text.split()[-1])
                if bare_plural and "'" not in e.text and e.text.split()[0] not in ("the", "a", "an"):
                    rep = "the " + rep                  # "how many of them" -> "how many of the prisoners"
            out.append(text[pos:m.start()] + rep)
            pos = m.end()
            put.append(e.text)
        out.append(text[pos:])
        return "".join(out), put, []

    def _pick(self, wanted: list[str], pronoun: str):
        rows = self.candidates(wanted)
        if wanted[0] == "event":
            rows = self.candidates(["event"])[:1] or rows     # "where did it take place?": an event first
        if not rows:
            return None, []
        row = rows[0]
        if wanted[0] == "place":
            turn = self.turns[row[0].turn]
            if len([e for e in turn.answered if e.kind in (PLACE, NAME)]) > 2:
                # a list of countries in an answer is not where something happened
                row = [e for e in row if e.kind != PLACE or e.said_in == "question"] or row
        if wanted[0] == "person":
            people = [e for e in row if e.kind == PERSON]
            turn = self.turns[row[0].turn] if row[0].turn < len(self.turns) else None
            if len(people) >= 2 and turn is not None and _tie(turn, people[:2]):
                return None, [people[0].text, people[1].text]
        return row[0], []

    def _demonstratives(self, text: str):
        m = _DEMONSTRATIVE.search(text)
        if not m:
            return text, []
        kind = TIME if m.group(2).lower() in ("day", "night", "year", "time", "week", "month", "morning",
                                              "evening") else EVENT
        daily = m.group(2).lower() in ("day", "night", "evening", "morning")
        for row in self.candidates(["time"] if kind == TIME else ["event"]):
            e = row[0]
            if daily and not days(e.text):
                continue        # "that day" is not "June 2023" nor "2021"
            prep = "in" if _YEAR.fullmatch(e.text) or re.fullmatch(rf"(?:{MONTH_NAMES})\s+\d{{4}}", e.text) else "on"
            return text[:m.start()] + (f"{prep} {e.text}" if kind == TIME else e.text) + text[m.end():], [e.text]
        if m.group(2).lower() in ("day", "night", "evening", "morning"):
            for row in self.candidates(["event"]):       # "that night": the night of the ceremony
                return text[:m.start()] + f"at {row[0].text}" + text[m.end():], [row[0].text]
        return text, []

    def _said_that(self, text: str):
        """"who said that?": what the last answer quoted."""
        m = _SAID_THAT.search(text)
        if not m or not self.turns[-1].answer:
            return text, []
        said = ""
        for t in reversed(self.turns):
            who_said = re.search(r"\bwho\s+(?:said|says|told|wrote)\s+(?:that\s+)?(.{8,}?)\s*\??$", t.resolved, re.I)
            quote = re.search(r"[\"\u201c]([^\"\u201d]{8,})[\"\u201d]", t.answer)
            if who_said:
                said = who_said.group(1)
            elif quote:
                said = quote.group(1)
            elif re.search(r"\b(say|said|says|tell|told)\b", t.resolved, re.I) and t.answer:
                said = t.answer.rstrip(".")
            if said:
                break
        if not said:
            return text, []
        if re.match(r"^\s*(?:and\s+|so\s+)?who\b", text, re.I):
            return f"{text[:m.start()]}{m.group(1)} \"{said.strip()}\"?", [said.strip()]
        return text, [said.strip()]


def _named_first(asked, answered) -> tuple[Entity, ...]:
    """The question's entities, then the answer's; but when the question names a person only by
    role ("the CEO") and the answer gives a name, the name stands first."""
    people = [e for e in asked if e.kind == PERSON]
    named = [e for e in answered if e.kind == PERSON and not e.text.lower().startswith(("the ", "a "))
             and "'s " not in e.text]
    if people and people[0].text.lower().startswith(("the ", "a ")) or (people and "'s " in people[0].text):
        if named:
            return (named[0],) + tuple(asked) + tuple(e for e in answered if e is not named[0])
    return tuple(asked) + tuple(answered)


def _changed(before: str, after: str) -> str:
    """The phrase around what `_shift` moved: "2018", "the 14th edition of the Kestrel Bay
    Film Festival", "Corvid 4"."""
    i = next((k for k, (a, b) in enumerate(zip(before, after)) if a != b), None)
    if i is None:
        return ""
    start = i
    while start and after[start - 1].isdigit():
        start -= 1
    m = re.match(r"(\d+)(st|nd|rd|th)?(\s+(?:edition|season|round|series)"
                 r"(?:\s+of\s+(?:the\s+)?(?:[A-Z][\w'-]*\s*)+)?)?", after[start:])
    word = re.search(r"([A-Z][\w-]*\s+)$", after[:start])
    phrase = m.group(0).strip() if m else ""
    if m and m.group(2):
        return f"the {phrase}"
    if _YEAR.fullmatch(phrase):
        return f"in {phrase}"
    return (word.group(1) if word else "") + phrase


def _shape(e: Entity) -> tuple:
    head = _bare(e.text.split()[-1]).lower()
    return (_demonym(head.rstrip("s")) or _demonym(head), head if head in _GROUP_NOUNS | _EVENT_NOUNS else "")


def _tie(turn: Turn, people: list[Entity]) -> bool:
    """Two people are equally likely: both given by the answer to a "who" question whose own
    words single neither out (one asked about by name would have been ranked first)."""
    a, b = people
    if a.said_in == "question" or b.said_in == "question":
        return False
    if a.text[:1].isupper() != b.text[:1].isupper():
        # "Paulo Sandvik was the agency director": a name and a role said of it are one person
        return False
    if not _ASKS_ENTITY.match(turn.resolved):
        return False
    qualifiers = _qualifiers(turn.resolved)
    return _matches(qualifiers, a.context) == _matches(qualifiers, b.context)


def _qualifiers(question: str) -> list[str]:
    """The words of a question that single out one of the people an answer names: its names
    and the role it asks about ("Who was the project director ...?": "director")."""
    named = words(" ".join(re.findall(r"\b[A-Z\u0130][\w'\u2019-]*", question)))
    roles = [w for w in words(question) if w in _ROLE_NOUNS]
    return [w for w in named if w not in STOPWORDS | QUESTION_WORDS] + roles


def _join(names: list[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def _put(question: str, e: Entity) -> str:
    q = re.sub(r"\b(his|her)\b(?=\s+[a-z])", f"{e.text}'s", question, count=1, flags=re.I)
    return re.sub(r"\b(he|him|she|her)\b", e.text, q, count=1, flags=re.I)


def _names(q: str) -> str:
    """The capitalised words and the figures of a question but its first word (and "I"): "" for
    one that names no one and nothing."""
    toks = re.findall(r"[\w'\u2019-]+", q)[1:]
    return " ".join(t for t in toks if t[:1].isupper() and t != "I" or t[:1].isdigit())


def _content(q: str) -> int:
    return len([w for w in words(q) if w not in STOPWORDS and w not in QUESTION_WORDS])


_RELATIVE = re.compile(r"\b(?:the|a)\s+(?:following|next|previous|preceding)\s+(?:season|year|edition|model|"
                       r"version|one)\b|\b" + SMALL_COUNT_SAID + r"\s+(?:years?|seasons?|editions?)\s+"
                       r"(?:later|earlier|before|after|on)\b|"
                       r"\bthe\s+(?:year|season|edition|model|one)\s+(?:after|before)\s+(?:that|it)\b|"
                       r"\bthe\s+year\s+(?:after|before)\b|"
                       r"\b(?:the|a)\s+(?:following|next|previous|preceding)\s+month\b|\b" + SMALL_COUNT_SAID +
                       r"\s+months?\s+(?:later|earlier|before|after|on)\b|\bthe\s+month\s+(?:after|before)\b|"
                       r"\b(?:the|a)\s+(?:following|next|previous|preceding)\s+quarter\b|\bthe\s+quarter\s+"
                       r"(?:after|before)\b|\b" + SMALL_COUNT_SAID + r"\s+quarters?\s+(?:later|earlier|before|after|on)\b", re.I)
_STEPS = re.compile(r"\b(" + SMALL_COUNT_SAID + r")\s+(?:years?|seasons?|editions?|models?|versions?|months?|quarters?)\b", re.I)
# a quarter said with its year, or alone: "Q1 2025", "the first quarter of 2025", "third-quarter"
_QUARTER_YEAR = re.compile(rf"\b(?:Q[1-4]|({'|'.join(QUARTER_WORDS)})([- ])quarter)(?:\s+(of\s+)?(1[89]\d\d|20\d\d))?\b",
                           re.I)
# a month said with its year, or alone: "April 2024", "in April"
_MONTH_YEAR = re.compile(rf"\b({MONTH_NAMES})(?:\s+(1[89]\d\d|20\d\d))?\b")
_ORD = re.compile(r"\b(\d{1,3})(st|nd|rd|th)\b")
_YEAR = re.compile(r"\b(1[89]\d\d|20\d\d)\b")
# a model or a numbered name, "Corvid 3": not "The 48-hour strike", not "Monday 7 November"
_MODEL = re.compile(rf"\b(?!(?:{MONTH_NAMES}|{WEEKDAY_NAMES})\b)"
                    r"([A-Z][\w-]*\s+)(\d{1,3})\b(?!-\w)")


def _shift(prev: str, frag: str) -> str:
    """"a year later", "the next edition", "the one before that": the previous question with
    its year, ordinal or model number moved by one."""
    step = 1 if _SHIFT_NEXT.search(frag) else -1 if _SHIFT_PREV.search(frag) else 0
    if not step:
        return prev
    f = frag.lower()
    steps = _STEPS.search(f)        # "two years before", "ten years later": moved that far
    if steps:
        step *= small_count(steps.group(1))
    if re.search(r"\bmonths?\b", f):
        return _shift_month(prev, step)
    if re.search(r"\bquarters?\b", f):
        return _shift_quarter(prev, step)
    if re.search(r"\b(year|season|years)\b", f) or not re.search(r"\b(edition|model|version|one)\b", f):
        m = _YEAR.search(prev)
        if m:
            return prev[:m.start()] + str(int(m.group(1)) + step) + prev[m.end():]
    m = _ORD.search(prev)
    if m:
        n = int(m.group(1)) + step
        suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
        return prev[:m.start()] + f"{n}{suffix}" + prev[m.end():]
    m = _MODEL.search(prev)
    if m:
        return prev[:m.start()] + m.group(1) + str(int(m.group(2)) + step) + prev[m.end():]
    m = _YEAR.search(prev)
    if m:
        return prev[:m.start()] + str(int(m.group(1)) + step) + prev[m.end():]
    return prev


def _shift_month(prev: str, step: int) -> str:
    """"the month before" of "inflation in April 2024": March 2024 (over a new year too)."""
    m = _MONTH_YEAR.search(prev)
    if not m:
        return prev
    at = month_number(m.group(1)) - 1 + step
    month = MONTHS[at % 12].title()
    said = f"{month} {int(m.group(2)) + at // 12}" if m.group(2) else month
    return prev[:m.start()] + said + prev[m.end():]


def _shift_quarter(prev: str, step: int) -> str:
    """"the quarter after" of "revenue for Q1 2025": Q2 2025; of "the fourth quarter of 2024":
    the first quarter of 2025 (said as the question said it)."""
    m = _QUARTER_YEAR.search(prev)
    if not m:
        return prev
    word, sep, of, year = m.groups()
    at = next(iter(quarters(m.group()))) - 1 + step
    n = at % 4 + 1
    said = f"{QUARTER_WORDS[n - 1]}{sep}quarter" if word else f"Q{n}"
    if year:
        said += f" {of or ''}{int(year) + at // 4}"
    out = prev[:m.start()] + said + prev[m.end():]
    y = _YEAR.search(out, m.start() + len(said)) if not year and at // 4 else None
    return out[:y.start()] + str(int(y.group()) + at // 4) + out[y.end():] if y else out


def by_rules(question: str, history: list[tuple[str, str]]) -> Standalone:
    """`question` made to stand alone by the conversation state built from `history`."""
    return Conversation.from_history(history).resolve(question)


def accept_rewrite(rewrite: str, question: str, history: list[tuple[str, str]]) -> bool:
    """A rewrite is usable when it is one short line whose names all occur in the conversation."""
    rewrite = rewrite.strip()
    if not rewrite or "\n" in rewrite or len(rewrite) > 300 or len(rewrite) < 8:
        return False
    known = set(words(question + " " + " ".join(t for _, t in history)))
    names = [w for m in re.finditer(r"\b[A-Z][\w'-]+", rewrite) for w in words(m.group())]
    return all(n in known or n in STOPWORDS for n in names)
