"""Hybrid retrieval on the two store kinds, side by side: the seeds indexed into an embedded
store (`chroma:DIR`) and into a Chroma server (`chroma run`, started here on a free port and
always stopped). Both engines are warmed up, then each question is asked of one and then
the other (new to both), so a busy CPU weighs on the two alike; the figure is the engine's
own retrieve stage (Answer.timings_ms["retrieve"]).
"""
from __future__ import annotations

from pathlib import Path

from .measure import Stopwatch, summary
from .servers import chroma_server


def store_kinds(settings, source: Path, embedder, questions, tmp: Path, passes: int = 1) -> dict:
    """Index the seeds into both store kinds, then time hybrid retrieval on each."""
    from index.indexer import index_folder
    from index.store import open_store
    from rag import Engine

    from . import scale

    with chroma_server(tmp / "chroma-server", limit_s=30.0) as server:
        out, engines, times = {"questions": len(questions), "passes": passes}, {}, {}
        for kind, spec in (("embedded", f"chroma:{tmp / 'store-embedded'}"), ("server", server)):
            with Stopwatch() as sw:
                r = index_folder(source, open_store(spec, settings.collection), embedder,
                                 size=settings.chunk_size, overlap=settings.chunk_overlap, progress=False)
            out[kind] = {"store": spec, "chunks": r.chunks_written, "index_s": round(sw.s, 2)}
            engine = Engine(settings.with_(store=spec, llm="extractive", source=str(source),
                                           cache_dir=str(tmp / f"cache-{kind}")), embedder=embedder)
            engines[kind], times[kind] = engine.warm_up(), []
        for _ in range(passes):
            for q in questions:
                for kind, engine in engines.items():
                    scale.forget_queries(engine)
                    answer = engine.ask(q.question, history=list(q.history) or None)
                    if "retrieve" in answer.timings_ms:   # an instruction is refused before retrieval
                        times[kind].append(answer.timings_ms["retrieve"])
    for kind in engines:
        out[kind]["retrieve_ms"] = summary(times[kind])
    for stat in ("p50", "p95"):
        mine, base = out["server"]["retrieve_ms"][stat], out["embedded"]["retrieve_ms"][stat]
        out[f"server_over_embedded_{stat}"] = round(mine / base, 2) if mine and base else None
    return out
