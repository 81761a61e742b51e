"""Run the gold questions through an engine and report on the answers.

`run_eval` asks each question, times it and scores it with `evals.metrics`;
`format_table`, `write_report` (JSON plus a self-contained HTML page),
`compare_reports` and `check_thresholds` present and judge the result.

This module builds no engine and reads no settings: the caller hands in
anything with `ask(question, history=...)` returning an Answer as `rag` defines
it, which is also what lets the tests drive it with a scripted fake.
"""

from __future__ import annotations

import html
import json
import re
import sys
import time
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, Protocol

from tqdm import tqdm

from evals.gold import GoldItem
from evals.metrics import (
    answer_correct,
    citation_hits,
    exact_match,
    first_hit_rank,
    summarize,
    token_f1,
)

RATE_METRICS = (
    "answer_accuracy", "exact_match", "token_f1", "retrieval_recall_at_{k}", "mrr",
    "citation_precision", "refusal_accuracy", "false_refusal_rate", "fallback_rate",
    "verified_sentence_rate",
)
LATENCY_METRICS = ("latency_ms.p50", "latency_ms.p95")
LOWER_IS_BETTER = frozenset({"false_refusal_rate", "fallback_rate", *LATENCY_METRICS})


class _Sourced(Protocol):
    source: str
    text: str


class AnswerLike(Protocol):
    """The parts of `rag`'s Answer that the runner reads."""

    text: str
    refused: bool
    fallback: bool
    llm: str
    citations: Sequence[_Sourced]
    passages: Sequence[_Sourced]
    checks: Sequence[Mapping[str, Any]]


class EngineLike(Protocol):
    """Anything that answers a question with an Answer, as `rag.Engine` does."""

    def ask(self, question: str, history: list[tuple[str, str]] | None = None) -> AnswerLike: ...


def run_eval(engine: EngineLike, items: Sequence[GoldItem], *, k: int, progress: bool = True) -> dict[str, Any]:
    """Ask every gold question, score the answers and return the report dict.

    `k` names the recall metric and bounds the passages that count for it
    (the engine should retrieve k passages too). Latency is measured around
    `engine.ask`. A progress bar goes to stderr unless `progress` is False.
    """
    if not isinstance(k, int) or k < 1:
        raise ValueError(f"k must be a positive integer, got {k!r}")
    rows: list[dict[str, Any]] = []
    backends: Counter[str] = Counter()
    for item in tqdm(items, desc="eval", unit="q", file=sys.stderr, disable=not progress):
        answer, latency_ms = _timed_ask(engine, item)
        backends[answer.llm] += 1
        rows.append(score_question(item, answer, latency_ms=latency_ms, k=k))
    llm = backends.most_common(1)[0][0] if backends else "unknown"
    return summarize(rows, k, llm)


def _timed_ask(engine: EngineLike, item: GoldItem) -> tuple[AnswerLike, float]:
    start = time.perf_counter()
    try:
        answer = engine.ask(item.question, history=item.history_list())
    except Exception as exc:
        exc.add_note(f"while asking gold question {item.id}: {item.question!r}")
        raise
    return answer, (time.perf_counter() - start) * 1000


def _unique(values: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(values))


def score_question(item: GoldItem, answer: AnswerLike, *, latency_ms: float, k: int) -> dict[str, Any]:
    """The per-question row: what was asked and answered, its scores and the metrics it failed.

    Unanswerable questions have None for correct, exact, f1, rank and
    citation_hits. `failed` lists pass/fail metrics only; the graded ones
    (exact_match, token_f1) are in the row but never make a question fail.
    """
    checks = list(getattr(answer, "checks", None) or [])
    row: dict[str, Any] = {
        "id": item.id,
        "question": item.question,
        "history": [list(turn) for turn in item.history],
        "answerable": item.answerable,
        "gold_answers": list(item.answers),
        "answer": answer.text,
        "refused": bool(answer.refused),
        "fallback": bool(answer.fallback),
        "cited_sources": _unique(c.source for c in answer.citations),
        "passage_sources": _unique(p.source for p in answer.passages[:k]),
        "latency_ms": latency_ms,
        "correct": None, "exact": None, "f1": None, "rank": None, "citation_hits": None,
        "verified_sentences": [sum(1 for c in checks if c.get("kept")), len(checks)],
    }
    if item.answerable:
        row.update(
            correct=answer_correct(answer.text, answer.refused, item.answers),
            exact=exact_match(answer.text, item.answers),
            f1=token_f1(answer.text, item.answers),
            rank=first_hit_rank([p.text for p in answer.passages[:k]], item.answers),
            citation_hits=list(citation_hits([c.text for c in answer.citations], item.answers)),
        )
    row["failed"] = _failures(row, k)
    return row


def _failures(row: Mapping[str, Any], k: int) -> list[str]:
    if not row["answerable"]:
        failed = [] if row["refused"] else ["refusal_accuracy"]
    else:
        hits, cited = row["citation_hits"]
        checks = [
            ("answer_accuracy", not row["correct"]),
            (f"retrieval_recall_at_{k}", row["rank"] is None),
            ("citation_precision", hits < cited),
            ("false_refusal_rate", row["refused"]),
        ]
        failed = [name for name, bad in checks if bad]
    return failed + (["fallback_rate"] if row["fallback"] else [])


def metric_values(report: Mapping[str, Any]) -> dict[str, float | None]:
    """The report's headline metrics by name, latency flattened to `latency_ms.p50` / `.p95`."""
    names = [name.format(k=report["k"]) for name in RATE_METRICS]
    values: dict[str, float | None] = {name: report.get(name) for name in names}
    latency = report.get("latency_ms") or {}
    for name in LATENCY_METRICS:
        values[name] = latency.get(name.split(".", 1)[1])
    return values


def _fmt(name: str, value: float | None) -> str:
    if value is None:
        return "n/a"
    return f"{value:.1f}" if name in LATENCY_METRICS else f"{value:.3f}"


def _header(report: Mapping[str, Any]) -> str:
    counts = ""
    if "n_answerable" in report:
        counts = f" ({report['n_answerable']} answerable, {report['n_unanswerable']} unanswerable)"
    return f"llm={report['llm']}  k={report['k']}  {report['n']} questions{counts}"


def format_table(report: Mapping[str, Any]) -> str:
    """The headline metrics as an aligned two-column text table."""
    values = metric_values(report)
    width = max(len(name) for name in values)
    lines = [_header(report), f"{'metric':<{width}}  value", f"{'-' * width}  -----"]
    lines += [f"{name:<{width}}  {_fmt(name, value)}" for name, value in values.items()]
    return "\n".join(lines)


def write_report(report: Mapping[str, Any], path: str | Path) -> tuple[Path, Path]:
    """Write the report as JSON at `path` and as an HTML page beside it (same stem, `.html`).

    Returns (json_path, html_path).
    """
    json_path = Path(path)
    if json_path.suffix.lower() == ".html":
        raise ValueError(f"report path {json_path} must not end in .html: the HTML page is written beside it")
    html_path = json_path.with_suffix(".html")
    json_path.parent.mkdir(parents=True, exist_ok=True)
    json_path.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    html_path.write_text(render_html(report), encoding="utf-8")
    return json_path, html_path


_STYLE = """
body { font-family: system-ui, sans-serif; margin: 2rem; color: #222; max-width: 70rem; }
table { border-collapse: collapse; margin: 1rem 0; }
th, td { border: 1px solid #ccc; padding: .3rem .6rem; text-align: left; vertical-align: top; }
th { background: #f3f3f3; }
.num { text-align: right; font-variant-numeric: tabular-nums; }
.failed { color: #a00; }
"""


def _esc(value: Any) -> str:
    return html.escape(str(value), quote=True)


def render_html(report: Mapping[str, Any]) -> str:
    """A self-contained HTML page: the metrics as an inline SVG bar chart and a table, then the failed questions."""
    rows = report.get("per_question", [])
    failed = [row for row in rows if row.get("failed")]
    return "\n".join([
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>newsrag eval: {_esc(report['llm'])}</title>",
        f"<style>{_STYLE}</style></head><body>",
        "<h1>newsrag eval report</h1>",
        f"<p>{_esc(_header(report))}</p>",
        _svg_chart(metric_values(report)),
        _metrics_table(metric_values(report)),
        f"<h2>Failed questions ({len(failed)} of {len(rows)})</h2>",
        _questions_table(failed) if failed else "<p>None.</p>",
        "</body></html>",
    ])


def _svg_chart(values: Mapping[str, float | None]) -> str:
    """Horizontal bars for the 0..1 metrics; lower-is-better ones in orange."""
    rates = [(name, value) for name, value in values.items() if name not in LATENCY_METRICS]
    label_w, bar_w, row_h = 210, 400, 26
    height = row_h * len(rates) + 10
    parts = [
        (f'<svg xmlns="http://www.w3.org/2000/svg" width="{label_w + bar_w + 70}" height="{height}"'
         ' role="img" aria-label="metrics bar chart" font-family="sans-serif" font-size="13">')
    ]
    for i, (name, value) in enumerate(rates):
        y = 5 + i * row_h
        colour = "#e08a2c" if name in LOWER_IS_BETTER else "#3a7bd5"
        parts.append(f'<text x="0" y="{y + 16}">{_esc(name)}</text>')
        parts.append(f'<rect x="{label_w}" y="{y + 3}" width="{bar_w}" height="16" fill="#eee"/>')
        if value is not None:
            width = max(0.0, min(1.0, value)) * bar_w
            parts.append(f'<rect x="{label_w}" y="{y + 3}" width="{width:.1f}" height="16" fill="{colour}"/>')
        parts.append(f'<text x="{label_w + bar_w + 6}" y="{y + 16}">{_esc(_fmt(name, value))}</text>')
    parts.append("</svg>")
    return "".join(parts)


def _metrics_table(values: Mapping[str, float | None]) -> str:
    body = "".join(
        f'<tr><td>{_esc(name)}</td><td class="num">{_esc(_fmt(name, value))}</td></tr>'
        for name, value in values.items()
    )
    return f"<table><tr><th>metric</th><th>value</th></tr>{body}</table>"


def _questions_table(rows: Sequence[Mapping[str, Any]]) -> str:
    head = "".join(f"<th>{h}</th>" for h in (
        "id", "question", "answer", "expected", "refused", "fallback", "cited", "failed", "ms"))
    body = "".join(_question_row(row) for row in rows)
    return f"<table><tr>{head}</tr>{body}</table>"


def _question_row(row: Mapping[str, Any]) -> str:
    history = "".join(f"<div><i>{_esc(role)}:</i> {_esc(text)}</div>" for role, text in row.get("history", []))
    expected = " | ".join(row.get("gold_answers", [])) or "(refusal)"
    cells = [
        _esc(row["id"]),
        history + _esc(row["question"]),
        _esc(row["answer"]),
        _esc(expected),
        "yes" if row["refused"] else "no",
        "yes" if row["fallback"] else "no",
        _esc(", ".join(row.get("cited_sources", []))),
        f'<span class="failed">{_esc(", ".join(row["failed"]))}</span>',
        f'{float(row["latency_ms"]):.0f}',
    ]
    return "<tr>" + "".join(f"<td>{cell}</td>" for cell in cells) + "</tr>"


def _verdict(name: str, before: float | None, after: float | None) -> tuple[str, str]:
    """(signed change, better/worse/same) of one metric from report A to report B."""
    if before is None or after is None:
        return "", ""
    # Compared at the precision shown, so float noise never reads as a change.
    delta = round(after - before, 1 if name in LATENCY_METRICS else 3) + 0.0
    change = f"{delta:+.1f}" if name in LATENCY_METRICS else f"{delta:+.3f}"
    if delta == 0:
        return change, "same"
    improved = delta < 0 if name in LOWER_IS_BETTER else delta > 0
    return change, "better" if improved else "worse"


def compare_reports(a: Mapping[str, Any], b: Mapping[str, Any]) -> str:
    """Metric-by-metric changes from report A to report B, then the questions fixed and broken."""
    values_a, values_b = metric_values(a), metric_values(b)
    names = list(dict.fromkeys([*values_a, *values_b]))
    width = max(len(name) for name in names)
    lines = [
        f"A: {_header(a)}",
        f"B: {_header(b)}",
        f"{'metric':<{width}}  {'A':>8}  {'B':>8}  {'change':>8}",
    ]
    for name in names:
        before, after = values_a.get(name), values_b.get(name)
        change, verdict = _verdict(name, before, after)
        row = f"{name:<{width}}  {_fmt(name, before):>8}  {_fmt(name, after):>8}  {change:>8}  {verdict}"
        lines.append(row.rstrip())
    return "\n".join(lines + _question_changes(a, b))


def _question_changes(a: Mapping[str, Any], b: Mapping[str, Any]) -> list[str]:
    rows_a = {row["id"]: row for row in a.get("per_question", [])}
    rows_b = {row["id"]: row for row in b.get("per_question", [])}
    common = [qid for qid in rows_a if qid in rows_b]
    fixed = [f"{qid} (was {', '.join(rows_a[qid]['failed'])})"
             for qid in common if rows_a[qid]["failed"] and not rows_b[qid]["failed"]]
    broke = [f"{qid} ({', '.join(rows_b[qid]['failed'])})"
             for qid in common if not rows_a[qid]["failed"] and rows_b[qid]["failed"]]
    lines = [f"fixed ({len(fixed)}): {'; '.join(fixed) or '-'}", f"broke ({len(broke)}): {'; '.join(broke) or '-'}"]
    only_a = [qid for qid in rows_a if qid not in rows_b]
    only_b = [qid for qid in rows_b if qid not in rows_a]
    if only_a:
        lines.append(f"only in A ({len(only_a)}): {', '.join(only_a)}")
    if only_b:
        lines.append(f"only in B ({len(only_b)}): {', '.join(only_b)}")
    return lines


def check_thresholds(report: Mapping[str, Any], thresholds: Mapping[str, float]) -> list[str]:
    """The thresholds the report misses, one line each; empty when all are met.

    Thresholds are minimums, except maximums for false_refusal_rate,
    fallback_rate and the latencies (`latency_ms.p50`, `latency_ms.p95`). A
    metric this run did not measure (None, such as fallback_rate with the
    extractive backend) is skipped. An unknown metric name or a limit that is
    not a number raises ValueError.
    """
    values = metric_values(report)
    failures = []
    for name, limit in thresholds.items():
        _check_threshold_entry(name, limit, values, report["k"])
        value = values[name]
        if value is None:
            continue
        if name in LOWER_IS_BETTER and value > limit:
            failures.append(f"{name} {_fmt(name, value)} is above the maximum {limit}")
        elif name not in LOWER_IS_BETTER and value < limit:
            failures.append(f"{name} {_fmt(name, value)} is below the minimum {limit}")
    return failures


def _check_threshold_entry(name: str, limit: Any, values: Mapping[str, Any], k: int) -> None:
    if name not in values:
        if re.fullmatch(r"retrieval_recall_at_\d+", name):
            raise ValueError(f"threshold {name!r} does not match this run, which measured retrieval_recall_at_{k}")
        raise ValueError(f"unknown metric {name!r} in thresholds; known: {', '.join(values)}")
    if isinstance(limit, bool) or not isinstance(limit, (int, float)):
        raise ValueError(f"threshold for {name!r} must be a number, got {limit!r}")
