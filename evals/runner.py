"""Run the gold questions through an engine and report on the answers.

`run_eval` asks each question, times it and scores it with `evals.metrics`,
naming for each failure the stage where it happened (from the passages, the
LLM's draft and the verification checks the Answer carries); `format_table`,
`write_report` (JSON plus a self-contained HTML page), `compare_reports` and
`check_thresholds` present and judge the result.

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
from evals.gold import KINDS
from evals.metrics import (
    NO_KIND,
    STAGES,
    answer_correct,
    citation_hits,
    exact_match,
    failure_stage,
    first_hit_rank,
    holds_gold,
    max_answer_chars,
    passages_hold,
    summarize,
    token_f1,
    truth_value,
)

RATE_METRICS = (
    "truth_score", "answer_accuracy", "exact_match", "token_f1", "retrieval_recall_at_{k}", "mrr",
    "citation_precision", "refusal_accuracy", "false_refusal_rate", "fallback_rate",
    "verified_sentence_rate", "llm_survival_rate", "llm_sentences_kept_rate",
)
LATENCY_METRICS = ("latency_ms.p50", "latency_ms.p95")
LOWER_IS_BETTER = frozenset({"false_refusal_rate", "fallback_rate", *LATENCY_METRICS})
SIGNED_METRICS = frozenset({"truth_score"})      # -1..1 rather than 0..1
KIND_METRICS = ("answer_accuracy", "refusal_accuracy", "truth_score")


class _Sourced(Protocol):
    source: str
    text: str


class AnswerLike(Protocol):
    """The parts of `rag`'s Answer that the runner reads.

    `draft` (the LLM's text before verification, None without an LLM) and
    `checks` (one dict per LLM sentence: text, cites, kept, why) are read
    with defaults, so an answer without them is scored as having no draft.
    """

    text: str
    refused: bool
    fallback: bool
    llm: str
    citations: Sequence[_Sourced]
    passages: Sequence[_Sourced]


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
    """The per-question row: what was asked and answered (with the engine's reason for a refusal or a
    fallback), its scores, the metrics it failed and its stage.

    Unanswerable questions have None for correct, exact, f1, rank and
    citation_hits. `failed` lists pass/fail metrics only; the graded ones
    (exact_match, token_f1) are in the row but never make a question fail.
    `truth` is +1, 0 or -1 (see `truth_value`); `stage` is where a failure
    happened (see `failure_stage`), None when the question passed.
    """
    checks = [dict(c) for c in (getattr(answer, "checks", None) or [])]
    written = [c for c in checks if "text" not in c or str(c.get("text") or "").strip()]
    draft = getattr(answer, "draft", None) or " ".join(str(c.get("text") or "") for c in checks)
    passages = list(getattr(answer, "passages", None) or [])[:k]
    citations = list(getattr(answer, "citations", None) or [])
    refused, fallback = bool(answer.refused), bool(getattr(answer, "fallback", False))
    row: dict[str, Any] = {
        "id": item.id,
        "kind": item.kind,
        "question": item.question,
        "history": [list(turn) for turn in item.history],
        "answerable": item.answerable,
        "gold_answers": list(item.answers),
        "gold_answers_all": [list(group) for group in item.answers_all],
        "answer": answer.text,
        "refused": refused,
        "fallback": fallback,
        "reason": getattr(answer, "reason", None),    # why it refused or fell back
        "cited_sources": _unique(c.source for c in citations),
        "passage_sources": _unique(p.source for p in passages),
        "latency_ms": latency_ms,
        "correct": None, "exact": None, "f1": None, "rank": None, "citation_hits": None,
        "verified_sentences": [sum(1 for c in checks if c.get("kept")), len(checks)],
        # the sentences the LLM wrote: a check without text is the engine's note on the whole answer
        "llm_sentences": [sum(1 for c in written if c.get("kept")), len(written)],
        "llm": answer.llm,
    }
    drafted = bool(draft.strip())
    stage_facts = {"passages_hold": False, "answer_holds": False, "draft_holds": False}
    if item.answerable:
        golds, groups = item.answers, item.answers_all
        # exact match and F1 need whole answers: a list's reference is one alternative of each group
        references = golds or (" ".join(group[0] for group in groups),)
        every_gold = item.gold_strings()
        row.update(
            correct=answer_correct(answer.text, refused, golds, groups, max_chars=max_answer_chars(item.kind)),
            exact=exact_match(answer.text, references),
            f1=token_f1(answer.text, references),
            rank=first_hit_rank([p.text for p in passages], every_gold),
            citation_hits=list(citation_hits([c.text for c in citations], every_gold)),
        )
        stage_facts = {
            "passages_hold": passages_hold([p.text for p in passages], golds, groups),
            "answer_holds": not refused and holds_gold(answer.text, golds, groups),
            "draft_holds": drafted and holds_gold(draft, golds, groups),
        }
    row["truth"] = truth_value(item.answerable, refused, row["correct"])
    row["stage"] = failure_stage(answerable=item.answerable, refused=refused, correct=row["correct"],
                                 drafted=drafted, fallback=fallback, **stage_facts)
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
    names = [name.format(k=report.get("k", 5)) for name in RATE_METRICS]
    values: dict[str, float | None] = {name: report.get(name) for name in names}
    latency = report.get("latency_ms") or {}
    for name in LATENCY_METRICS:
        values[name] = latency.get(name.split(".", 1)[1])
    return values


def kind_values(report: Mapping[str, Any]) -> dict[str, float | None]:
    """The per-kind figures as `per_kind.<kind>.<metric>` names (the form thresholds use)."""
    return {f"per_kind.{kind}.{metric}": figures.get(metric)
            for kind, figures in (report.get("per_kind") or {}).items() for metric in KIND_METRICS}


def _is_count(name: str) -> bool:
    return name.startswith("failure_stages.") or name.endswith(".n")


def _fmt(name: str, value: float | None) -> str:
    if value is None:
        return "n/a"
    if _is_count(name):
        return str(int(value))
    return f"{value:.1f}" if name in LATENCY_METRICS else f"{value:.3f}"


def _fmt_interval(interval: Sequence[float] | None) -> str:
    return "n/a" if not interval else f"[{interval[0]:.3f}, {interval[1]:.3f}]"


def _header(report: Mapping[str, Any]) -> str:
    counts = ""
    if "n_answerable" in report:
        counts = f" ({report['n_answerable']} answerable, {report['n_unanswerable']} unanswerable)"
    return f"llm={report.get('llm', '?')}  k={report.get('k', '?')}  {report.get('n', '?')} questions{counts}"


def _stages_line(report: Mapping[str, Any]) -> str:
    stages = report.get("failure_stages") or {}
    return "failures by stage: " + ", ".join(f"{stage} {stages.get(stage, 0)}" for stage in STAGES)


def format_table(report: Mapping[str, Any]) -> str:
    """The headline metrics (with the answer-accuracy interval) as an aligned table, then the per-kind
    table and the failures by stage, each block after a blank line."""
    values = metric_values(report)
    cells = [(name, _fmt(name, value)) for name, value in values.items()]
    at = [name for name, _ in cells].index("answer_accuracy") + 1
    cells.insert(at, ("answer_accuracy_ci95", _fmt_interval(report.get("answer_accuracy_ci95"))))
    width = max(len(name) for name, _ in cells)
    lines = [_header(report), f"{'metric':<{width}}  value", f"{'-' * width}  -----"]
    lines += [f"{name:<{width}}  {text}" for name, text in cells]
    kinds = report.get("per_kind") or {}
    if kinds:
        kw = max(len("kind"), *(len(kind) for kind in kinds))
        lines += ["", f"{'kind':<{kw}}  {'n':>4}  {'accuracy':>8}  {'refusal':>8}  {'truth':>8}",
                  f"{'-' * kw}  {'-' * 4}  {'-' * 8}  {'-' * 8}  {'-' * 8}"]
        for kind, fig in kinds.items():
            lines.append(f"{kind:<{kw}}  {fig['n']:>4}  {_fmt('', fig.get('answer_accuracy')):>8}  "
                         f"{_fmt('', fig.get('refusal_accuracy')):>8}  {_fmt('', fig.get('truth_score')):>8}")
    if "failure_stages" in report:
        lines += ["", _stages_line(report)]
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
.stage { font-weight: bold; }
"""
_BLUE, _ORANGE, _GREEN, _PURPLE = "#3a7bd5", "#e08a2c", "#3a9d5d", "#7b4fb8"


def _esc(value: Any) -> str:
    return html.escape(str(value), quote=True)


def render_html(report: Mapping[str, Any]) -> str:
    """A self-contained HTML page: the metrics as inline SVG bars and a table, the per-kind bars and
    table, the failures by stage, then the failed questions with the stage where each went wrong."""
    rows = report.get("per_question", [])
    failed = [row for row in rows if row.get("failed")]
    values = metric_values(report)
    kinds = report.get("per_kind") or {}
    return "\n".join([
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>newsrag eval: {_esc(report['llm'])}</title>",
        f"<style>{_STYLE}</style></head><body>",
        "<h1>newsrag eval report</h1>",
        f"<p>{_esc(_header(report))}</p>",
        _svg_chart(values),
        _metrics_table(values, report.get("answer_accuracy_ci95")),
        *(["<h2>By kind of question</h2>", _svg_kinds(kinds), _kinds_table(kinds)] if kinds else []),
        *([f"<p>{_esc(_stages_line(report))}</p>"] if "failure_stages" in report else []),
        f"<h2>Failed questions ({len(failed)} of {len(rows)})</h2>",
        _questions_table(failed) if failed else "<p>None.</p>",
        "</body></html>",
    ])


def _bar(x: float, y: float, width: float, value: float | None, colour: str, signed: bool) -> str:
    """One bar on a grey track `width` wide: 0..1 from the left, or -1..1 from the middle when signed."""
    parts = [f'<rect x="{x}" y="{y}" width="{width}" height="14" fill="#eee"/>']
    if value is None:
        return "".join(parts)
    if signed:
        half = width / 2
        size = min(1.0, abs(value)) * half
        start = x + half if value >= 0 else x + half - size
        parts.append(f'<rect x="{start:.1f}" y="{y}" width="{size:.1f}" height="14" fill="{colour}"/>')
        parts.append(f'<line x1="{x + half}" y1="{y - 2}" x2="{x + half}" y2="{y + 16}" stroke="#666"/>')
    else:
        parts.append(f'<rect x="{x}" y="{y}" width="{max(0.0, min(1.0, value)) * width:.1f}" height="14" '
                     f'fill="{colour}"/>')
    return "".join(parts)


def _svg_open(width: float, height: float, label: str) -> str:
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" role="img" '
            f'aria-label="{_esc(label)}" font-family="sans-serif" font-size="13">')


def _svg_chart(values: Mapping[str, float | None]) -> str:
    """Horizontal bars for the rate metrics (truth_score from the middle); lower-is-better ones in orange."""
    rates = [(name, value) for name, value in values.items() if name not in LATENCY_METRICS]
    label_w, bar_w, row_h = 210, 400, 26
    parts = [_svg_open(label_w + bar_w + 70, row_h * len(rates) + 10, "metrics bar chart")]
    for i, (name, value) in enumerate(rates):
        y = 5 + i * row_h
        colour = _ORANGE if name in LOWER_IS_BETTER else _PURPLE if name in SIGNED_METRICS else _BLUE
        parts.append(f'<text x="0" y="{y + 16}">{_esc(name)}</text>')
        parts.append(_bar(label_w, y + 4, bar_w, value, colour, name in SIGNED_METRICS))
        parts.append(f'<text x="{label_w + bar_w + 6}" y="{y + 16}">{_esc(_fmt(name, value))}</text>')
    parts.append("</svg>")
    return "".join(parts)


def _svg_kinds(kinds: Mapping[str, Mapping[str, Any]]) -> str:
    """Per kind, three bars: answer accuracy (blue), refusal accuracy (green), truth score (purple, -1..1)."""
    label_w, bar_w, value_w = 170, 260, 60
    series = (("answer_accuracy", _BLUE, False), ("refusal_accuracy", _GREEN, False), ("truth_score", _PURPLE, True))
    row_h = 18 * len(series) + 10
    width = label_w + bar_w + value_w
    parts = [_svg_open(width, 26 + row_h * len(kinds), "per-kind bar chart")]
    for j, (metric, colour, _) in enumerate(series):
        parts.append(f'<rect x="{label_w + j * 110}" y="4" width="12" height="12" fill="{colour}"/>')
        parts.append(f'<text x="{label_w + j * 110 + 16}" y="15">{metric.split("_")[0]}</text>')
    for i, (kind, figures) in enumerate(kinds.items()):
        top = 26 + i * row_h
        parts.append(f'<text x="0" y="{top + 24}">{_esc(kind)} (n={_esc(figures.get("n", 0))})</text>')
        for j, (metric, colour, signed) in enumerate(series):
            y = top + j * 18
            value = figures.get(metric)
            parts.append(_bar(label_w, y, bar_w, value, colour, signed))
            parts.append(f'<text x="{label_w + bar_w + 6}" y="{y + 12}">{_esc(_fmt(metric, value))}</text>')
    parts.append("</svg>")
    return "".join(parts)


def _metrics_table(values: Mapping[str, float | None], interval: Sequence[float] | None = None) -> str:
    body = "".join(
        f'<tr><td>{_esc(name)}</td><td class="num">{_esc(_fmt(name, value))}</td></tr>'
        for name, value in values.items()
    )
    body += f'<tr><td>answer_accuracy_ci95</td><td class="num">{_esc(_fmt_interval(interval))}</td></tr>'
    return f"<table><tr><th>metric</th><th>value</th></tr>{body}</table>"


def _kinds_table(kinds: Mapping[str, Mapping[str, Any]]) -> str:
    head = "".join(f"<th>{h}</th>" for h in ("kind", "n", "answer accuracy", "refusal accuracy", "truth score"))
    body = "".join(
        f"<tr><td>{_esc(kind)}</td><td class=\"num\">{_esc(fig.get('n', 0))}</td>"
        + "".join(f'<td class="num">{_esc(_fmt(m, fig.get(m)))}</td>' for m in KIND_METRICS)
        + "</tr>"
        for kind, fig in kinds.items()
    )
    return f"<table><tr>{head}</tr>{body}</table>"


def _questions_table(rows: Sequence[Mapping[str, Any]]) -> str:
    head = "".join(f"<th>{h}</th>" for h in (
        "id", "kind", "question", "answer", "expected", "stage", "refused", "fallback", "cited", "failed", "ms"))
    body = "".join(_question_row(row) for row in rows)
    return f"<table><tr>{head}</tr>{body}</table>"


def _expected(row: Mapping[str, Any]) -> str:
    parts = []
    if row.get("gold_answers"):
        parts.append(" | ".join(row["gold_answers"]))
    if row.get("gold_answers_all"):
        parts.append("all of: " + "; ".join(" | ".join(group) for group in row["gold_answers_all"]))
    return " and ".join(parts) or "(refusal)"


def _question_row(row: Mapping[str, Any]) -> str:
    history = "".join(f"<div><i>{_esc(role)}:</i> {_esc(text)}</div>" for role, text in row.get("history", []))
    cells = [
        _esc(row["id"]),
        _esc(row.get("kind") or ""),
        history + _esc(row["question"]),
        _esc(row["answer"]),
        _esc(_expected(row)),
        f'<span class="stage">{_esc(row.get("stage") or "")}</span>',
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
    if _is_count(name):
        delta = int(after) - int(before)
        if name.endswith(".n"):
            return (f"{delta:+d}", "") if delta else ("", "")
        return f"{delta:+d}", "same" if delta == 0 else "better" if delta < 0 else "worse"
    # Compared at the precision shown, so float noise never reads as a change.
    delta = round(after - before, 1 if name in LATENCY_METRICS else 3) + 0.0
    change = f"{delta:+.1f}" if name in LATENCY_METRICS else f"{delta:+.3f}"
    if delta == 0:
        return change, "same"
    improved = delta < 0 if name in LOWER_IS_BETTER else delta > 0
    return change, "better" if improved else "worse"


def _compare_values(report: Mapping[str, Any]) -> dict[str, float | None]:
    """Every figure compare_reports diffs: headline metrics, per-kind n and metrics, failures by stage."""
    values = dict(metric_values(report))
    for kind, figures in (report.get("per_kind") or {}).items():
        values[f"per_kind.{kind}.n"] = figures.get("n")
        values.update({f"per_kind.{kind}.{metric}": figures.get(metric) for metric in KIND_METRICS})
    if "failure_stages" in report:
        values.update({f"failure_stages.{stage}": report["failure_stages"].get(stage, 0) for stage in STAGES})
    return values


def compare_reports(a: Mapping[str, Any], b: Mapping[str, Any]) -> str:
    """Changes from report A to report B: headline metrics (truth_score first), the answer-accuracy
    intervals, per-kind figures (`per_kind.<kind>.<metric>`), failures by stage, then the questions
    fixed and broken."""
    values_a, values_b = _compare_values(a), _compare_values(b)
    names = list(dict.fromkeys([*values_a, *values_b]))
    width = max(len(name) for name in [*names, "answer_accuracy_ci95"])
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
        if name == "answer_accuracy":
            lines.append(f"{'answer_accuracy_ci95':<{width}}  {_fmt_interval(a.get('answer_accuracy_ci95'))} -> "
                         f"{_fmt_interval(b.get('answer_accuracy_ci95'))}")
    return "\n".join(lines + _question_changes(a, b))


def _question_changes(a: Mapping[str, Any], b: Mapping[str, Any]) -> list[str]:
    rows_a = {row["id"]: row for row in a.get("per_question", [])}
    rows_b = {row["id"]: row for row in b.get("per_question", [])}
    common = [qid for qid in rows_a if qid in rows_b]
    fixed = [f"{qid} (was {_why(rows_a[qid])})"
             for qid in common if rows_a[qid]["failed"] and not rows_b[qid]["failed"]]
    broke = [f"{qid} ({_why(rows_b[qid])})"
             for qid in common if not rows_a[qid]["failed"] and rows_b[qid]["failed"]]
    lines = [f"fixed ({len(fixed)}): {'; '.join(fixed) or '-'}", f"broke ({len(broke)}): {'; '.join(broke) or '-'}"]
    only_a = [qid for qid in rows_a if qid not in rows_b]
    only_b = [qid for qid in rows_b if qid not in rows_a]
    if only_a:
        lines.append(f"only in A ({len(only_a)}): {', '.join(only_a)}")
    if only_b:
        lines.append(f"only in B ({len(only_b)}): {', '.join(only_b)}")
    return lines


def _why(row: Mapping[str, Any]) -> str:
    """The metrics a question failed, and the stage where it went wrong when there is one."""
    failed = ", ".join(row["failed"])
    return f"{failed}; stage {row['stage']}" if row.get("stage") else failed


def check_thresholds(report: Mapping[str, Any], thresholds: Mapping[str, float]) -> list[str]:
    """The thresholds the report misses, one line each; empty when all are met.

    Names are the headline metrics (truth_score among them) and
    `per_kind.<kind>.<metric>` for answer_accuracy, refusal_accuracy and
    truth_score of one kind. Thresholds are minimums, except maximums for
    false_refusal_rate, fallback_rate and the latencies (`latency_ms.p50`,
    `latency_ms.p95`). A metric this run did not measure (None, such as
    fallback_rate with the extractive backend, or a kind with no questions
    in this gold set) is skipped. An unknown metric name or a limit that is
    not a number raises ValueError.
    """
    values = {**metric_values(report), **kind_values(report)}
    failures = []
    for name, limit in thresholds.items():
        _check_threshold_entry(name, limit, values, report["k"])
        value = values.get(name)
        if value is None:
            continue
        if name in LOWER_IS_BETTER and value > limit:
            failures.append(f"{name} {_fmt(name, value)} is above the maximum {limit}")
        elif name not in LOWER_IS_BETTER and value < limit:
            failures.append(f"{name} {_fmt(name, value)} is below the minimum {limit}")
    return failures


def check_threshold_names(thresholds: Mapping[str, Any], k: int) -> None:
    """Raise ValueError for an unknown metric name or a limit that is not a number, before any run."""
    names = dict.fromkeys([*(name.format(k=k) for name in RATE_METRICS), *LATENCY_METRICS])
    for name, limit in thresholds.items():
        _check_threshold_entry(name, limit, names, k)


def _check_threshold_entry(name: str, limit: Any, values: Mapping[str, Any], k: int) -> None:
    if name.startswith("per_kind."):
        kind, _, metric = name[len("per_kind."):].rpartition(".")
        if kind not in (*KINDS, NO_KIND):
            raise ValueError(f"unknown kind {kind!r} in threshold {name!r}; kinds: {', '.join(KINDS)}")
        if metric not in KIND_METRICS:
            raise ValueError(f"unknown per-kind metric {metric!r} in threshold {name!r}; "
                             f"per-kind metrics: {', '.join(KIND_METRICS)}")
    elif name not in values:
        if re.fullmatch(r"retrieval_recall_at_\d+", name):
            raise ValueError(f"threshold {name!r} does not match this run, which measured retrieval_recall_at_{k}")
        known = [n for n in values if not n.startswith("per_kind.")]
        raise ValueError(f"unknown metric {name!r} in thresholds; known: {', '.join(known)}, "
                         "per_kind.<kind>.<metric>")
    if isinstance(limit, bool) or not isinstance(limit, (int, float)):
        raise ValueError(f"threshold for {name!r} must be a number, got {limit!r}")
