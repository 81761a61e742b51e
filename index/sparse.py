"""BM25 over the store's chunks: the sparse leg of hybrid retrieval.

Built from the store itself (paged), so it is always in step with it, and saved
on disk under the store's version stamp (the store's `cache_file` says where). The
indexer builds it at the end of each run (`prebuild`), so readers only load it; a
reader that finds no file for the current version (another cache folder, a run that
was killed) builds it once and saves it. Terms are stemmed and spelling variants
unified (text.tokens), so two spellings of a name find each other: the variants any
folder has by rule or list, and those of names learnt from this folder's own articles
when BM25 is built (index.names), kept with it and applied to chunks and queries alike.

A store of up to EXACT_MAX_CHUNKS chunks also keeps its chunks' vectors here, so the
dense leg ranks them exactly in memory (one product of a small matrix) instead of
asking Chroma's approximate index, which at that size costs more than the search.
"""
from __future__ import annotations

import math
import os
import pickle
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from . import names
from .store import Store, StoredChunk
from .text import TOKENIZER_VERSION, stem, tokens


EXACT_MAX_CHUNKS = 20_000      # vectors kept for exact search: 30 MB of float32 at most
FORMAT = 2                      # what a saved index holds (2: the vectors of a small store)


@dataclass
class SparseIndex:
    version: str
    chunks: list[StoredChunk]
    df: Counter                 # stemmed term -> number of chunks holding it
    model: object               # bm25s.BM25
    tokenizer: int = TOKENIZER_VERSION
    variants: dict[str, str] = field(default_factory=dict)   # learnt name spellings: folded word -> its form
    vectors: np.ndarray | None = None   # a small store's chunk vectors, unit length, in `chunks`' order
    format: int = FORMAT

    @property
    def n(self) -> int:
        return len(self.chunks)

    def common_terms(self, share: float = 0.1) -> frozenset:
        """Terms found in at least `share` of the chunks: the corpus's topic words."""
        memo = self.__dict__.setdefault("_common", {})    # per share: callers ask for more than one
        if share not in memo:
            memo[share] = frozenset(t for t, n in self.df.items() if n >= share * self.n)
        return memo[share]

    def idf(self, term: str) -> float:
        return math.log(1 + (self.n - self.df.get(term, 0) + 0.5) / (self.df.get(term, 0) + 0.5))

    def terms(self, text: str) -> list[str]:
        """Stemmed terms of `text` as this index holds them: text.tokens with this folder's
        learnt name spellings unified (for matching a question's terms against passages)."""
        return tokens(text, learnt=self.variants)

    def canonical(self, term: str) -> str:
        """The term (stemmed, as text.tokens gives it) this index holds for `term`: itself,
        unless it is a learnt variant spelling of a name."""
        memo = self.__dict__.get("_stems")
        if memo is None:
            memo = self.__dict__["_stems"] = {stem(v): stem(c) for v, c in self.variants.items()}
        return memo.get(term, term)

    def of_source(self, source: str) -> list[StoredChunk]:
        """The chunks of one article, in reading order."""
        memo = self.__dict__.get("_by_source")
        if memo is None:
            memo = {}
            for c in self.chunks:
                memo.setdefault(c.meta.get("source"), []).append(c)
            for chunks in memo.values():
                chunks.sort(key=lambda c: int(c.meta.get("start", 0)))
            self.__dict__["_by_source"] = memo
        return memo.get(source, [])

    def chunk(self, chunk_id: str) -> StoredChunk | None:
        """The chunk with this id (ids are hashes of file, offset and text), if this index holds it."""
        memo = self.__dict__.get("_by_id")
        if memo is None:
            memo = self.__dict__["_by_id"] = {c.id: c for c in self.chunks}
        return memo.get(chunk_id)

    def nearest(self, vector: list[float], k: int) -> list[tuple[StoredChunk, float]]:
        """The k chunks nearest `vector` by cosine similarity, exactly (needs `vectors`)."""
        q = np.asarray(vector, dtype=np.float32)
        sims = self.vectors @ (q / (np.linalg.norm(q) or 1.0))
        k = min(k, len(sims))
        top = np.argpartition(-sims, k - 1)[:k] if k < len(sims) else np.arange(len(sims))
        top = top[np.argsort(-sims[top], kind="stable")]
        return [(self.chunks[i], float(sims[i])) for i in top]

    def search(self, query: str, k: int) -> list[tuple[int, float]]:
        """(chunk position, BM25 score) best first; only chunks sharing a term."""
        q = [t for t in self.terms(query) if t in self.df]
        if not q or not self.chunks:
            return []
        docs, scores = self.model.retrieve([q], k=min(k, self.n), show_progress=False, n_threads=1)
        return [(int(d), float(s)) for d, s in zip(docs[0], scores[0]) if s > 0]


def build(chunks: list[StoredChunk], version: str, vectors: dict[str, list[float]] | None = None) -> SparseIndex:
    """BM25 over `chunks`; with `vectors` (by chunk id, every chunk's), their unit vectors too
    when there are at most EXACT_MAX_CHUNKS chunks."""
    import bm25s

    variants = names.learn((c.meta.get("source", c.id), c.text) for c in chunks)
    corpus = [tokens(c.text, learnt=variants) for c in chunks]
    df: Counter = Counter()
    for toks in corpus:
        df.update(set(toks))
    model = bm25s.BM25()
    if chunks:
        model.index([t or ["\u2205"] for t in corpus], show_progress=False)
    matrix = None
    if vectors is not None and 0 < len(chunks) <= EXACT_MAX_CHUNKS and all(c.id in vectors for c in chunks):
        matrix = np.asarray([vectors[c.id] for c in chunks], dtype=np.float32)
        matrix /= np.maximum(np.linalg.norm(matrix, axis=1, keepdims=True), 1e-12)
    return SparseIndex(version, chunks, df, model, variants=variants, vectors=matrix)


def from_store(store: Store, version: str) -> SparseIndex:
    """Built from every chunk of the store, with their vectors when the store is small (read
    only then)."""
    chunks = list(store.iter_chunks())
    read = getattr(store, "vectors", None)
    return build(chunks, version, read() if read is not None and len(chunks) <= EXACT_MAX_CHUNKS else None)


def _path(store: Store, cache_dir) -> Path | None:
    return store.cache_file(None if cache_dir is None else Path(cache_dir), "bm25")


def _stamp_of(path: Path) -> Path:
    # beside the pickle, what it was built for: checked without unpickling it
    return path.with_suffix(".version")


def _tag(version: str) -> str:
    return f"{version}/{TOKENIZER_VERSION}/{FORMAT}"


def _save(index: SparseIndex, path: Path | None):
    if path is None:
        return
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        with open(tmp, "wb") as fh:
            pickle.dump(index, fh, protocol=pickle.HIGHEST_PROTOCOL)
        tmp.replace(path)
        stamp = _stamp_of(path).with_suffix(f".{os.getpid()}.vtmp")
        stamp.write_text(_tag(index.version))
        stamp.replace(_stamp_of(path))
    except OSError:
        pass  # a read-only store still answers; it just rebuilds BM25 next time


def load(store: Store, cache_dir, version: str | None = None) -> SparseIndex:
    """The BM25 index for the store's current version (read from the store unless given),
    from the saved file or, when there is none for that version, built (and saved)."""
    version = store.version() if version is None else version
    path = _path(store, cache_dir)
    if path is not None and version:
        try:
            with open(path, "rb") as fh:
                cached = pickle.load(fh)
            if isinstance(cached, SparseIndex) and cached.version == version \
                    and getattr(cached, "tokenizer", None) == TOKENIZER_VERSION \
                    and vars(cached).get("format") == FORMAT:      # an older one lacks the field
                return cached
        except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError):
            pass
    index = from_store(store, version)
    _save(index, path)
    return index


def saved_version(store: Store, cache_dir=None) -> str | None:
    """The store version the saved BM25 was built for (None when none is saved)."""
    path = _path(store, cache_dir)
    try:
        if path is not None and path.exists():
            return _stamp_of(path).read_text().rsplit("/", 1)[0]
    except OSError:
        pass
    return None


def prebuild(store: Store, cache_dir=None, written: list[tuple[StoredChunk, list[float]]] | None = None) -> bool:
    """Build and save BM25 for the store's current version unless it is saved already (the
    indexer's last step); False when there is nowhere to save it. `written`: every chunk the
    store holds with its vector, when the caller has them (a store it filled from empty)."""
    path = _path(store, cache_dir)
    if path is None:
        return False
    version = store.version()
    try:
        if _stamp_of(path).read_text() == _tag(version) and path.exists():
            return True
    except OSError:
        pass
    index = from_store(store, version) if written is None else \
        build([c for c, _ in written], version, {c.id: v for c, v in written})
    _save(index, path)
    return True
