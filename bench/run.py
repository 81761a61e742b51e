"""`newsrag bench`: run every benchmark once, in an order that keeps them fair, and report.

Order: load the embedding model; index the seeds (repeated); on the seeds store
time retrieval and extractive answers and score quality against the tutorial
pipeline; the local LLM; cold starts; concurrent chat clients; the seeds in an
embedded store and in a Chroma server, side by side; then the synthetic corpus
(indexed once, its vectors kept) and the bigger stores written from those vectors.
Memory-sensitive figures come before the big stores fill the process.
Everything is built under a temporary folder that is removed at the end; the
user's own store is never touched. `--quick` uses tiny sizes, one pass and skips
the 100k store, the local LLM, cold starts and the store kinds (a smoke run in
well under a minute).
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import gc
import json
import os
import platform
import resource
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from .measure import PeakRSS, Stopwatch, median

PROJECT_ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Plan:
    synthetic_chunks: int          # embedded and indexed once
    store_sizes: tuple[int, ...]   # stores measured beyond the seeds
    passes: int                    # retrieval passes over the questions per store
    seed_index_runs: int
    questions: int | None          # gold questions used for retrieval latency (None: all)
    answer_questions: int          # of those, the ones answered (twice: new passages, seen) per store
    local_questions: int           # 0 skips the local LLM
    cold_runs: int                 # 0 skips cold starts
    load_clients: int
    load_per_client: int
    load_limit_s: float


FULL = Plan(10_000, (1_000, 10_000, 100_000), 2, 3, None, 30, 8, 2, 20, 3, 120.0)
QUICK = Plan(100, (100, 1_000), 1, 1, 8, 3, 0, 0, 4, 2, 30.0)


def label(n: int) -> str:
    return f"{n // 1000}k" if n >= 1000 and n % 1000 == 0 else str(n)


class Progress:
    """One bar over the bench's steps; the current step's inner count shows beside it."""

    def __init__(self, total: int):
        from tqdm import tqdm

        self.bar = tqdm(total=total, desc="bench", unit="step", file=sys.stderr, dynamic_ncols=True)
        self.seconds: dict[str, float] = {}     # how long each step took
        self._what, self._t0 = "", time.perf_counter()

    def step(self, what: str):
        self._what, self._t0 = what, time.perf_counter()
        self.bar.set_description(what)
        self.bar.set_postfix_str("")

    def done(self):
        self.seconds[self._what] = round(time.perf_counter() - self._t0, 1)
        self.bar.update(1)

    def counter(self, total: int, unit: str = ""):
        seen = [0]

        def tick(n: int = 1):
            seen[0] += n
            self.bar.set_postfix_str(f"{seen[0]}/{total}{unit}", refresh=True)
        return tick

    def close(self):
        self.bar.close()


def run(args, settings, gold) -> int:
    """Run every benchmark with `settings` over the gold set `gold` (a `scale.Gold`, which the
    caller builds from `evals`: `ui.cli.bench_gold()`)."""
    from rag.errors import NewsragError

    plan = QUICK if getattr(args, "quick", False) else FULL
    report_path = Path(args.report) if getattr(args, "report", None) else None
    if report_path is not None and report_path.suffix != ".json":
        raise NewsragError(f"--report {report_path}: give a .json file name (the chart goes beside it as .png)")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
    source = settings.source_path()
    if not source.is_dir():
        raise NewsragError(f"source folder {source} does not exist: pass --source DIR")
    started = time.perf_counter()
    report: dict = {
        "quick": plan is QUICK, "started": dt.datetime.now().isoformat(timespec="seconds"),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform(),
                    "load_avg_start": [round(x, 2) for x in os.getloadavg()]},
        "settings": {"k": settings.k, "chunk_size": settings.chunk_size, "chunk_overlap": settings.chunk_overlap,
                     "context_sentences": settings.context_sentences, "threads": settings.threads,
                     "source": str(source)},
        "plan": plan.__dict__,
    }
    steps = 9 + len(plan.store_sizes)
    progress = Progress(steps)
    try:
        with tempfile.TemporaryDirectory(prefix="newsrag-bench-") as tmp:
            _run(plan, settings, source, gold, Path(tmp), report, progress)
    finally:
        progress.close()
    report["machine"]["load_avg_end"] = [round(x, 2) for x in os.getloadavg()]
    report["machine"]["max_rss_mb_whole_run"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1000, 1)
    report["duration_s"] = round(time.perf_counter() - started, 1)
    report["step_seconds"] = progress.seconds

    from .report import attach_targets, format_table, ratios, write_chart

    report["ratios"] = ratios(report)
    attach_targets(report)
    print(format_table(report))
    if report_path is not None:
        report_path.parent.mkdir(parents=True, exist_ok=True)
        report_path.write_text(json.dumps(report, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
        chart = write_chart(report, report_path.with_suffix(".png"))
        print(f"\nreport: {report_path}\nchart:  {chart}")
    return 0


def _run(plan: Plan, settings, source: Path, gold, tmp: Path, report: dict, progress: Progress):
    from index.embed import MiniLM
    from index.indexer import embed_text, index_folder
    from index.store import open_store
    from rag.errors import NewsragError

    from . import answering, corpus, load, quality, scale, stores

    questions = gold.questions[:plan.questions] if plan.questions else list(gold.questions)
    gold = dataclasses.replace(gold, questions=questions)
    size, overlap, collection = settings.chunk_size, settings.chunk_overlap, settings.collection

    progress.step("loading the embedding model")
    embedder = MiniLM.shared()
    with Stopwatch() as sw:
        embedder.warm_up()
        embedder.embed_query("warm up")
    report["embedder_load_s"] = round(sw.s, 2)
    import chromadb  # noqa: F401  (imported once here, so no timed step pays for the import)

    seed_texts = [embed_text(c) for c in corpus.chunks_of(source, size=size, overlap=overlap)]
    docs, queries = (8, 5) if plan is QUICK else (len(seed_texts), 20)
    report["embedder"] = {"load_s": round(sw.s, 2),
                          **scale.embedder_figures(embedder, seed_texts[:docs], [q.question for q in questions[:queries]])}
    progress.done()

    # -- indexing the seeds ---------------------------------------------------------------------
    progress.step("indexing the seeds")
    seeds_dir = tmp / "seeds-store"
    seeds_store = open_store(f"chroma:{seeds_dir}", collection)
    runs, tick = [], progress.counter(plan.seed_index_runs, " runs")
    with PeakRSS() as peak:
        for _ in range(plan.seed_index_runs):
            with Stopwatch() as sw:
                r = index_folder(source, seeds_store, embedder, size=size, overlap=overlap, rebuild=True,
                                 progress=False)
            runs.append((r.chunks_written, sw.s, r.added, r.sentences_written))
            tick()
    seconds = median(s for _, s, _, _ in runs)
    report["indexing"] = {"seeds": {"articles": runs[0][2], "chunks": runs[0][0], "runs": len(runs),
                                    "sentence_units": runs[0][3],
                                    "seconds": seconds, "chunks_per_s": round(runs[0][0] / seconds, 1),
                                    "peak_rss_mb": round(peak.peak_mb, 1)}}
    progress.done()

    # -- the seeds store: latency and quality ---------------------------------------------------
    progress.step("seeds: retrieval and answers")
    engine = scale.open_engine(settings, seeds_dir, source, embedder)
    row, answers = _measure_store(engine, plan, questions, progress, label="seeds", store_build_s=seconds,
                                  store_build_how="indexed (median of runs)")
    report["scale"] = [row]
    progress.done()

    progress.step("quality: newsrag vs the tutorial pipeline")
    for q in questions:   # the answers not timed above, for recall over the whole gold set
        if q.id not in answers:
            answers[q.id] = engine.ask(q.question, history=list(q.history) or None)
    report["quality"] = {"newsrag": quality.newsrag_quality(engine, gold, answers),
                         "tutorial": quality.tutorial_quality(source, embedder, gold, tmp)}
    progress.done()

    # -- the local LLM --------------------------------------------------------------------------
    progress.step("local LLM")
    if plan.local_questions:
        picked = [q for q in questions if q.answerable and not q.history][:plan.local_questions]
        try:
            report["local"] = answering.local_answers(settings, seeds_dir, source, embedder, picked,
                                                      progress.counter(len(picked), " answers"))
        except NewsragError as exc:
            report["local"] = {"skipped": f"the local LLM could not run: {exc}"}
    else:
        report["local"] = {"skipped": "skipped with --quick"}
    gc.collect()
    progress.done()

    progress.step("cold starts")
    if plan.cold_runs:
        report["cold_start"] = {
            llm: answering.cold_start(llm, seeds_dir, source, questions[0].question, plan.cold_runs, PROJECT_ROOT,
                                      collection)
            for llm in ("extractive", "local")}
    else:
        report["cold_start"] = {"skipped": "skipped with --quick"}
    progress.done()

    memory = {"indexing_seeds_peak_rss_mb": report["indexing"]["seeds"]["peak_rss_mb"]}
    cold_local = (report["cold_start"].get("local") or {}).get("peak_rss_mb")
    in_process = (report["local"] or {}).get("rss_after_warm_up_and_one_answer_mb")
    memory["local_rss_mb"] = cold_local or in_process
    memory["local_rss_how"] = ("peak RSS of a `newsrag ask --llm local` process (loads everything, answers once)"
                               if cold_local else "RSS of this process after warm_up and one local answer"
                               if in_process else "not measured")
    memory["local_in_process_rss_mb"] = in_process
    memory["extractive_process_peak_rss_mb"] = (report["cold_start"].get("extractive") or {}).get("peak_rss_mb")
    report["memory"] = memory

    # -- concurrent chat clients ----------------------------------------------------------------
    progress.step("chat page under load")
    total = plan.load_clients * plan.load_per_client
    chat_args = ["--llm", "extractive", "--store", f"chroma:{seeds_dir}", "--source", str(source),
                 "--collection", collection]
    try:
        report["load"] = load.load_test(chat_args, [q.question for q in questions if not q.history],
                                        clients=plan.load_clients, per_client=plan.load_per_client,
                                        limit_s=plan.load_limit_s, log_path=tmp / "chat-page.log",
                                        tick=progress.counter(total, " requests"))
    except Exception as exc:  # the page is another package's; its failure is reported, the bench goes on
        report["load"] = {"skipped": f"the chat page failed under load: {type(exc).__name__}: {exc}"}
    del engine
    gc.collect()
    progress.done()

    # -- the two store kinds --------------------------------------------------------------------
    progress.step("store kinds: embedded vs server")
    if plan is QUICK:
        report["store_kinds"] = {"skipped": "quick"}
    else:
        try:
            report["store_kinds"] = stores.store_kinds(settings, source, embedder, questions, tmp, plan.passes)
        except Exception as exc:  # a server that will not start is reported, the bench goes on
            report["store_kinds"] = {"skipped": f"{type(exc).__name__}: {exc}"}
    gc.collect()
    progress.done()

    # -- the synthetic corpus -------------------------------------------------------------------
    progress.step(f"synthetic corpus: {plan.synthetic_chunks:,} chunks")
    syn_dir = tmp / "synthetic"
    with Stopwatch() as gen:
        made = corpus.write_synthetic(syn_dir, corpus.seed_sentences(source), plan.synthetic_chunks,
                                      size=size, overlap=overlap)
    texts = corpus.texts_of(syn_dir, size=size, overlap=overlap)
    recorder = corpus.RecordingEmbedder(embedder, on_batch=progress.counter(texts, " texts embedded (chunks and sentences)"))
    syn_store_dir = tmp / "store-synthetic"
    with PeakRSS() as peak, Stopwatch() as sw:
        r = index_folder(syn_dir, open_store(f"chroma:{syn_store_dir}", collection), recorder,
                         size=size, overlap=overlap, progress=False)
    report["indexing"]["synthetic"] = {"articles": r.added, "chunks": r.chunks_written, "runs": 1,
                                       "sentence_units": r.sentences_written,
                                       "generate_s": round(gen.s, 2), "seconds": round(sw.s, 2),
                                       "chunks_per_s": round(r.chunks_written / sw.s, 1),
                                       "peak_rss_mb": round(peak.peak_mb, 1)}
    memory["indexing_synthetic_peak_rss_mb"] = round(peak.peak_mb, 1)
    chunks = corpus.chunks_of(syn_dir, size=size, overlap=overlap)
    progress.done()

    # -- stores of growing size -----------------------------------------------------------------
    with PeakRSS() as peak:
        for n in plan.store_sizes:
            progress.step(f"store of {label(n)} chunks")
            if n == plan.synthetic_chunks:
                store_dir, build_s, how = syn_store_dir, report["indexing"]["synthetic"]["seconds"], "indexed"
            else:
                store_dir = tmp / f"store-{label(n)}"
                with Stopwatch() as sw:
                    corpus.store_from_vectors(store_dir, corpus.scaled(chunks, n), recorder.vectors, folder=syn_dir,
                                              embedder=embedder, size=size, overlap=overlap, collection=collection,
                                              on_page=progress.counter(n, " chunks written"))
                build_s = round(sw.s, 2)
                how = "written from cached vectors" + (" (texts repeated under other names)" if n > len(chunks) else "")
            engine = scale.open_engine(settings, store_dir, syn_dir, embedder)
            row, _ = _measure_store(engine, plan, questions, progress, label=label(n), store_build_s=build_s,
                                    store_build_how=how)
            report["scale"].append(row)
            del engine
            gc.collect()
            progress.done()
    memory["stores_peak_rss_mb"] = round(peak.peak_mb, 1)


def _measure_store(engine, plan: Plan, questions, progress: Progress, **row) -> tuple[dict, dict]:
    """BM25 build, retrieval latency and extractive answer latency on one store."""
    from . import scale

    row.update(scale.open_and_index_bm25(engine))
    answered = questions[:plan.answer_questions]
    tick = progress.counter(len(questions) * plan.passes + len(answered), " questions")
    row["retrieve_ms"] = scale.time_retrieval(engine, questions, plan.passes, tick)
    row["extractive_ms"], answers = scale.time_extractive(engine, answered, 1, tick)
    return row, answers
