"""Retrieval and extractive-answer latency on one store, through the engine's own parts.

Retrieval is the engine's hybrid retriever (query embedding, Chroma, BM25, rank
fusion) called as the engine calls it; the extractive answer is `Engine.ask` with
llm="extractive" (retrieval, evidence, quotation). Each timed question is new to
the engine: its memo of query vectors is emptied first, so every figure includes
embedding the query. Extractive answers are timed twice: with passages new to the
engine (their sentences must be embedded for the evidence step) and with passages
it has seen before (their sentence vectors memoised, as in a running engine).
The BM25 leg is saved by the indexer under the store's version: its first use (a
load), a build from the store and a reload are timed on their own, never inside a
query. With passages new to the engine their sentence vectors come from the store
(the indexer made them), not from the embedding model. The memos are emptied
through `Corpus.forget`.

The gold questions and the way to tell whether a text holds a gold answer come from
`evals`, handed in by the caller as a `Gold` (the bench does not import `evals`: the
two are siblings in the layers).
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Sequence

from index import sparse
from index.text import fold
from rag.condense import by_rules, normalize_history

from .measure import Stopwatch, median, summary


@dataclass(frozen=True)
class Question:
    id: str
    question: str
    history: tuple[tuple[str, str], ...]
    answers: tuple[str, ...]
    answerable: bool

    @property
    def search(self) -> str:
        """What the engine searches for (a follow-up is read against its history by rule)."""
        return by_rules(self.question, normalize_history(list(self.history))).search


@dataclass(frozen=True)
class Gold:
    """The gold questions, and `contains(text, answers)`: whether a text holds a gold answer
    (evals.metrics.contains_gold, with its folding of case, accents and numbers)."""

    questions: list[Question]
    contains: Callable[[str, Sequence[str]], bool]

    def first_hit_rank(self, texts: Sequence[str], answers: Sequence[str]) -> int | None:
        """1-based rank of the first text that holds a gold answer, or None."""
        return next((rank for rank, text in enumerate(texts, start=1) if self.contains(text, answers)), None)


def open_engine(settings, store_dir: Path, source: Path, embedder, llm: str = "extractive"):
    """An Engine over an existing store, handed the bench's one loaded embedding model."""
    from rag import Engine

    return Engine(settings.with_(llm=llm, store=f"chroma:{store_dir}", source=str(source)), embedder=embedder)


def forget_queries(engine):
    """Make the next question new to the engine: drop its memo of query vectors."""
    engine.corpus.forget(queries=True)


def forget_sentences(engine):
    """Make every passage new to the engine: drop its memo of passage-sentence vectors."""
    engine.corpus.forget(sentences=True)


def embedder_figures(embedder, texts: list[str], queries: list[str]) -> dict:
    """The embedding model on its own: documents per second, and query latency with
    torch's default intra-op threads and with one (the difference is large on a busy CPU).
    `runtime` is what MiniLM runs in ("onnx" or "torch"); torch's thread count changes
    nothing for the onnx one, whose queries always run on one thread."""
    import torch

    with Stopwatch() as docs:
        embedder.embed_documents(texts)
    threads = torch.get_num_threads()
    out = {"docs": len(texts), "docs_per_s": round(len(texts) / docs.s, 1), "torch_threads": threads,
           "runtime": getattr(embedder, "runtime", None)}
    for key, n in (("query_ms", threads), ("query_ms_1_thread", 1)):
        torch.set_num_threads(n)
        try:
            times = []
            for q in queries:
                with Stopwatch() as sw:
                    embedder.embed_query(q)
                times.append(sw.ms)
        finally:
            torch.set_num_threads(threads)
        out[key] = summary(times)
    return out


def open_and_index_bm25(engine) -> dict:
    """Open the store and time the BM25 leg's first use (the indexer saved it for the store's
    version, so this is a load), then what building it from the store would cost (what a
    question paid before the indexer saved it), then the first dense query."""
    corpus = engine.corpus
    with Stopwatch() as first_use:
        index = corpus.sparse_index()
    saved = sparse.saved_version(engine.store, corpus.cache_dir)
    with Stopwatch() as build:
        sparse.from_store(engine.store, index.version)
    with Stopwatch() as reload:
        sparse.load(engine.store, corpus.cache_dir)
    forget_queries(engine)
    with Stopwatch() as first:
        engine.retriever.invoke("first query after opening the store")
    return {"chunks": index.n, "articles": len({c.meta.get("source") for c in index.chunks}),
            "bm25_build_s": round(build.s, 3), "bm25_load_s": round(reload.s, 3),
            "bm25_first_use_s": round(first_use.s, 3),
            "bm25_saved_by_indexer": saved == index.version,
            "first_query_ms": round(first.ms, 1)}


def time_retrieval(engine, questions: list[Question], passes: int, tick=None) -> dict:
    """Hybrid retrieval latency per question (query embedding included), over `passes` passes;
    then, once over the questions, each leg on its own: embedding the query, the Chroma
    query (as the dense leg makes it: exact in memory for a small store, else ids from
    Chroma's vector index and the chunks from memory) and
    the BM25 search (at the depth the hybrid retriever asks each leg for)."""
    per_pass = []
    for _ in range(passes):
        times = []
        for q in questions:
            search = q.search
            forget_queries(engine)
            with Stopwatch() as sw:
                engine.retriever.invoke(search)
            times.append(sw.ms)
            if tick:
                tick()
        per_pass.append(times)
    out = _pooled(per_pass)
    corpus, depth = engine.corpus, engine.retriever.dense.k
    legs: dict[str, list[float]] = {"embed_query": [], "chroma_query": [], "bm25_search": []}
    index = corpus.sparse_index()
    for q in questions:
        text = fold(q.search)
        with Stopwatch() as embed:
            vector = corpus.embedder.embed_query(text)
        with Stopwatch() as dense:
            corpus.nearest(vector, depth)
        with Stopwatch() as bm25:
            index.search(text, depth)
        for key, sw in (("embed_query", embed), ("chroma_query", dense), ("bm25_search", bm25)):
            legs[key].append(sw.ms)
    out["legs_ms_p50"] = {key: summary(times)["p50"] for key, times in legs.items()}
    out["legs_ms_p95"] = {key: summary(times)["p95"] for key, times in legs.items()}
    return out


def time_extractive(engine, questions: list[Question], passes: int, tick=None) -> tuple[dict, dict]:
    """Extractive answer latency (Engine.ask wall time), each question asked twice in a row:
    first with every passage new to the engine (its memo of sentence vectors emptied, so
    the evidence step embeds the passages' sentences), then again with those passages seen
    before (memoised, as in a running engine); the query is new both times. Returns
    {"new_passages": ..., "seen_passages": ...} and the answers by question id."""
    new, seen, stage, answers = [], [], [], {}
    refused = 0
    for _ in range(passes):
        new_times, seen_times, parts = [], [], []
        refused = 0
        for q in questions:
            history = list(q.history) or None
            forget_queries(engine)
            forget_sentences(engine)
            with Stopwatch() as first:
                engine.ask(q.question, history=history)
            forget_queries(engine)
            with Stopwatch() as again:
                a = engine.ask(q.question, history=history)
            new_times.append(first.ms)
            seen_times.append(again.ms)
            parts.append(a.timings_ms.get("retrieve", 0.0))
            refused += a.refused
            answers[q.id] = a
            if tick:
                tick()
        new.append(new_times)
        seen.append(seen_times)
        stage.append(parts)
    seen_stats = _pooled(seen)
    seen_stats["engine_retrieve_stage_ms_p50"] = median(summary(p)["p50"] for p in stage)
    return {"new_passages": _pooled(new), "seen_passages": seen_stats, "refused": refused}, answers


def _pooled(per_pass: list[list[float]]) -> dict:
    """p50 and p95 of each pass, then the median over passes; plus sequential throughput."""
    stats = [summary(times) for times in per_pass]
    total_s = sum(sum(times) for times in per_pass) / 1000.0
    n = sum(len(times) for times in per_pass)
    return {"p50": median(s["p50"] for s in stats), "p95": median(s["p95"] for s in stats),
            "mean": median(s["mean"] for s in stats), "max": max((s["max"] or 0) for s in stats),
            "questions": len(per_pass[0]) if per_pass else 0, "passes": len(per_pass),
            "per_s": round(n / total_s, 2) if total_s else None}
