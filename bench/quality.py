"""Retrieval quality beside speed: newsrag against the LangChain tutorial pipeline.

The tutorial pipeline is the one LangChain's RAG tutorial builds: the article
files split by RecursiveCharacterTextSplitter(chunk_size=1000, chunk_overlap=200),
dense-only Chroma over the same MiniLM embeddings, the top 4 chunks handed to
the LLM as they are ("\\n\\n"-joined). Recall@k on the gold set = share of
answerable questions whose first k passages hold a gold string (after folding, as
the `Gold` handed in matches them). Context = the characters each pipeline hands
its LLM: for newsrag, the numbered source lines of the prompt the engine sends a
full-size LLM, as `Engine.prompt_for` gives it (a question newsrag refuses hands
the LLM nothing).
"""
from __future__ import annotations

import statistics
from pathlib import Path

from rag.markers import MARKER

from .measure import Stopwatch, summary
from .scale import Gold, Question

TUTORIAL_K = 4


def llm_context(engine, q: Question) -> str:
    """The numbered source lines a full-size LLM is sent for this question ("" when none is)."""
    prompt = engine.prompt_for(q.question, list(q.history) or None, small=False)
    if prompt is None:
        return ""
    return "\n".join(line for line in prompt[1].splitlines() if MARKER.match(line))


def newsrag_quality(engine, gold: Gold, answers: dict) -> dict:
    """Recall@5 / @4, MRR and the LLM's context, from the engine's answers to the gold set."""
    rows = []
    for q in gold.questions:
        if not q.answerable:
            continue
        a = answers[q.id]
        texts = [p.text for p in a.passages]
        rank = gold.first_hit_rank(texts, q.answers)
        context = llm_context(engine, q) if not a.refused else ""
        rows.append({"rank": rank, "refused": a.refused, "context_chars": len(context),
                     "context_has_gold": bool(context) and gold.contains(context, q.answers),
                     "passage_chars": sum(len(t) for t in texts)})
    called = [r for r in rows if not r["refused"]]
    n = len(rows)
    return {
        "answerable": n,
        "recall_at_5": _share(r["rank"] is not None and r["rank"] <= 5 for r in rows),
        "recall_at_4": _share(r["rank"] is not None and r["rank"] <= 4 for r in rows),
        "mrr": round(sum(1 / r["rank"] for r in rows if r["rank"]) / n, 3) if n else None,
        "refused_answerable": sum(r["refused"] for r in rows),
        "context_recall": _share(r["context_has_gold"] for r in rows),
        "context_chars_mean": _mean(r["context_chars"] for r in called),
        "context_chars_median": _med(r["context_chars"] for r in called),
        "context_chars_note": "the numbered source sentences a full-size LLM is sent (Engine.prompt_for), "
                              "mean over answerable questions newsrag does not refuse",
        "passage_chars_mean": _mean(r["passage_chars"] for r in rows),
        "passage_chars_note": "all k retrieved passages: an upper bound on what any LLM could be handed",
    }


def tutorial_quality(folder: Path, embeddings, gold: Gold, work: Path) -> dict:
    """Build the tutorial pipeline over `folder` and score its top-4 on the gold set."""
    import chromadb
    from chromadb.config import Settings as ChromaSettings
    from langchain_chroma import Chroma
    from langchain_core.documents import Document
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    docs = [Document(page_content=p.read_text(encoding="utf-8"), metadata={"source": p.name})
            for p in sorted(folder.iterdir()) if p.suffix in (".txt", ".md")]
    with Stopwatch() as build:
        splits = RecursiveCharacterTextSplitter(chunk_size=1000, chunk_overlap=200).split_documents(docs)
        client = chromadb.PersistentClient(path=str(work / "tutorial"),
                                           settings=ChromaSettings(anonymized_telemetry=False))
        store = Chroma(collection_name="tutorial", embedding_function=embeddings, client=client)
        store.add_documents(splits)
    rows, times = [], []
    for q in gold.questions:
        with Stopwatch() as sw:
            found = store.similarity_search(q.question, k=TUTORIAL_K)
        times.append(sw.ms)
        if not q.answerable:
            continue
        context = "\n\n".join(d.page_content for d in found)
        rows.append({"rank": gold.first_hit_rank([d.page_content for d in found], q.answers),
                     "context_chars": len(context)})
    return {
        "answerable": len(rows),
        "chunks": len(splits),
        "build_s": round(build.s, 3),
        "recall_at_4": _share(r["rank"] is not None for r in rows),
        "mrr": round(sum(1 / r["rank"] for r in rows if r["rank"]) / len(rows), 3) if rows else None,
        "context_chars_mean": _mean(r["context_chars"] for r in rows),
        "context_chars_median": _med(r["context_chars"] for r in rows),
        "retrieve_ms": summary(times),
    }


def _share(flags) -> float | None:
    flags = list(flags)
    return round(sum(bool(f) for f in flags) / len(flags), 3) if flags else None


def _mean(xs) -> float | None:
    xs = list(xs)
    return round(statistics.fmean(xs), 1) if xs else None


def _med(xs) -> float | None:
    xs = list(xs)
    return round(statistics.median(xs), 1) if xs else None

