"""The bench report: targets beside figures, ratios, the printed table and the chart.

`TARGETS` are the goals from the benchmarks issue. `attach_targets` finds each
figure in the report, writes its target and whether it was met next to it
(`p50` gets `p50_target` and `p50_met`) and gathers them into `report["targets"]`.
A figure that was not measured (a skipped section) has met = None.
"""
from __future__ import annotations

import json
from pathlib import Path

from .measure import Target

MS, S, RATE, MB = "ms", "s", "chunks/s", "MB"


def _scale(label: str, *keys: str):
    def get(report):
        row = next((r for r in report.get("scale", []) if r.get("label") == label), None)
        return _dig(row, keys)
    return get


def _path(*keys: str):
    return lambda report: _dig(report, keys)


def _dig(obj, keys):
    """(parent dict, key) of the figure at `keys`, or (None, last key) when absent."""
    for key in keys[:-1]:
        obj = obj.get(key) if isinstance(obj, dict) else None
    return (obj if isinstance(obj, dict) else None), keys[-1]


# (name, where the figure lives, target); a callable limit is read from the report.
TARGETS = [     # the speed issue's targets
    ("retrieval p50, seeds", _scale("seeds", "retrieve_ms", "p50"), Target("<=", 25, MS)),
    ("retrieval p50, 100k chunks", _scale("100k", "retrieve_ms", "p50"), Target("<=", 50, MS)),
    ("retrieval p95, 100k chunks", _scale("100k", "retrieve_ms", "p95"), Target("<=", 150, MS)),
    ("retrieval p50, newsrag over the tutorial pipeline", _path("ratios", "newsrag_retrieve_over_tutorial_retrieve_p50"),
     Target("<=", 1.0, "x")),
    ("extractive answer p50, seeds, passages seen before", _scale("seeds", "extractive_ms", "seen_passages", "p50"),
     Target("<=", 60, MS)),
    ("extractive answer p50, seeds, passages new to engine", _scale("seeds", "extractive_ms", "new_passages", "p50"),
     Target("<=", 60, MS)),
    ("extractive answer p50, 10k chunks, passages new", _scale("10k", "extractive_ms", "new_passages", "p50"),
     Target("<=", 60, MS)),
    ("extractive answer p50, 100k chunks, passages new", _scale("100k", "extractive_ms", "new_passages", "p50"),
     Target("<=", 60, MS)),
    ("local first token p50", _path("local", "first_token_s", "p50"), Target("<=", 1.5, S)),
    ("local whole answer p50", _path("local", "total_s", "p50"), Target("<=", 6, S)),
    ("cold start `newsrag ask`, local", _path("cold_start", "local", "seconds"), Target("<=", 8, S)),
    ("cold start `newsrag ask`, extractive", _path("cold_start", "extractive", "seconds"), Target("<=", 5, S)),
    ("indexing, seeds", _path("indexing", "seeds", "chunks_per_s"), Target(">=", 150, RATE)),
    ("indexing, synthetic corpus", _path("indexing", "synthetic", "chunks_per_s"), Target(">=", 150, RATE)),
    ("RSS with local loaded", _path("memory", "local_rss_mb"), Target("<=", 1200, MB)),
]


def attach_targets(report: dict) -> list[dict]:
    rows = []
    for name, where, target in TARGETS:
        parent, key = where(report)
        value = parent.get(key) if parent else None
        met = target.met(value)
        if parent is not None:
            parent[f"{key}_target"], parent[f"{key}_met"] = str(target), met
        rows.append({"name": name, "value": value, "unit": target.unit, "target": str(target), "met": met})
    quality = report.get("quality") or {}
    ours, theirs = quality.get("newsrag") or {}, quality.get("tutorial") or {}
    for name, mine, other, op, unit in (
            ("recall: newsrag@5 vs tutorial@4", "recall_at_5", "recall_at_4", ">", ""),
            ("LLM context: newsrag vs tutorial (mean chars)", "context_chars_mean", "context_chars_mean", "<", "chars")):
        value, limit = ours.get(mine), theirs.get(other)
        met = None if value is None or limit is None else Target(op, limit, unit).met(value)
        if ours:
            ours[f"{mine}_target"], ours[f"{mine}_met"] = f"{op} tutorial's {limit}", met
        rows.append({"name": name, "value": value, "unit": unit, "target": f"{op} {limit} (tutorial)", "met": met})
    report["targets"] = rows
    return rows


def ratios(report: dict) -> dict:
    """Comparisons as ratios of figures measured in the same run."""
    scale = {r["label"]: r for r in report.get("scale", [])}
    seeds = scale.get("seeds", {})
    out: dict = {}

    def ratio(a, b):
        return round(a / b, 2) if isinstance(a, (int, float)) and isinstance(b, (int, float)) and b else None

    base = (seeds.get("retrieve_ms") or {}).get("p50")
    out["retrieve_p50_vs_seeds"] = {label: ratio((r.get("retrieve_ms") or {}).get("p50"), base)
                                    for label, r in scale.items() if label != "seeds"}
    seen = ((seeds.get("extractive_ms") or {}).get("seen_passages") or {}).get("p50")
    out["extractive_seen_p50_over_retrieve_p50_seeds"] = ratio(seen, base)
    out["extractive_new_over_seen_p50"] = {
        label: ratio(((r.get("extractive_ms") or {}).get("new_passages") or {}).get("p50"),
                     ((r.get("extractive_ms") or {}).get("seen_passages") or {}).get("p50")) for label, r in scale.items()}
    q = report.get("quality") or {}
    tut = (q.get("tutorial") or {})
    out["newsrag_retrieve_over_tutorial_retrieve_p50"] = ratio(base, (tut.get("retrieve_ms") or {}).get("p50"))
    out["newsrag_context_over_tutorial_context"] = ratio((q.get("newsrag") or {}).get("context_chars_mean"),
                                                         tut.get("context_chars_mean"))
    idx = report.get("indexing") or {}
    # the same folder indexed both ways (newsrag also embeds each passage sentence and saves BM25)
    out["newsrag_index_over_tutorial_index_seconds"] = ratio((idx.get("seeds") or {}).get("seconds"),
                                                             tut.get("build_s"))
    out["synthetic_over_seeds_indexing_rate"] = ratio((idx.get("synthetic") or {}).get("chunks_per_s"),
                                                      (idx.get("seeds") or {}).get("chunks_per_s"))
    cold = report.get("cold_start") or {}
    out["cold_start_local_over_extractive"] = ratio((cold.get("local") or {}).get("seconds"),
                                                    (cold.get("extractive") or {}).get("seconds"))
    out["rss_local_over_extractive_process"] = ratio((cold.get("local") or {}).get("peak_rss_mb"),
                                                     (cold.get("extractive") or {}).get("peak_rss_mb"))
    load = report.get("load") or {}
    out["load_p95_over_single_extractive_seen_p50"] = ratio((load.get("latency_ms") or {}).get("p95"), seen)
    return out


# -- the printed table --------------------------------------------------------------------------------
def _fmt(value, unit: str = "") -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        text = f"{value:,.0f}" if abs(value) >= 100 else f"{value:.2f}" if abs(value) < 10 else f"{value:.1f}"
    else:
        text = f"{value:,}" if isinstance(value, int) else str(value)
    return f"{text} {unit}".strip()


def _table(headers: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(headers)]
    line = "  ".join(h.ljust(w) for h, w in zip(headers, widths))
    out = [line, "  ".join("-" * w for w in widths)]
    out += ["  ".join(c.ljust(w) for c, w in zip(r, widths)) for r in rows]
    return "\n".join(out)


def format_table(report: dict) -> str:
    parts = []
    m = report.get("machine", {})
    parts.append(f"newsrag bench{' --quick' if report.get('quick') else ''}: {m.get('cpus')} cpus, load average "
                 f"{m.get('load_avg_start')} at start, {m.get('load_avg_end')} at end; "
                 f"{report.get('duration_s', 0):.0f}s in all")
    rows = []
    for t in report.get("targets", []):
        mark = {True: "met", False: "MISSED", None: "not measured"}[t["met"]]
        rows.append([t["name"], _fmt(t["value"], t["unit"]), t["target"], mark])
    parts.append("\nTargets\n" + _table(["figure", "value", "target", ""], rows))
    rows = []
    for r in report.get("scale", []):
        ret, ext = r.get("retrieve_ms") or {}, r.get("extractive_ms") or {}
        seen, new = ext.get("seen_passages") or {}, ext.get("new_passages") or {}
        rows.append([r["label"], _fmt(r.get("chunks")), _fmt(r.get("store_build_s"), "s"),
                     _fmt(r.get("bm25_first_use_s"), "s"), _fmt(r.get("bm25_build_s"), "s"),
                     _fmt(r.get("bm25_load_s"), "s"),
                     _fmt(r.get("first_query_ms"), "ms"), _fmt(ret.get("p50"), "ms"), _fmt(ret.get("p95"), "ms"),
                     _fmt(ret.get("per_s"), "/s"), _fmt(seen.get("p50"), "ms"), _fmt(seen.get("p95"), "ms"),
                     _fmt(new.get("p50"), "ms")])
    parts.append("\nScale (retr = hybrid retriever, query embedding included; extr = Engine.ask extractive, passages "
                 "seen before / new to the engine)\n" + _table(
                     ["store", "chunks", "build", "bm25 1st use", "bm25 build", "bm25 load", "1st query",
                      "retr p50", "retr p95",
                      "retr rate", "extr p50 seen", "extr p95 seen", "extr p50 new"], rows))
    rows = [[r["label"]] + [_fmt(((r.get("retrieve_ms") or {}).get(f"legs_ms_{stat}") or {}).get(leg), "ms")
                            for leg in ("embed_query", "chroma_query", "bm25_search") for stat in ("p50", "p95")]
            for r in report.get("scale", []) if (r.get("retrieve_ms") or {}).get("legs_ms_p50")]
    if rows:
        parts.append("Retrieval legs on their own\n" + _table(
            ["store", "embed p50", "embed p95", "chroma p50", "chroma p95", "bm25 p50", "bm25 p95"], rows))
    e = report.get("embedder") or {}
    if e:
        parts.append(f"Embedding model alone ({e.get('runtime') or 'torch'}): {_fmt(e.get('docs_per_s'), 'chunks/s')} embedded; query p50 "
                     f"{_fmt((e.get('query_ms') or {}).get('p50'), 'ms')} with torch's {e.get('torch_threads')} threads, "
                     f"{_fmt((e.get('query_ms_1_thread') or {}).get('p50'), 'ms')} with 1 thread")
    idx = report.get("indexing") or {}
    rows = [[name, _fmt(v.get("articles")), _fmt(v.get("chunks")), _fmt(v.get("seconds"), "s"),
             _fmt(v.get("chunks_per_s"), "chunks/s"), _fmt(v.get("peak_rss_mb"), "MB")]
            for name, v in idx.items() if isinstance(v, dict)]
    parts.append(f"\nIndexing (embedding model loaded once beforehand in {_fmt(report.get('embedder_load_s'), 's')})\n"
                 + _table(["corpus", "articles", "chunks", "time", "rate", "peak RSS"], rows))
    q = report.get("quality") or {}
    if q.get("newsrag") and q.get("tutorial"):
        n, t = q["newsrag"], q["tutorial"]
        rows = [["newsrag (hybrid, k=5)", _fmt(n.get("recall_at_5")), _fmt(n.get("recall_at_4")), _fmt(n.get("mrr")),
                 _fmt(n.get("context_chars_mean"), "chars"), _fmt(n.get("context_recall")),
                 _fmt(n.get("passage_chars_mean"), "chars")],
                ["tutorial (dense, 1000/200, k=4)", "-", _fmt(t.get("recall_at_4")), _fmt(t.get("mrr")),
                 _fmt(t.get("context_chars_mean"), "chars"), _fmt(t.get("recall_at_4")),
                 _fmt(t.get("context_chars_mean"), "chars")]]
        parts.append(f"\nQuality on the gold set ({n.get('answerable')} answerable questions; LLM context = what the "
                     "LLM is handed, mean per call)\n" + _table(
                         ["pipeline", "recall@5", "recall@4", "mrr", "LLM context", "gold in context", "all passages"],
                         rows))
    lo = report.get("local") or {}
    if "skipped" not in lo and lo:
        parts.append(f"\nLocal LLM ({lo.get('llm')}, {lo.get('threads')} threads, {lo.get('questions')} questions, "
                     f"{lo.get('drafted')} drafted, {lo.get('fallbacks')} fell back to quotations): load "
                     f"{_fmt(lo.get('load_s'), 's')}, first token p50 {_fmt(lo['first_token_s'].get('p50'), 's')} "
                     f"p95 {_fmt(lo['first_token_s'].get('p95'), 's')} (retrieval {_fmt(lo.get('retrieve_s_p50'), 's')}, "
                     f"then a {_fmt(lo.get('prompt_tokens_mean'), 'token')} prompt read at "
                     f"{_fmt(lo.get('prefill_tokens_per_s'), 'tokens/s')}), "
                     f"decoding {_fmt(lo.get('tokens_per_s'), 'tokens/s')}, "
                     f"whole answer p50 {_fmt(lo['total_s'].get('p50'), 's')} p95 {_fmt(lo['total_s'].get('p95'), 's')}")
    else:
        parts.append(f"\nLocal LLM: {lo.get('skipped', 'not measured')}")
    cold = report.get("cold_start") or {}
    if "skipped" in cold:
        parts.append(f"Cold start: {cold['skipped']}")
    else:
        for name, c in cold.items():
            parts.append(f"Cold start, {name}: " + (c.get("error") or
                         f"{_fmt(c.get('seconds'), 's')} (runs {c.get('all_s')}), peak RSS {_fmt(c.get('peak_rss_mb'), 'MB')}"))
    load = report.get("load") or {}
    if "skipped" in load:
        parts.append(f"Load: {load['skipped']}")
    else:
        lat = load.get("latency_ms") or {}
        parts.append(f"Load: {load.get('clients')} concurrent chat clients ({load.get('llm')}): "
                     f"{load.get('answered')} answered, {load.get('errors')} errors in {_fmt(load.get('wall_s'), 's')}; "
                     f"{_fmt(load.get('throughput_per_s'), 'answers/s')}, latency p50 {_fmt(lat.get('p50'), 'ms')} "
                     f"p95 {_fmt(lat.get('p95'), 'ms')}")
    kinds = report.get("store_kinds") or {}
    if "skipped" in kinds or not kinds:
        parts.append(f"Store kinds: {kinds.get('skipped', 'not measured')}")
    else:
        emb, srv = kinds["embedded"]["retrieve_ms"], kinds["server"]["retrieve_ms"]
        parts.append(f"Store kinds (Engine.ask's retrieve stage, {emb['n']} questions): embedded p50 "
                     f"{_fmt(emb['p50'], 'ms')} p95 {_fmt(emb['p95'], 'ms')}; server p50 {_fmt(srv['p50'], 'ms')} "
                     f"p95 {_fmt(srv['p95'], 'ms')}; server/embedded p50 {_fmt(kinds['server_over_embedded_p50'])} "
                     f"p95 {_fmt(kinds['server_over_embedded_p95'])}")
    mem = report.get("memory") or {}
    parts.append("Memory: " + ", ".join(f"{k} {_fmt(v, 'MB')}" for k, v in mem.items()
                                        if k.endswith("_mb") and not isinstance(v, dict)))
    parts.append("Ratios: " + json.dumps(report.get("ratios", {})))
    return "\n".join(parts)


# -- the chart ----------------------------------------------------------------------------------------
def write_chart(report: dict, path: Path) -> Path:
    """Latency and throughput against corpus size, both axes log scale."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = [r for r in report.get("scale", []) if r.get("chunks")]
    sizes = [r["chunks"] for r in rows]
    fig, (left, right) = plt.subplots(1, 2, figsize=(12, 4.8))
    def get(r, *keys):
        for k in keys:
            r = (r or {}).get(k)
        return r

    for keys, style, text in ((("retrieve_ms", "p50"), "o-", "retrieval p50"),
                              (("retrieve_ms", "p95"), "o--", "retrieval p95"),
                              (("extractive_ms", "seen_passages", "p50"), "s-", "extractive answer p50 (passages seen)"),
                              (("extractive_ms", "new_passages", "p50"), "s--", "extractive answer p50 (new passages)")):
        left.plot(sizes, [get(r, *keys) for r in rows], style, label=text)
    for y, text in ((30, "p50 target, seeds"), (60, "p50 target, 100k"), (150, "p95 target, 100k"),
                    (100, "extractive p50 target")):
        left.axhline(y, color="grey", lw=0.7, ls=":")
        left.annotate(text, (sizes[0] if sizes else 1, y), fontsize=7, color="grey", va="bottom")
    left.set(xscale="log", yscale="log", xlabel="chunks in the store", ylabel="milliseconds",
             title="Latency against corpus size")
    left.legend(fontsize=8)
    right.plot(sizes, [(r.get("retrieve_ms") or {}).get("per_s") for r in rows], "o-", label="retrievals/s")
    right.plot(sizes, [get(r, "extractive_ms", "seen_passages", "per_s") for r in rows], "s-",
               label="extractive answers/s (passages seen)")
    idx = report.get("indexing") or {}
    pts = [(v["chunks"], v["chunks_per_s"]) for v in idx.values() if isinstance(v, dict) and v.get("chunks_per_s")]
    if pts:
        right.plot([p[0] for p in pts], [p[1] for p in pts], "^", ms=9, label="indexing chunks/s")
    right.axhline(150, color="grey", lw=0.7, ls=":")
    right.annotate("indexing target", (sizes[0] if sizes else 1, 150), fontsize=7, color="grey", va="bottom")
    right.set(xscale="log", yscale="log", xlabel="chunks in the store (or indexed)", ylabel="per second",
              title="Throughput against corpus size (one process, sequential)")
    right.legend(fontsize=8)
    for ax in (left, right):
        ax.grid(True, which="both", alpha=0.3)
    m = report.get("machine", {})
    fig.suptitle(f"newsrag bench{' --quick' if report.get('quick') else ''}: {m.get('cpus')} CPUs, load average "
                 f"{(m.get('load_avg_start') or ['?'])[0]} at start, {(m.get('load_avg_end') or ['?'])[0]} at end",
                 fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
