"""Corpora for the benchmarks: synthetic articles made from the seeds, and big stores
written from cached vectors.

A synthetic article is a headline and a few paragraphs of seed sentences drawn at
random (seeded, so every run makes the same corpus); it reads like news and
chunks like news, which is all the speed figures need. Its content repeats the
seeds', so retrieval *quality* on it means nothing.
`RecordingEmbedder` keeps every vector it computes, so a store many times the
size of what was embedded can be written without embedding again: that measures
the store and the retriever, not the embedder.
"""
from __future__ import annotations

import dataclasses
import random
import uuid
from pathlib import Path

from langchain_core.embeddings import Embeddings

from index.articles import read_article, read_folder
from index.chunking import Chunk, chunk_article, chunk_id, passage_sentences, story_sentences
from index.indexer import embed_text, expected_manifest
from index.store import PAGE, Store, open_store


def seed_sentences(folder: Path) -> list[str]:
    """The story sentences of every article in `folder`, in order."""
    articles, _ = read_folder(folder)
    return [" ".join(a.text[s.start:s.end].split()) for a in articles for s in story_sentences(a)]


def synthetic_article(rng: random.Random, sentences: list[str], n: int) -> str:
    """One article: a date marker and headline, then 3-6 paragraphs of 2-4 seed sentences."""
    headline = rng.choice(sentences).rstrip(".!?\"'\u201d ")[:100]
    paras = [" ".join(rng.choice(sentences) for _ in range(rng.randint(2, 4))) for _ in range(rng.randint(3, 6))]
    month, day = 1 + n % 12, 1 + n % 28
    return f"date 2025-{month:02d}-{day:02d} {headline}\n\n" + "\n\n".join(paras) + "\n"


def write_synthetic(folder: Path, sentences: list[str], n_chunks: int, *, size: int, overlap: int,
                    seed: int = 0) -> dict:
    """Write synthetic articles into `folder` until they make at least `n_chunks` chunks
    with these chunk settings; returns {"articles", "chunks", "chars"}."""
    if not sentences:
        raise ValueError("no seed sentences to build a synthetic corpus from")
    folder.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    chunks = chars = n = 0
    while chunks < n_chunks:
        path = folder / f"syn_{n:06d}.txt"
        path.write_text(synthetic_article(rng, sentences, n), encoding="utf-8")
        article = read_article(path, path.name)
        chunks += len(chunk_article(article, size, overlap))
        chars += len(article.text)
        n += 1
    return {"articles": n, "chunks": chunks, "chars": chars}


class RecordingEmbedder(Embeddings):
    """Wraps an embedder and keeps each document vector by the text it was made from."""

    def __init__(self, inner, on_batch=None):
        self.inner = inner
        self.name = inner.name
        self.vectors: dict[str, list[float]] = {}
        self._on_batch = on_batch

    def embed_documents(self, texts):
        vectors = self.inner.embed_documents(texts)
        self.vectors.update(zip(texts, vectors))
        if self._on_batch:
            self._on_batch(len(texts))
        return vectors

    def embed_query(self, text):
        return self.inner.embed_query(text)


def texts_of(folder: Path, *, size: int, overlap: int) -> int:
    """How many texts indexing `folder` embeds: its chunks, and each file's distinct passage
    sentences (what the indexer stores beside them)."""
    from index.chunking import passage_sentences

    chunks = chunks_of(folder, size=size, overlap=overlap)
    return len(chunks) + len({(c.source, t) for c in chunks for t in passage_sentences(c.text)})


def chunks_of(folder: Path, *, size: int, overlap: int) -> list[Chunk]:
    """Every chunk of every article in `folder`, as the indexer makes them."""
    articles, _ = read_folder(folder)
    return [c for a in articles for c in chunk_article(a, size, overlap)]


def scaled(chunks: list[Chunk], n: int) -> list[Chunk]:
    """`n` chunks: the first n of `chunks`, or copies of them under other source names
    ("copy01/syn_000000.txt") when more are needed; ids stay unique."""
    out = list(chunks[:n])
    copy = 0
    while len(out) < n:
        copy += 1
        for c in chunks[: n - len(out)]:
            source = f"copy{copy:02d}/{c.source}"
            out.append(dataclasses.replace(c, source=source, id=chunk_id(source, c.text, c.start)))
    return out


def store_from_vectors(path: Path, chunks: list[Chunk], vectors: dict[str, list[float]], *, folder: Path,
                       embedder, size: int, overlap: int, collection: str, on_page=None) -> Store:
    """A new store at `path` holding `chunks`, each with the cached vector of its text, their
    sentence vectors (cached too, or embedded), the manifest an indexed store would carry and
    its saved BM25 (so an Engine opens it as it is, as after `newsrag index`)."""
    from index import sparse

    store = open_store(f"chroma:{path}", collection)
    store.drop()
    by_source: dict[str, dict[str, None]] = {}
    for i in range(0, len(chunks), PAGE):
        part = chunks[i:i + PAGE]
        store.add(part, [vectors[embed_text(c)] for c in part])
        for c in part:
            by_source.setdefault(c.source, {}).update(dict.fromkeys(passage_sentences(c.text)))
        if on_page:
            on_page(len(part))
    missing = list(dict.fromkeys(t for texts in by_source.values() for t in texts if t not in vectors))
    vectors = {**vectors, **dict(zip(missing, embedder.embed_documents(missing)))} if missing else vectors
    units = [(source, t) for source, texts in by_source.items() for t in texts]
    store.add_sentences(units, [vectors[t] for _, t in units])
    store.set_manifest({**expected_manifest(folder, embedder, size, overlap), "version": uuid.uuid4().hex,
                        "sentence_vectors": 1})
    sparse.prebuild(store)
    return store
