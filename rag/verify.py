"""Check an LLM's draft sentence by sentence against the sources it cites.

A sentence is kept only when it cites a source that exists and every name,
number and quoted phrase in it is found in that source, most of its other
content words are found there or in the question, it does not deny what the
source states, and it does not relate its actors otherwise than the source does
(who led, beat, told or quoted whom: `rag.roles`). A sentence with no marker is kept only if one of the sources
supports it in full, and then cites that one. What fails is dropped; the
caller falls back to quotations when nothing is left.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

from index.chunking import ABBREVIATION, sentences
from index.text import QUESTION_WORDS, STOPWORDS, fold, stem, tokens, words

from .evidence import INJECTION, IRREGULAR_PAST, _NUMBER, figures_said, has_type
from .markers import MARKER as _ANY_MARK
from .question import LOOKS_AHEAD, MONTH_NAMES, Constraint, days, mentions, parse, years
from .roles import conflict
_SENT = re.compile(r"(?<=[.!?])(?:\s*\[\d{1,2}\])*\s+(?=[A-Z\"'\u201c])")
_QUOTED = re.compile(r"[\"\u201c]([^\"\u201d]{8,}?)[\"\u201d]")
_CAP = re.compile(r"\b[A-Z\u0130][\w'\u2019-]*")
_NEG = re.compile(r"\b(not|no|never|none|nobody|nothing|neither|nor|without|refused|failed|didn't|don't|doesn't|"
                  r"wasn't|weren't|isn't|aren't|won't|cannot|can't)\b|n't\b", re.I)
_REFUSAL = re.compile(r"NOT_FOUND|\b(do(es)? not|don't|doesn't) (say|mention|provide|specify|contain)|"
                      r"\bno (information|mention)\b|\bnot (mentioned|specified|provided|stated)\b", re.I)
ONE_SENTENCE_SHARE = 0.75   # of a sentence's words found in its source, the share one source sentence must hold
QUESTION_STEMS = frozenset(stem(w) for w in QUESTION_WORDS)
_NUMWORDS = {"one": "1", "two": "2", "three": "3", "four": "4", "five": "5", "six": "6", "seven": "7",
             "eight": "8", "nine": "9", "ten": "10", "thousand": "1000", "hundred": "100"}


@dataclass
class Check:
    text: str
    cites: list[int]
    kept: bool
    why: str
    repaired: bool = False

    def as_dict(self) -> dict:
        return {"text": self.text, "cites": self.cites, "kept": self.kept, "why": self.why, "repaired": self.repaired}


@dataclass
class Verified:
    sentences: list[tuple[str, list[int]]] = field(default_factory=list)   # kept: text without markers, sources
    checks: list[Check] = field(default_factory=list)
    llm_refused: bool = False

    @property
    def dropped(self) -> int:
        return sum(not c.kept for c in self.checks)


def split_sentences(draft: str) -> list[str]:
    """The draft's sentences; never split after an abbreviation ("retired Lt. Gen. Anko Ruel")."""
    draft = draft.strip()
    out: list[str] = []
    for piece in (s.strip() for s in _SENT.split(draft) if s.strip()) if draft else ():
        if out and ABBREVIATION.search(_ANY_MARK.sub("", out[-1]).rstrip()):
            out[-1] = f"{out[-1]} {piece}"
        else:
            out.append(piece)
    return out


def _numbers(text: str) -> set[str]:
    out = set()
    for m in _NUMBER.finditer(text):
        tok = m.group().lower().rstrip(".,").replace(",", "")
        out.add(_NUMWORDS.get(tok, tok))
    return out


def facts(sentence: str) -> tuple[list[str], set[str], list[str]]:
    """Names (capitalised words past the first), numbers and quoted phrases the sentence asserts."""
    body = _ANY_MARK.sub("", sentence)
    caps = [m.group() for m in _CAP.finditer(body)]
    if caps and body.lstrip("\"'\u201c ").startswith(caps[0]) and caps[0].lower() in STOPWORDS | {"the"}:
        caps = caps[1:]
    names = [c for c in caps if c.lower() not in STOPWORDS]
    return names, _numbers(body), [q for q in _QUOTED.findall(body)]


def supports(source: str, sentence: str, question: str, common: frozenset = frozenset(),
             context: str = "") -> tuple[bool, str]:
    """Does `source` support `sentence`? (ok, reason). `common`: stemmed words so frequent in
    the corpus ("talks", "final") that echoing them from the question asserts nothing; but the
    question's first word of content, what it asks about ("who *won* the final?"), must be in
    the source however common: "Y won" from a source where Y only scored is a new claim.
    `context`: what the article says around the source (its headline and date), which may
    supply a name, year or edition the sentence leaves out; relations and denials are read in
    the source alone."""
    body = _ANY_MARK.sub("", sentence).strip()
    article = f"{source} {context}".strip()     # what the words, names and numbers are looked up in
    if INJECTION.search(body):
        return False, "looks like an instruction, not an answer"
    src_fold = fold(article)
    src_words = set(words(article))
    src_stems = {stem(w) for w in src_words}
    context_stems = set(tokens(context)) - set(tokens(source))
    names, numbers, quotes = facts(body)
    for name in names:
        w = words(name)
        if w and not all(x in src_words or stem(x) in src_stems for x in w):
            return False, f"name {name!r} is not in the cited source"
    missing = numbers - _numbers(article)
    if missing:
        return False, f"number {sorted(missing)[0]!r} is not in the cited source"
    for q in quotes:
        if fold(q) not in src_fold:
            return False, f"quoted words {q[:40]!r} are not in the cited source"
    asked = set(tokens(question))
    # (an edition, quarter, half or numbered name the question names is found in the source as
    # the question module reads it: "Q1" as "the first quarter", "45th" as "45th" or "forty-fifth")
    named, plain = _named_numbers(question)
    unnamed = [c.text for c in named if c.number not in {v for _, _, v in mentions(c, article)}]
    if unnamed:
        return False, f"the cited source is not about {unnamed[0]!r}, which the question names"
    missing_numbers = _numbers(" ".join(w for w in words(plain) if w.isdigit())) - _numbers(article)
    if missing_numbers:
        return False, f"the cited source is not about {sorted(missing_numbers)[0]!r}, which the question names"
    content = list(dict.fromkeys(t for t in tokens(body) if not t.isdigit()))
    asked_first = next(iter(t for t in tokens(question) if t not in QUESTION_STEMS), None)
    unsupported = [t for t in content if t not in src_stems and not (t in asked and t in common and t != asked_first)]
    # A word taken from the question but absent from the source is how a premise turns
    # into a claim ("the two sides signed a ceasefire"): never allowed. One word of the
    # model's own (a paraphrase) is tolerated in a longer sentence.
    echoed = [t for t in unsupported if t in asked]
    if echoed:
        return False, f"its word {echoed[0]!r} comes from the question, not the cited source"
    if len(unsupported) > (1 if len(content) >= 5 else 0):
        return False, f"its words {unsupported[:3]} are not in the cited source"
    # what the sentence says must be said in one sentence of the source: words gathered from
    # two ("Greta Hollins, 34, a nurse…" + "…cars crossed…") make a claim neither makes
    # ("34 cars crossed")
    said = set(t for t in tokens(body) if t in src_stems and t not in context_stems)    # numbers too
    # (the source sentence holding most of those words, and how many)
    held, best = max(((len(said & set(tokens(source[x.start:x.end]))), source[x.start:x.end])
                      for x in sentences(source)), key=lambda h: h[0], default=(0, source))
    if len(said) >= 3 and held < ONE_SENTENCE_SHARE * len(said):
        return False, f"its words come from different sentences of the source ({held} of {len(said)} in one)"
    # a denial must be the source's own, in the sentence that says what it denies: "No, he did
    # not appeal" is not supported by "The Court of Appeal reduced his sentence" beside "He
    # showed no reaction"
    if _NEG.search(body) and not _NEG.search(best if said else source):
        return False, "it denies something the cited source does not deny"
    ahead = _done_not_expected(best if said else source, body)
    if ahead:
        return False, ahead
    moved = _moved_figure(source, body)
    if moved:
        return False, moved
    swapped = conflict(source, body)
    if swapped:
        return False, swapped
    return True, "supported"


_NUMBERED = ("ordinal", "quarter", "half", "name")     # constraints whose number is not a plain figure


@lru_cache(maxsize=64)
def _named_numbers(question: str) -> tuple[tuple[Constraint, ...], str]:
    """The question's editions, quarters, halves and numbered names written with digits ("45th",
    "Q1", "Corvid 4"), and the question without them (its plain figures and years)."""
    named = tuple(c for c in parse(question).constraints if c.kind in _NUMBERED and re.search(r"\d", c.text))
    plain = question
    for c in named:
        plain = re.sub(re.escape(c.text), " ", plain, flags=re.I)
    return named, plain


_PAST = re.compile(r"\b(\w+ed|" + "|".join(w for w in IRREGULAR_PAST) + r")\b", re.I)


def _done_not_expected(source: str, sentence: str) -> str | None:
    """The sentence tells as done what the source only looks ahead to: "She stepped down" from
    "she would step down after next year's edition", "they exchanged" from "they will exchange"."""
    if LOOKS_AHEAD.search(sentence):
        return None
    expected = {stem(w) for m in LOOKS_AHEAD.finditer(source)
                for w in words(source[m.end():m.end() + 30])[:2] if w not in STOPWORDS}
    for m in _PAST.finditer(sentence):
        said = m.group(1).lower()
        base = IRREGULAR_PAST.get(said) or said
        if stem(base) in expected or stem(said) in expected:
            return f"it tells as done ({m.group(1)!r}) what the cited source only looks ahead to"
    return None


_CLAUSE = re.compile(r"[,;:]\s+|\s+(?:and|but|while|against|compared with|up from|down from|from)\s+")


def _figure_years(text: str) -> dict[str, set[int]]:
    """Each figure of `text` (as digits) with the years its clause names: "4.1 million passengers
    in 2022, and 5.6 million in 2023" -> {"4.1": {2022}, "5.6": {2023}}."""
    out: dict[str, set[int]] = {}
    for clause in _CLAUSE.split(text):
        said = years(clause)
        for m in _NUMBER.finditer(clause):
            tok = m.group().replace(",", "").rstrip(".")
            if re.fullmatch(r"\d+(?:\.\d+)?", tok) and int(float(tok)) not in said:
                out.setdefault(tok, set()).update(said)
    return out


def _moved_figure(source: str, sentence: str) -> str | None:
    """A figure the sentence gives for another year than the source does ("4.1 million
    passengers in 2023" from "... 4.1 million passengers in 2022, and 5.6 million in 2023")."""
    told = _figure_years(source)
    for figure, said in _figure_years(sentence).items():
        if said and told.get(figure) and not said & told[figure]:
            return (f"the cited source gives {figure} for {' and '.join(map(str, sorted(told[figure])))}, "
                    f"not {' and '.join(map(str, sorted(said)))}")
    return None


_MONTH = f"({MONTH_NAMES})"
_MONTH_DAY = re.compile(rf"\b{_MONTH}\s+(\d{{1,2}})\b(?!,?\s*\d{{3}})|\b(\d{{1,2}})\s+{_MONTH}\b")


def in_source_form(sentence: str, source: str) -> str:
    """`sentence` with its dates written as the source writes them ("October 2" where the
    source says "2 October"): a reader checking the quote, or a search for it, finds it."""
    def day_month(m: re.Match) -> tuple[str, str]:
        return (m.group(2), m.group(1)) if m.group(1) else (m.group(3), m.group(4))

    written = {day_month(m): m.group() for m in _MONTH_DAY.finditer(source)}

    def swap(m: re.Match) -> str:
        return written.get(day_month(m), m.group())
    return _MONTH_DAY.sub(swap, sentence)


def verify(draft: str, sources: list[str], question: str, common: frozenset = frozenset(),
           contexts: list[str] | None = None) -> Verified:
    """Check each sentence of `draft` against `sources` (the LLM's [1]..[n], 1-based);
    `contexts[i]` is the headline and date of source i's article (see `supports`)."""
    out = Verified()
    contexts = contexts or [""] * len(sources)

    def check(n: int, body: str) -> tuple[bool, str]:
        return supports(sources[n - 1], body, question, common, contexts[n - 1])

    def keep(body: str, cites: list[int], by: list[int], why: str, repaired: bool = False) -> None:
        body = in_source_form(body, sources[by[0] - 1])
        out.sentences.append((body, by))
        out.checks.append(Check(body, cites, True, why, repaired=repaired))

    for sentence in split_sentences(draft):
        cites = [int(n) for n in _ANY_MARK.findall(sentence)]
        body = _ANY_MARK.sub("", sentence).strip()
        body = re.sub(r"\s+([.,;:!?])", r"\1", body)
        if not re.search(r"[A-Za-z0-9]", body):
            continue
        if _REFUSAL.search(body):
            out.llm_refused = True
            out.checks.append(Check(body, cites, False, "the LLM said the sources do not answer"))
            continue
        valid = [n for n in dict.fromkeys(cites) if 1 <= n <= len(sources)]
        if cites and not valid:
            out.checks.append(Check(body, cites, False, "cites a source that does not exist"))
            continue
        if valid:
            results = [(n, *check(n, body)) for n in valid]
            good = [n for n, ok, _ in results if ok]
            if not good:
                # the LLM may have cited the wrong number: accept another source that supports it in full
                alt = [n for n in range(1, len(sources) + 1) if n not in valid and check(n, body)[0]]
                if alt:
                    keep(body, cites, alt[:1], "supported by another source", repaired=True)
                else:
                    out.checks.append(Check(body, cites, False, results[0][2]))
                continue
            keep(body, cites, good, "supported")
            continue
        alt = [n for n in range(1, len(sources) + 1) if check(n, body)[0]]
        if alt:
            keep(body, cites, alt[:1], "no marker; supported by a source", repaired=True)
        else:
            out.checks.append(Check(body, cites, False, "no marker and no source supports it"))
    return out


# -- the answer inside a draft that echoes the question -------------------------------------------
# A small model answers "Who designed the hall?" with "Edwin Marlowe designed the hall.": its
# answer is right, its sentence is the question's words around it, which the source puts
# otherwise ("was the work of the architect Edwin Marlowe"), so the sentence cannot be kept. Its
# answer can: the words it adds to the question, when the best evidence says them and names no
# rival of their kind.
_RUN_GLUE = frozenset("of the a an and for to de van von der al bin".split())
# a capitalised name inside a sentence (not its first word, not a place after "in", "at", "from")
_NAME_RUN = re.compile(r"(?<![.!?]\s)(?<!^)(?<!\bin\s)(?<!\bat\s)(?<!\bfrom\s)(?<!\bto\s)\b[A-Z\u0130][\w'\u2019-]+"
                       r"(?:\s+(?:[A-Z\u0130][\w'\u2019-]+|[A-Z]\.|&))*")
_TOLD_OF = re.compile(r"(?:^|[.!?]\s+)[\"\u201c]?(?:He|She|They|His|Her|Their)\b")
# "Was the mayor there?" is not answered by a name alone, nor "why ...?" and "how did
# ...?" by a phrase cut from a sentence (a reason or a way is the sentence's to give)
_YES_NO = re.compile(r"^\s*(?:and\s+|so\s+|but\s+)?(?:is|was|are|were|did|does|do|has|have|had|can|could|will|would|"
                     r"should|why|how)\b", re.I)
# an answer of no kind (not a name, figure or date) is a phrase, not a word or two
SPAN_MIN_WORDS, SPAN_MIN_CONTENT = 3, 2


def _new_runs(draft: str, question: str) -> list[str]:
    """The runs of words `draft` adds to `question` ("Edwin Marlowe", "May 16"): words whose stem
    the question lacks, with the small words between two such words."""
    asked = set(tokens(question)) | QUESTION_STEMS
    body = _ANY_MARK.sub("", draft)
    toks = list(re.finditer(r"[\w'\u2019.,%$\u20ac\u00a3-]+|[\"\u201c\u201d]", body))
    runs, cur, glue = [], [], []
    for m in toks:
        if cur and m.group().endswith(","):      # a comma ends a run ("June 4, 310 runners")
            raw = m.group().strip(".,")
            if raw and set(tokens(raw)) - asked:
                cur += glue + [raw]
            runs.append(" ".join(cur))
            cur, glue = [], []
            continue
        raw = m.group().strip(".,")
        if raw in ('"', "\u201c", "\u201d") or not raw:
            continue
        month = bool(re.fullmatch(MONTH_NAMES, raw))       # "May 16": not the modal "may"
        stems = set(tokens(raw)) or ({raw.lower()} if raw.isdigit() or month else set())
        new = bool(stems) and not stems <= asked and (month or raw.lower() not in STOPWORDS)
        if new:
            cur += glue + [raw]
            glue = []
        elif cur and raw.lower() in STOPWORDS | _RUN_GLUE and len(glue) < 2:
            glue.append(raw)
        else:
            if cur:
                runs.append(" ".join(cur))
            cur, glue = [], []
    if cur:
        runs.append(" ".join(cur))
    return runs


def _in_source(span: str, source: str) -> str | None:
    """The source's own writing of `span` (its case, accents and quotation marks), when the source
    holds the span's words in a row; else None."""
    want = [fold(w) for w in re.findall(r"\w+", span)]
    if not want:
        return None
    found = list(re.finditer(r"\w+", source))
    have = [fold(m.group()) for m in found]
    for i in range(len(have) - len(want) + 1):
        if have[i:i + len(want)] == want:
            end = found[i + len(want) - 1].end()
            end += source[end:end + 1] == "%"       # "2.9%", not "2.9"
            return source[found[i].start():end]
    return None


def answer_span(draft: str, question: str, source: str, kind: str | None) -> str | None:
    """The answer in the first sentence of `draft`, in `source`'s words, when it can be trusted
    without the sentence around it: one run of words the draft adds to the question, said in
    `source` (the best evidence) word for word; of the kind asked for (`has_type`); and the only
    one of its kind there: asked who, no other person the question does not name; asked how
    many or when, the one figure or day of that kind; asked for nothing of a
    kind, a phrase of SPAN_MIN_WORDS words at least. Every other run of new words must be in
    `source` too. Never for a quotation asked for, or a yes-or-no question. None otherwise."""
    first = split_sentences(draft)[:1]
    if not first or _REFUSAL.search(first[0]) or kind == "quote" or kind is None and _YES_NO.match(question):
        return None
    said = [_in_source(r, source) for r in _new_runs(first[0], question)]    # each as the source writes it
    if None in said:
        return None     # (it adds something the best evidence does not say: not to be trusted in part)
    if kind is not None:
        said = [r for r in said if has_type(r, kind)]
    if len(said) != 1:
        return None
    span = said[0]
    asked = set(words(question))
    if kind == "name":
        mine = set(words(span))
        # (a run sharing a word with the answer is the answer with its title: "Finance Minister Ada
        # Brenner"; a name after "in", "at", "from" is where, not who; a sentence about "she" tells
        # of someone named before it, who may be the one asked about)
        rivals = [m.group() for m in _NAME_RUN.finditer(source)
                  if not set(words(m.group())) & mine and not set(words(m.group())) <= asked | STOPWORDS]
        if rivals or not _CAP.search(span) or _TOLD_OF.search(source):
            return None
    elif kind in ("date", "day", "year"):
        told, given = (years(source), years(span)) if kind == "year" else (days(source), days(span))
        if not given or told != given:
            return None
    elif kind is not None:
        told, given = set(figures_said(source, kind)), set(figures_said(span, kind))
        if len(told) > 1 or (given and given != told):
            return None
    elif len(words(span)) < SPAN_MIN_WORDS or len([w for w in words(span) if w not in STOPWORDS]) < SPAN_MIN_CONTENT:
        return None
    return span
