"""Scoring functions for the evaluation report, as defined in DESIGN.md.

Each function is small and pure: it takes strings and numbers and returns a
score, so it can be checked against hand-worked examples. `summarize` turns
per-question rows (built by `evals.runner`) into the report dict.

This module does not talk to an engine, read files or judge answers with a
model: matching is string containment after `fold`.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

MAX_ANSWER_CHARS = 400

_QUOTES = str.maketrans({
    "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u2032": "'", "\u00b4": "'",
    "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u201f": '"', "\u2033": '"',
    "\u00ab": '"', "\u00bb": '"',
    # Turkish dotless i has no decomposition; folding it keeps "Kalın" == "Kalin".
    "\u0131": "i",
})
_DASHES = re.compile(r"[\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe58\ufe63\uff0d]")
_MARKER = re.compile(r"\s*\[\d+(?:\s*,\s*\d+)*\]")
_DIGIT_SEPARATOR = re.compile(r"(?<=\d)[,.](?=\d)")


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


def strip_markers(text: str) -> str:
    """Remove `[n]` citation markers (also `[1, 2]`) and the space before them."""
    return _MARKER.sub("", text)


def _golds(golds: Iterable[str]) -> list[str]:
    """The gold strings folded, empty ones left out (they would match anything)."""
    return [g for g in (fold(gold) for gold in golds) if g]


def contains_gold(text: str, golds: Iterable[str]) -> bool:
    """True when the folded text, markers removed, contains any folded gold string."""
    haystack = fold(strip_markers(text))
    return any(gold in haystack for gold in _golds(golds))


def answer_correct(text: str, refused: bool, golds: Iterable[str]) -> bool:
    """True when the answer is not refused, at most 400 characters, and contains a gold string."""
    return not refused and len(text) <= MAX_ANSWER_CHARS and contains_gold(text, golds)


def _normalize_answer(text: str) -> str:
    """Folded text without markers and punctuation, for exact match and token F1.

    Digit separators and apostrophes are deleted ("1,000" -> "1000", "Moscow's"
    -> "moscows"); other punctuation becomes a space ("U-shaped" -> "u shaped").
    """
    folded = _DIGIT_SEPARATOR.sub("", fold(strip_markers(text))).replace("'", "")
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


def percentile(values: Sequence[float], p: float) -> float:
    """The p-th percentile (0..100) with linear interpolation between ranks; 0.0 when empty."""
    if not 0 <= p <= 100:
        raise ValueError(f"percentile p must be within 0..100, got {p}")
    if not values:
        return 0.0
    ordered = sorted(values)
    position = (len(ordered) - 1) * p / 100
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


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


def summarize(rows: Sequence[Mapping[str, Any]], k: int, llm: str) -> dict[str, Any]:
    """Build the report dict of DESIGN.md from per-question rows.

    Each row needs: answerable, refused, fallback, latency_ms, and for
    answerable rows correct, exact, f1, rank (or None) and citation_hits
    [hits, total]; `verified_sentences` [kept, written] is optional.
    Shares whose denominator is empty are None (no unanswerable questions,
    no citations at all, no LLM sentences); fallback_rate is None for the
    extractive backend.
    """
    answerable = [row for row in rows if row["answerable"]]
    unanswerable = [row for row in rows if not row["answerable"]]
    ranks = [row["rank"] for row in answerable]
    latencies = [float(row["latency_ms"]) for row in rows]
    return {
        "n": len(rows),
        "n_answerable": len(answerable),
        "n_unanswerable": len(unanswerable),
        "llm": llm,
        "k": k,
        "answer_accuracy": _share([bool(row["correct"]) for row in answerable]),
        "exact_match": _share([bool(row["exact"]) for row in answerable]),
        "token_f1": _mean([float(row["f1"]) for row in answerable]),
        f"retrieval_recall_at_{k}": _share([rank is not None for rank in ranks]),
        "mrr": _mean([1 / rank if rank else 0.0 for rank in ranks]),
        "citation_precision": _pooled(row["citation_hits"] for row in answerable),
        "refusal_accuracy": _share([bool(row["refused"]) for row in unanswerable]),
        "false_refusal_rate": _share([bool(row["refused"]) for row in answerable]),
        "fallback_rate": None if is_extractive(llm) else _share([bool(row["fallback"]) for row in rows]),
        "verified_sentence_rate": _pooled(row.get("verified_sentences", (0, 0)) for row in rows),
        "latency_ms": {"p50": percentile(latencies, 50), "p95": percentile(latencies, 95)},
        "per_question": [dict(row) for row in rows],
    }
