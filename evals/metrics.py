"""Scoring functions for the evaluation report, as defined in DESIGN.md.

Each function is small and pure: it takes strings and numbers and returns a
score, so it can be checked against hand-worked examples. `summarize` turns
per-question rows (built by `evals.runner`) into the report dict.

Matching is string containment after `match_form`: `fold` (case, accents,
quotes, dashes, whitespace), then `fold_numbers` (thousands separators and
number words to digits), so "3 years [1]" holds the gold "three years" and
"1000" the gold "1,000". A gold string that starts or ends with a digit must
not sit inside a longer number ("3" is not found in "2023").

This module does not talk to an engine, read files or judge answers with a
model.
"""

from __future__ import annotations

import random
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from evals.gold import KINDS, LONG_KINDS
from rag.markers import strip_markers  # noqa: F401  (one definition of the marker, re-exported)
from rag.stats import percentile  # noqa: F401  (shared with the bench; None for no values)

MAX_ANSWER_CHARS = 400
MAX_LONG_ANSWER_CHARS = 600   # list and summary answers
STAGES = ("retrieval", "evidence", "llm", "verification", "refusal")
BOOTSTRAP_RESAMPLES = 1000
BOOTSTRAP_SEED = 20240512
NO_KIND = "unlabelled"

_QUOTES = str.maketrans({
    "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u2032": "'", "\u00b4": "'",
    "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u201f": '"', "\u2033": '"',
    "\u00ab": '"', "\u00bb": '"',
    # Turkish dotless i has no decomposition; folding it keeps "Yıldız" == "Yildiz".
    "\u0131": "i",
})
_DASHES = re.compile(r"[\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe58\ufe63\uff0d]")
_DIGIT_SEPARATOR = re.compile(r"(?<=\d)[,.](?=\d)")
_THOUSANDS = re.compile(r"(?<!\d)\d{1,3}(?:,\d{3})+(?!\d)")
_TOKEN = re.compile(r"[^\W\d_]+|\d+")
_SMALL = {word: value for value, word in enumerate(
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen "
    "sixteen seventeen eighteen nineteen".split())}
_TENS = {"twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80,
         "ninety": 90}
_NUMBER_WORDS = frozenset(_SMALL) | frozenset(_TENS) | {"hundred", "thousand", "a"}


def fold(text: str) -> str:
    """Normalise text for matching.

    Case-folds, strips accents (NFKD, combining marks dropped), turns curly
    quotes and apostrophes into straight ones and every dash into '-', and
    collapses runs of whitespace into one space, trimmed at both ends.
    """
    decomposed = unicodedata.normalize("NFKD", text)
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    folded = _DASHES.sub("-", bare.casefold().translate(_QUOTES))
    return " ".join(folded.split())


def fold_numbers(text: str) -> str:
    """Thousands separators dropped and number words written as digits, in folded text.

    "1,000" -> "1000", "three years" -> "3 years", "twenty-one" -> "21",
    "a thousand" -> "1000", "one hundred and five" -> "105". Only whole words
    count ("someone", "often" and "tent" stay as they are); words of one number
    are joined by a space or a hyphen, "and" only after hundred or thousand.
    A lone "a" stays a word.
    """
    text = _THOUSANDS.sub(lambda m: m.group().replace(",", ""), text)
    tokens = list(_TOKEN.finditer(text))
    words = [m.group() for m in tokens]
    # linked[j]: token j continues the words before it (only a space or a hyphen between them)
    linked = [j > 0 and text[tokens[j - 1].end():tokens[j].start()] in (" ", "-") for j in range(len(tokens))]
    out, last, i = [], 0, 0
    while i < len(tokens):
        parsed = _parse_number(words, linked, i) if words[i] in _NUMBER_WORDS else None
        if parsed is None:
            i += 1
            continue
        value, end = parsed
        out += [text[last:tokens[i].start()], str(value)]
        last, i = tokens[end - 1].end(), end
    return "".join(out) + text[last:]


def _parse_number(words: Sequence[str], linked: Sequence[bool], i: int) -> tuple[int, int] | None:
    """(value, index after it) of the longest number phrase that starts at word i, or None."""

    def word(j: int) -> str | None:
        return words[j] if j < len(words) and (j == i or linked[j]) else None

    def below_hundred(j: int) -> tuple[int, int] | None:
        w = word(j)
        if w in _TENS:
            unit = _SMALL.get(word(j + 1) or "", 0)
            return (_TENS[w] + unit, j + 2) if 1 <= unit <= 9 else (_TENS[w], j + 1)
        if w in _SMALL and _SMALL[w] > 0:
            return _SMALL[w], j + 1
        return None

    def scaled(j: int, head: tuple[int, int] | None, scale: str, rest) -> tuple[int, int] | None:
        """head times `scale` (a bare or "a" scale counts one) plus what `rest` reads after it."""
        if head is None and word(j) == scale:
            head = (1, j)
        elif head is None and word(j) == "a" and word(j + 1) == scale:
            head = (1, j + 1)
        if head is None or word(head[1]) != scale:
            return head
        value, k = head[0] * (100 if scale == "hundred" else 1000), head[1] + 1
        after = k + 1 if word(k) == "and" else k
        tail = rest(after)
        return (value + tail[0], tail[1]) if tail else (value, k)

    def below_thousand(j: int) -> tuple[int, int] | None:
        return scaled(j, below_hundred(j), "hundred", below_hundred)

    if word(i) == "zero":
        return 0, i + 1
    return scaled(i, below_thousand(i), "thousand", below_thousand)


def match_form(text: str) -> str:
    """The form answers, passages and gold strings are compared in: markers out, folded, numbers as digits."""
    return fold_numbers(fold(strip_markers(text)))


def _golds(golds: Iterable[str]) -> list[str]:
    """The gold strings in match form, empty ones left out (they would match anything)."""
    return [g for g in (match_form(gold) for gold in golds) if g]


def _found(gold: str, haystack: str) -> bool:
    """Containment, except that a gold string starting or ending with a digit is not part of a longer number."""
    if not (gold[0].isdigit() or gold[-1].isdigit()):
        return gold in haystack
    before = r"(?<!\d)(?<!\d[.,])" if gold[0].isdigit() else ""
    after = r"(?!\d|[.,]\d)" if gold[-1].isdigit() else ""
    return re.search(before + re.escape(gold) + after, haystack) is not None


def contains_gold(text: str, golds: Iterable[str]) -> bool:
    """True when the text, in match form, contains any gold string in match form."""
    haystack = match_form(text)
    return any(_found(gold, haystack) for gold in _golds(golds))


def holds_gold(text: str, answers: Sequence[str], groups: Sequence[Sequence[str]] = ()) -> bool:
    """True when the text contains a gold string of `answers` (if any) and one alternative of every group.

    False when there is nothing to look for (no answers and no groups).
    """
    if not answers and not groups:
        return False
    return (not answers or contains_gold(text, answers)) and all(contains_gold(text, g) for g in groups)


def passages_hold(texts: Sequence[str], answers: Sequence[str], groups: Sequence[Sequence[str]] = ()) -> bool:
    """True when the passages between them hold the answer: one has a gold string, every group is in one."""
    if not answers and not groups:
        return False
    has_answer = not answers or any(contains_gold(t, answers) for t in texts)
    return has_answer and all(any(contains_gold(t, g) for t in texts) for g in groups)


def max_answer_chars(kind: str | None) -> int:
    """The longest a correct answer may be: 600 characters for list and summary questions, else 400."""
    return MAX_LONG_ANSWER_CHARS if kind in LONG_KINDS else MAX_ANSWER_CHARS


def answer_correct(text: str, refused: bool, golds: Sequence[str], groups: Sequence[Sequence[str]] = (),
                   *, max_chars: int = MAX_ANSWER_CHARS) -> bool:
    """True when the answer is not refused, at most `max_chars` long, and `holds_gold`."""
    return not refused and len(text) <= max_chars and holds_gold(text, golds, groups)


def truth_value(answerable: bool, refused: bool, correct: bool | None) -> int:
    """CRAG's score of one answer: +1 right or rightly refused, 0 answerable but refused, -1 wrong or answered."""
    if not answerable:
        return 1 if refused else -1
    if refused:
        return 0
    return 1 if correct else -1


def failure_stage(*, answerable: bool, refused: bool, correct: bool | None, passages_hold: bool,
                  answer_holds: bool, drafted: bool, draft_holds: bool, fallback: bool) -> str | None:
    """Where a failed question went wrong, from what the engine returned; None when it passed.

    - retrieval: the top-k passages do not hold the answer;
    - verification: the LLM's draft held it, the final answer does not (a right sentence dropped);
    - refusal: refused though the passages held it, or answered an unanswerable question;
    - llm: the LLM's draft did not hold it (kept or replaced), or a right LLM answer ran too long;
    - evidence: no LLM draft (or a fallback quotation) and the answer quotes the wrong sentence.
    """
    if not answerable:
        return None if refused else "refusal"
    if correct:
        return None
    if not passages_hold:
        return "retrieval"
    if draft_holds and not answer_holds:
        return "verification"
    if refused:
        return "refusal"
    if drafted and (not draft_holds or not fallback):
        return "llm"
    return "evidence"


def _normalize_answer(text: str) -> str:
    """Text in match form without punctuation, for exact match and token F1.

    Digit separators and apostrophes are deleted ("1,000" -> "1000", "Orlen's"
    -> "orlens"); other punctuation becomes a space ("U-shaped" -> "u shaped").
    """
    folded = _DIGIT_SEPARATOR.sub("", match_form(text)).replace("'", "")
    spaced = "".join(" " if unicodedata.category(ch).startswith("P") else ch for ch in folded)
    return " ".join(spaced.split())


def exact_match(text: str, golds: Iterable[str]) -> bool:
    """True when the normalised answer equals a normalised gold string."""
    answer = _normalize_answer(text)
    return bool(answer) and any(answer == _normalize_answer(gold) for gold in golds)


def _f1(prediction: list[str], reference: list[str]) -> float:
    """Token F1 of two token lists (multiset overlap)."""
    overlap = sum((Counter(prediction) & Counter(reference)).values())
    if overlap == 0:
        return 0.0
    precision = overlap / len(prediction)
    recall = overlap / len(reference)
    return 2 * precision * recall / (precision + recall)


def token_f1(text: str, golds: Iterable[str]) -> float:
    """Best token F1 of the answer against any gold string; 0.0 for an empty answer."""
    tokens = _normalize_answer(text).split()
    scores = [_f1(tokens, _normalize_answer(gold).split()) for gold in golds]
    return max(scores, default=0.0) if tokens else 0.0


def first_hit_rank(passage_texts: Sequence[str], golds: Iterable[str]) -> int | None:
    """1-based rank of the first passage that contains a gold string, or None."""
    gold_list = list(golds)
    for rank, passage in enumerate(passage_texts, start=1):
        if contains_gold(passage, gold_list):
            return rank
    return None


def citation_hits(cited_texts: Sequence[str], golds: Iterable[str]) -> tuple[int, int]:
    """(cited passages that contain a gold string, all cited passages)."""
    gold_list = list(golds)
    hits = sum(1 for text in cited_texts if contains_gold(text, gold_list))
    return hits, len(cited_texts)


def _share(flags: Sequence[bool]) -> float | None:
    """Share of true flags, or None when there are none to count."""
    return sum(flags) / len(flags) if flags else None


def _mean(values: Sequence[float]) -> float | None:
    return sum(values) / len(values) if values else None


def _pooled(pairs: Iterable[Sequence[int]]) -> float | None:
    """Sum of numerators over sum of denominators, None when nothing was counted."""
    pairs = list(pairs)
    total = sum(pair[1] for pair in pairs)
    return sum(pair[0] for pair in pairs) / total if total else None


def is_extractive(llm: str) -> bool:
    """True for the no-LLM backend, whose answers can never fall back."""
    return llm.split(":", 1)[0] == "extractive"


def _llm_rows(rows: Sequence[Mapping[str, Any]], llm: str) -> list[Mapping[str, Any]]:
    """The rows whose answer came from an LLM backend (a row's own `llm`, else the run's)."""
    return [row for row in rows if not is_extractive(str(row.get("llm") or llm))]


def _llm_sentences(row: Mapping[str, Any]) -> Sequence[int]:
    """[kept, written] LLM sentences of a row (`llm_sentences`, else `verified_sentences`)."""
    return row.get("llm_sentences") or row.get("verified_sentences") or (0, 0)


def llm_survival_rate(answerable: Sequence[Mapping[str, Any]], llm: str) -> float | None:
    """Among answerable questions answered (not refused) by an LLM, the share whose final answer kept
    at least one LLM-written sentence (not a fallback to quotations); None for extractive or no such row."""
    if is_extractive(llm):
        return None
    answered = [row for row in _llm_rows(answerable, llm) if not row["refused"]]
    return _share([not row["fallback"] and _llm_sentences(row)[0] > 0 for row in answered])


def llm_sentences_kept_rate(rows: Sequence[Mapping[str, Any]], llm: str) -> float | None:
    """LLM-written sentences kept by verification / all it wrote, pooled over the LLM's answers;
    None for extractive or when no sentence was written."""
    if is_extractive(llm):
        return None
    return _pooled(_llm_sentences(row) for row in _llm_rows(rows, llm))


def bootstrap_ci(flags: Sequence[bool], *, resamples: int = BOOTSTRAP_RESAMPLES,
                 seed: int = BOOTSTRAP_SEED) -> list[float] | None:
    """95% percentile-bootstrap interval of a share, [low, high]; None when there is nothing to resample.

    Deterministic: the same flags always give the same interval (a fixed seed).
    """
    if not flags:
        return None
    values = [1.0 if flag else 0.0 for flag in flags]
    rng = random.Random(seed)
    means = [sum(rng.choices(values, k=len(values))) / len(values) for _ in range(resamples)]
    return [round(percentile(means, 2.5), 4), round(percentile(means, 97.5), 4)]


def _kind_figures(rows: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """n, answer_accuracy (answerable rows), refusal_accuracy (unanswerable rows) and truth_score of some rows."""
    return {
        "n": len(rows),
        "answer_accuracy": _share([bool(row["correct"]) for row in rows if row["answerable"]]),
        "refusal_accuracy": _share([bool(row["refused"]) for row in rows if not row["answerable"]]),
        "truth_score": _mean([_truth(row) for row in rows]),
    }


def per_kind(rows: Sequence[Mapping[str, Any]]) -> dict[str, dict[str, Any]]:
    """`_kind_figures` for each kind, in the gold format's order of kinds; rows without one are "unlabelled"."""
    groups: dict[str, list[Mapping[str, Any]]] = {}
    for row in rows:
        groups.setdefault(row.get("kind") or NO_KIND, []).append(row)
    order = {kind: i for i, kind in enumerate(KINDS)}
    return {kind: _kind_figures(groups[kind]) for kind in sorted(groups, key=lambda k: (order.get(k, len(order)), k))}


def _truth(row: Mapping[str, Any]) -> int:
    return truth_value(bool(row["answerable"]), bool(row["refused"]), row.get("correct"))


def summarize(rows: Sequence[Mapping[str, Any]], k: int, llm: str) -> dict[str, Any]:
    """Build the report dict of DESIGN.md from per-question rows.

    Each row needs: answerable, refused, fallback, latency_ms, and for
    answerable rows correct, exact, f1, rank (or None) and citation_hits
    [hits, total]; `verified_sentences` [kept, written], `llm_sentences`
    [kept, written] (checks of sentences the LLM wrote), `llm` (the row's
    backend), `kind` and `stage` are optional. Shares whose denominator is empty are None (no
    unanswerable questions, no citations at all, no LLM sentences);
    fallback_rate, llm_survival_rate and llm_sentences_kept_rate are None
    for the extractive backend.
    """
    answerable = [row for row in rows if row["answerable"]]
    unanswerable = [row for row in rows if not row["answerable"]]
    ranks = [row["rank"] for row in answerable]
    latencies = [float(row["latency_ms"]) for row in rows]
    stages = Counter(row.get("stage") for row in rows)
    return {
        "n": len(rows),
        "n_answerable": len(answerable),
        "n_unanswerable": len(unanswerable),
        "llm": llm,
        "k": k,
        "truth_score": _mean([_truth(row) for row in rows]),
        "answer_accuracy": _share([bool(row["correct"]) for row in answerable]),
        "answer_accuracy_ci95": bootstrap_ci([bool(row["correct"]) for row in answerable]),
        "exact_match": _share([bool(row["exact"]) for row in answerable]),
        "token_f1": _mean([float(row["f1"]) for row in answerable]),
        f"retrieval_recall_at_{k}": _share([rank is not None for rank in ranks]),
        "mrr": _mean([1 / rank if rank else 0.0 for rank in ranks]),
        "citation_precision": _pooled(row["citation_hits"] for row in answerable),
        "refusal_accuracy": _share([bool(row["refused"]) for row in unanswerable]),
        "false_refusal_rate": _share([bool(row["refused"]) for row in answerable]),
        "fallback_rate": None if is_extractive(llm) else _share([bool(row["fallback"]) for row in rows]),
        "verified_sentence_rate": _pooled(row.get("verified_sentences", (0, 0)) for row in rows),
        "llm_survival_rate": llm_survival_rate(answerable, llm),
        "llm_sentences_kept_rate": llm_sentences_kept_rate(rows, llm),
        "latency_ms": {"p50": percentile(latencies, 50), "p95": percentile(latencies, 95)},
        "per_kind": per_kind(rows),
        "failure_stages": {stage: stages[stage] for stage in STAGES},
        "per_question": [dict(row) for row in rows],
    }
