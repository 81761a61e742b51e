"""Retrieval quality beside speed: newsrag against the LangChain tutorial pipeline.

The tutorial pipeline is the one LangChain's RAG tutorial builds: the article
files split by RecursiveCharacterTextSplitter(chunk_size=1000, chunk_overlap=200),
dense-only Chroma over the same MiniLM embeddings, the top 4 chunks handed to
the LLM as they are ("\\n\\n"-joined). Recall@k on the gold set = share of
answerable questions whose first k passages hold a gold string (after folding,
evals.metrics). Context = the characters each pipeline hands its LLM: for
newsrag, the numbered source lines `Engine._generate` builds from
`pick(gather(...).units, settings.context_sentences, 1400)`, recomputed here the
same way (a question newsrag refuses hands the LLM nothing).
"""
from __future__ import annotations

import re
import statistics
from pathlib import Path

from evals.metrics import contains_gold, first_hit_rank
from index.text import fold
from rag import prompts
from rag.condense import by_rules, normalize_history
from rag.evidence import gather, pick

from .measure import Stopwatch, summary
from .scale import Question

TUTORIAL_K = 4


def llm_context(engine, q: Question, answer) -> str:
    """The sources block the engine's LLM would see for this question ("" when refused)."""
    if answer.refused:
        return ""
    corpus = engine.corpus
    standalone = by_rules(q.question, normalize_history(list(q.history)))
    passages = list(answer.passages)
    evidence = gather(standalone.question, passages, corpus.sparse_index().idf,
                      corpus.embed_query(fold(standalone.question)), corpus.sentence_vectors)
    if evidence.refuse or not evidence.units:
        return ""
    lines = []
    for n, u in enumerate(pick(evidence.units, engine.settings.context_sentences, 1400), start=1):
        p = passages[u.passage]
        lines.append(prompts.SOURCE_LINE.format(n=n, label=p.outlet or p.title[:60],
                                                date=f", {p.date}" if p.date else "",
                                                text=re.sub(r"\s+", " ", u.text)))
    return "\n".join(lines)


def newsrag_quality(engine, questions: list[Question], answers: dict) -> dict:
    """Recall@5 / @4, MRR and the LLM's context, from the engine's answers to the gold set."""
    rows = []
    for q in questions:
        if not q.answerable:
            continue
        a = answers[q.id]
        texts = [p.text for p in a.passages]
        rank = first_hit_rank(texts, q.answers)
        context = llm_context(engine, q, a)
        rows.append({"rank": rank, "refused": a.refused, "context_chars": len(context),
                     "context_has_gold": bool(context) and contains_gold(context, q.answers),
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
        "context_chars_note": "the numbered source sentences the LLM sees (Engine._generate's pick), "
                              "mean over answerable questions newsrag does not refuse",
        "passage_chars_mean": _mean(r["passage_chars"] for r in rows),
        "passage_chars_note": "all k retrieved passages: an upper bound on what any LLM could be handed",
    }


def tutorial_quality(folder: Path, embeddings, questions: list[Question], work: Path) -> dict:
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
    for q in questions:
        with Stopwatch() as sw:
            found = store.similarity_search(q.question, k=TUTORIAL_K)
        times.append(sw.ms)
        if not q.answerable:
            continue
        context = "\n\n".join(d.page_content for d in found)
        rows.append({"rank": first_hit_rank([d.page_content for d in found], q.answers),
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

