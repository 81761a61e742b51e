"""Hybrid retrieval: dense (Chroma + MiniLM) and sparse (BM25) fused by reciprocal rank.

All three are LangChain retrievers, so they compose with the rest of a chain and
report to its callbacks (the legs run as children of the hybrid one); they return
Documents whose metadata carries the chunk's id, offsets, article metadata and the
leg's score. `Corpus` holds what they share: the store, the embedder and the BM25
index, reopened when the store's version changes, and the passage-sentence vectors
the evidence step needs (made by the indexer and read from the store; only a sentence
the store does not hold is embedded at question time).
"""
from __future__ import annotations

import threading
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict

from langchain_core.embeddings import Embeddings

from index import sparse
from index.store import Store, StoredChunk
from index.text import fold, spellings

RRF_K = 60                      # reciprocal rank fusion's constant (Cormack et al.): damps the top ranks
LEG_DEPTH = 20                  # candidates per leg: fusion needs more than k to reorder
QUERY_MEMO = 256                # query vectors kept: evidence embeds the question again right after retrieval
SENTENCE_MEMO = 50_000          # passage-sentence vectors kept: a small corpus's every sentence, bounded
WARM_MAX_CHUNKS = 3000          # warm_up embeds every sentence only of a corpus this small (seconds, not minutes)


# the BM25 leg runs here while the dense leg embeds the query (onnxruntime lets go of the GIL)
_BM25_THREAD = ThreadPoolExecutor(max_workers=1, thread_name_prefix="newsrag-bm25")


class Corpus:
    """The store, its embedder and its BM25 twin, kept in step with the store's version."""

    def __init__(self, store: Store, embedder: Embeddings, cache_dir):
        self.store = store
        self.embedder = embedder
        self.cache_dir = cache_dir
        self._sparse: sparse.SparseIndex | None = None
        self._version: str | None = None     # the store version last seen by follow_writer
        self._lock = threading.Lock()
        self._query_cache: OrderedDict[str, list[float]] = OrderedDict()
        self._sentence_cache: OrderedDict[str, list[float]] = OrderedDict()

    def embed_query(self, text: str) -> list[float]:
        """The query's vector; the last few are kept, since evidence needs it again."""
        with self._lock:
            if text in self._query_cache:
                self._query_cache.move_to_end(text)
                return self._query_cache[text]
        vector = self.embedder.embed_query(text)
        with self._lock:
            self._query_cache[text] = vector
            while len(self._query_cache) > QUERY_MEMO:
                self._query_cache.popitem(last=False)
        return vector

    def warm_sentences(self, max_chunks: int = WARM_MAX_CHUNKS) -> int:
        """Bring every sentence vector of a small corpus into memory now (read from the store,
        embedded only where the store has none), so that no question waits for it."""
        from index.chunking import passage_sentences

        index = self.sparse_index()
        if index.n > max_chunks:
            return 0
        source_of = {t: c.meta.get("source") for c in index.chunks for t in passage_sentences(c.text)}
        self.sentence_vectors(list(source_of), list(source_of.values()))      # read from the store by id
        return len(source_of)

    def sentence_vectors(self, texts: list[str], sources: list[str] | None = None) -> list[list[float]]:
        """Vectors of passage sentences: from memory, else from the store (which the indexer
        filled; read by id when each text's file is given in `sources`), else embedded now;
        kept in memory (bounded) either way."""
        with self._lock:
            have = {t: self._sentence_cache[t] for t in texts if t in self._sentence_cache}
        missing = [t for t in dict.fromkeys(texts) if t not in have]
        if missing:
            lookup = getattr(self.store, "lookup_sentences", None)   # a Store without the side collection
            if lookup is None:
                found = {}
            elif sources is not None:
                source_of = dict(zip(texts, sources))
                found = lookup(missing, [source_of[t] for t in missing])
            else:
                found = lookup(missing)
            rest = [t for t in missing if t not in found]
            if rest:
                found.update(zip(rest, self.embedder.embed_documents(rest)))
            have.update(found)
            with self._lock:
                self._sentence_cache.update(found)
                while len(self._sentence_cache) > SENTENCE_MEMO:
                    self._sentence_cache.popitem(last=False)
        return [have[t] for t in texts]

    def forget(self, *, queries: bool = False, sentences: bool = False):
        """Empty the memo of query vectors and/or of passage-sentence vectors (the bench does,
        so that every timed question is new to the engine)."""
        with self._lock:
            if queries:
                self._query_cache.clear()
            if sentences:
                self._sentence_cache.clear()

    def nearest(self, vector: list[float], k: int) -> list[tuple[StoredChunk, float]]:
        """The k chunks nearest `vector`, with their cosine similarity. Chroma's vector index
        gives the ids; the chunks come from the BM25 twin, which holds every chunk of the
        store in memory (ids are hashes of the text, so a known id is the same chunk). When
        the twin lacks one (another process wrote since it was loaded) or the store cannot
        answer with ids alone, the store's own query reads them. A small store's vectors are
        held by the twin too, which then ranks them itself, exactly."""
        index = self.sparse_index()
        if index.vectors is not None:
            return index.nearest(vector, k)
        nearest_ids = getattr(self.store, "nearest_ids", None)
        if nearest_ids is None:
            return self.store.query(vector, k)
        found = nearest_ids(vector, k)
        chunks = [index.chunk(i) for i, _ in found]
        if None in chunks:
            return self.store.query(vector, k)
        return [(c, score) for c, (_, score) in zip(chunks, found)]

    def sparse_index(self) -> sparse.SparseIndex:
        with self._lock:
            if self._sparse is None:
                self._sparse = sparse.load(self.store, self.cache_dir, self._version)
            return self._sparse

    def spellings(self):
        """A block in which text folds with the name spellings learnt from this corpus's folder
        (index.text.spellings), so a question and the passages it is checked against meet on
        one spelling of each name. Not entered by retrieval itself: BM25 applies them anyway."""
        return spellings(self.sparse_index().variants)

    def follow_writer(self) -> bool:
        """Reload when an indexer changed the store; True when it did. One read of the store's
        version stamp per call; on a change BM25 is rebuilt for the new version, and the store
        reopened so the dense leg sees the new vectors too."""
        version = self.store.version()
        with self._lock:
            seen, self._version = self._version, version
            changed = seen is not None and seen != version
            if self._sparse is not None and self._sparse.version != version:
                self._sparse = None
                changed = True
        if changed:
            self.store.reopen()
        return changed


def to_document(chunk: StoredChunk, score: float, leg: str) -> Document:
    return Document(page_content=chunk.text, id=chunk.id, metadata={**chunk.meta, "id": chunk.id, leg: score})


class DenseRetriever(BaseRetriever):
    """Nearest chunks by cosine similarity of MiniLM embeddings (Corpus.nearest: Chroma's
    vector index, or an exact search in memory over a small store's vectors)."""

    model_config = ConfigDict(arbitrary_types_allowed=True)
    corpus: Any
    k: int = 20

    def _get_relevant_documents(self, query: str, *, run_manager: CallbackManagerForRetrieverRun) -> list[Document]:
        vector = self.corpus.embed_query(query)
        return [to_document(c, s, "dense") for c, s in self.corpus.nearest(vector, self.k)]


class SparseRetriever(BaseRetriever):
    """BM25 over stemmed, variant-folded terms."""

    model_config = ConfigDict(arbitrary_types_allowed=True)
    corpus: Any
    k: int = 20

    def _get_relevant_documents(self, query: str, *, run_manager: CallbackManagerForRetrieverRun) -> list[Document]:
        index = self.corpus.sparse_index()
        return [to_document(index.chunks[i], s, "bm25") for i, s in index.search(query, self.k)]


class HybridRetriever(BaseRetriever):
    """Reciprocal rank fusion of the dense and sparse legs; `score` = sum of 1/(60 + rank).

    LangChain's EnsembleRetriever (langchain-classic) fuses the same way, and with
    `id_key="id"` and equal weights it ranks alike: the same top 5, in the same order, on
    all 244 questions of evals/gold.jsonl (ties broken alike too: first seen, dense leg
    first). It is not used because it hands back no fused score, which every Passage
    carries (`Passage.score`, a public contract), nor the legs' own scores, and it would add
    langchain-classic for these twenty lines.
    """

    model_config = ConfigDict(arbitrary_types_allowed=True)
    dense: BaseRetriever
    sparse: BaseRetriever
    k: int = 5

    def _get_relevant_documents(self, query: str, *, run_manager: CallbackManagerForRetrieverRun) -> list[Document]:
        folded = fold(query)  # spelling variants embed and match alike
        fused: dict[str, Document] = {}
        scores: dict[str, float] = {}
        legs = {"callbacks": run_manager.get_child()}     # the legs report as children of this run
        sparse_docs = _BM25_THREAD.submit(self.sparse.invoke, folded, legs)   # while the query is embedded
        dense_docs = self.dense.invoke(folded, config=legs)
        for docs in (dense_docs, sparse_docs.result()):
            for rank, doc in enumerate(docs, start=1):
                key = doc.metadata["id"]
                scores[key] = scores.get(key, 0.0) + 1.0 / (RRF_K + rank)
                if key in fused:
                    fused[key].metadata.update({k: v for k, v in doc.metadata.items() if k in ("dense", "bm25")})
                else:
                    fused[key] = doc
        best = sorted(scores, key=lambda key: -scores[key])[: self.k]
        out = []
        for key in best:
            doc = fused[key]
            doc.metadata["score"] = scores[key]
            out.append(doc)
        return out


def hybrid(corpus: Corpus, k: int, depth: int = LEG_DEPTH) -> HybridRetriever:
    depth = max(depth, 4 * k)
    return HybridRetriever(dense=DenseRetriever(corpus=corpus, k=depth),
                           sparse=SparseRetriever(corpus=corpus, k=depth), k=k)
