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
from dataclasses import dataclass

from index.chunking import sentences
from index.text import QUESTION_WORDS, STOPWORDS, stem, words

from .types import Passage

# Words so common in questions about any news story that they carry no evidence.
GENERIC = frozenset(stem(w) for w in """
happen happened event events news report reported story article
""".split())

MONTHS = "january february march april may june july august september october november december".split()
_DATE = re.compile(r"\b(" + "|".join(m.capitalize() for m in MONTHS) + r")\b(\s+\d{1,2})?|\b(19|20)\d{2}\b|"
                   r"\b(Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday|yesterday|today|tomorrow|"
                   r"last (week|month|year)|next (week|month|year))\b")
_NUMBER = re.compile(r"\b\d[\d,.]*\b|\b(one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|"
                     r"thirty|forty|fifty|hundred|thousand|million|billion|half|third|quarter|fifth|dozen)\b", re.I)
_PLACE = re.compile(r"\b(in|at|on|from|to|near|along) (the )?[A-Z\u0130][a-z\u00e0-\u024f]+")
_NAME = re.compile(r"(?<![.!?]\s)(?<!^)\b[A-Z\u0130][a-z\u00e0-\u024f]+(?:\s[A-Z\u0130][a-z\u00e0-\u024f]+)*")
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


@dataclass(frozen=True)
class Evidence:
    units: list[Unit]           # best first
    coverage: float             # best passage-level coverage
    answer_type: str | None
    key_terms: dict[str, float]  # stemmed term -> weight
    refuse: bool
    reason: str


def answer_type(question: str) -> str | None:
    """The kind of thing the question asks for, from its wording."""
    q = question.lower()
    if re.search(r"\bhow old\b|\bwhat age\b|\bage of\b", q):
        return "age"
    if re.search(r"\bhow much\b.*\b(cost|costs|pay|paid|spend|spent|price|worth|budget)\b|"
                 r"\b(cost|price|budget)\b.*\bhow much\b", q):
        return "money"
    if re.search(r"\bhow (many|much)\b|\bwhat (number|percentage|share|proportion|portion)\b|\bhow large\b|"
                 r"\bhow long\b", q):
        return "number"
    if re.search(r"(^|[,;]\s*|\b(and|so|but|since|until)\s+)when\b|\b(what|which) (date|day|time|year|month)\b", q):
        return "date"
    if re.search(r"\b(who|whom|whose)\b", q):
        return "name"
    if re.search(r"^\s*(and\s+)?where\b|\bwhere (in|at|did|was|were|is|are|will)\b|\bwhich (city|country|place|venue)\b", q):
        return "place"
    return None


_AGE = re.compile(r"\b\d{1,3}[- ]years?[- ]old\b|\baged \d{1,3}\b|\bage(d)? of \d{1,3}\b|\bborn in\b", re.I)
_MONEY = re.compile(r"[$\u20ac\u00a3\u20ba]\s?\d|\b\d[\d,.]*\s?(dollars|euros|pounds|lira|roubles|rubles|hryvnias?|"
                    r"usd|eur)\b|\b(million|billion) (dollars|euros)\b", re.I)
STRICT_TYPES = {"age": _AGE, "money": _MONEY}   # asked for and nowhere in the passages: refuse


def has_type(text: str, kind: str | None) -> bool:
    if kind in STRICT_TYPES:
        return bool(STRICT_TYPES[kind].search(text))
    if kind == "number":
        return bool(_NUMBER.search(text))
    if kind == "date":
        return bool(_DATE.search(text))
    if kind == "name":
        return bool(_NAME.search(text))
    if kind == "place":
        return bool(_PLACE.search(text))
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
        if s in GENERIC:
            continue
        terms[s] = idf(s)
    return terms


def coverage(text_terms: set[str], terms: dict[str, float]) -> float:
    total = sum(terms.values())
    return sum(w for t, w in terms.items() if t in text_terms) / total if total else 0.0


_PRONOUN_START = re.compile(r"^[\"'\u201c\u2018]?(he|she|they|it|his|her|their|this|that|these|those|such)\b", re.I)
_LEANS_BACK = re.compile(r"\b(he|she)\b|\b(the|this) (official|minister|envoy|spokesman|spokesperson|source)\b")
_SENTENCE_END = re.compile(r"[.!?][\"'\u201d\u2019)]*$")


def _headline_like(text: str) -> bool:
    """A headline, dateline or section title: short and without closing punctuation."""
    return len(text) < 100 and not _SENTENCE_END.search(text)


def gather(question: str, passages: list[Passage], idf, question_vector=None, sentence_vectors=None, *,
           refuse_below: float = 0.65) -> Evidence:
    """Score the sentences of `passages` against `question` and decide whether to refuse.

    A unit's score mixes its meaning (cosine of sentence and question vectors, when
    given) with the share of the question's key terms it holds, plus a bonus when it
    holds the kind of thing asked for and a small prior for the passage's rank.
    The question is refused when the best meaning match and the best passage's term
    coverage together fall below `refuse_below` (off-topic questions), or when it asks
    for an age or a sum of money and no passage states one.
    """
    from index.text import tokens

    terms = key_terms(question, idf)
    kind = answer_type(question)
    candidates: list[tuple[int, int, int, str]] = []   # passage, start, end (passage offsets), text
    best_cov = 0.0
    for pi, p in enumerate(passages):
        sents = sentences(p.text)
        best_cov = max(best_cov, coverage(set(tokens(p.title + " " + p.text)), terms))
        for si, sent in enumerate(sents):
            text = p.text[sent.start:sent.end]
            if INJECTION.search(text) or _headline_like(text):
                continue
            start = sent.start
            # a sentence that leans on the one before ("he said") brings it along
            if si > 0 and (_PRONOUN_START.match(text) or _LEANS_BACK.search(text)):
                prev = sents[si - 1]
                before = p.text[prev.start:prev.end]
                if not INJECTION.search(before) and not _headline_like(before):
                    start = prev.start
            candidates.append((pi, start, sent.end, p.text[start:sent.end]))
    if question_vector is not None and sentence_vectors is not None and candidates:
        vectors = sentence_vectors([c[3] for c in candidates])
        sims = [sum(a * b for a, b in zip(v, question_vector)) for v in vectors]
    else:
        sims = [0.0] * len(candidates)
    units: list[Unit] = []
    for (pi, start, end, span), sim in zip(candidates, sims):
        p = passages[pi]
        cov = coverage(set(tokens(span)), terms)
        typed = has_type(span, kind)
        score = 0.5 * sim + 0.5 * cov + (0.15 if typed else 0.0) + 0.05 / (1 + pi) - 0.0004 * max(0, len(span) - 250)

        units.append(Unit(pi, p.source, p.start + start, p.start + end, span, score, cov, typed))
    units.sort(key=lambda u: -u.score)
    best_sim = max(sims, default=0.0)
    if not terms:
        refuse, reason = True, "the question has no terms to look for"
    elif best_sim + best_cov < refuse_below:
        refuse, reason = True, f"off the articles' topics (meaning {best_sim:.2f} + terms {best_cov:.2f})"
    elif kind in STRICT_TYPES and not any(u.has_type for u in units):
        refuse, reason = True, f"asks for {'an age' if kind == 'age' else 'a sum of money'}; no passage states one"
    else:
        refuse, reason = False, f"meaning {best_sim:.2f}, terms {best_cov:.2f}"
    return Evidence(units, best_cov, kind, terms, refuse, reason)


def pick(units: list[Unit], n: int, max_chars: int | None = None) -> list[Unit]:
    """The best `n` units that do not overlap, best first, within `max_chars` in all."""
    chosen: list[Unit] = []
    used = 0
    for u in units:
        if len(chosen) >= n:
            break
        if any(u.source == c.source and u.start < c.end and c.start < u.end for c in chosen):
            continue
        if max_chars is not None and used + len(u.text) > max_chars:
            continue
        chosen.append(u)
        used += len(u.text) + 5
    return chosen
