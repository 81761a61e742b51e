"""The stores: one Chroma collection holding one corpus's chunks, vectors and metadata.

`Store` is the seam. `EmbeddedStore` (`chroma:DIR`) is Chroma on disk inside this
process; `ServerStore` (`chroma+http://HOST:PORT`) is a Chroma server that several
processes share (auth through Chroma's own client settings and CHROMA_* variables).
`open_store(spec, collection)` picks one. What differs between the two lives in
their classes: how they connect, whether a reader may build a missing index
(embedded: yes; a shared server: no, that is `newsrag index`'s job), where the
writer's lock and the BM25 twin are kept, and what catching up with another
process's writes takes.

The collection's metadata is the store's manifest: which folder it was built from,
with which embedding model and chunk settings, and a version stamp that changes
whenever its contents do (readers and the BM25 cache follow it with one read,
`version()`). Nothing connects until first use; telemetry is off.
"""
from __future__ import annotations

import hashlib
import re
import tempfile
import threading
import warnings
from abc import ABC, abstractmethod
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, Protocol

from .chunking import Chunk
from .errors import StoreError

MANIFEST_KEYS = ("newsrag_source", "embedding_model", "chunk_size", "chunk_overlap", "schema", "version",
                 "sentence_vectors")
SCHEMA = 2          # bump when what is embedded or how chunks are made changes
PAGE = 2000         # ids per Chroma call: well under its batch limit, few round trips
CHROMADB_CHECKED = "1.5.9"   # the chromadb (constraints.txt) whose private client cache _forget_system empties


@dataclass(frozen=True)
class StoreSpec:
    kind: str            # "dir" or "http"
    path: Path | None = None
    host: str | None = None
    port: int | None = None
    ssl: bool = False

    @classmethod
    def parse(cls, spec: str, root: Path | None = None) -> "StoreSpec":
        spec = spec.strip()
        m = re.fullmatch(r"chroma\+(https?)://([^/:]+)(?::(\d+))?/?", spec)
        if m:
            scheme, host, port = m.groups()
            return cls("http", host=host, port=int(port or (443 if scheme == "https" else 8000)), ssl=scheme == "https")
        if spec.startswith("chroma:") and len(spec) > len("chroma:"):
            path = Path(spec[len("chroma:"):]).expanduser()
            if not path.is_absolute() and root is not None:
                path = root / path
            return cls("dir", path=path)
        raise StoreError(f"unknown --store {spec!r}; use chroma:DIR or chroma+http://HOST:PORT")

    def __str__(self) -> str:
        if self.kind == "http":
            return f"chroma+{'https' if self.ssl else 'http'}://{self.host}:{self.port}"
        return f"chroma:{self.path}"


def text_key(text: str) -> str:
    """What a sentence vector is looked up by: a hash of the sentence's text alone."""
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def sentence_id(source: str, text: str) -> str:
    """A stored sentence vector's id: one per (file, sentence text), so that a file's vectors
    come and go with it even when another file holds the same sentence."""
    return hashlib.sha256(f"{source}\x00{text}".encode()).hexdigest()[:32]


@dataclass(frozen=True)
class StoredChunk:
    id: str
    text: str
    meta: dict


def chunk_metadata(c: Chunk) -> dict:
    meta = {"source": c.source, "start": c.start, "end": c.end, "seq": c.seq, "title": c.title,
            "sha256": c.sha256, "n_chunks": c.n_chunks}
    if c.date:
        meta["date"] = c.date
    if c.outlet:
        meta["outlet"] = c.outlet
    return meta


class Store(Protocol):
    """One collection of chunks with their vectors and a manifest."""

    spec: StoreSpec
    collection_name: str
    indexes_on_first_use: bool      # may a reader build the index itself when the collection is missing

    @property
    def connected(self) -> bool: ...

    def exists(self) -> bool: ...

    def open(self, create: bool = False): ...

    def drop(self) -> None: ...

    def manifest(self) -> dict: ...

    def set_manifest(self, manifest: dict) -> None: ...

    def version(self) -> str: ...

    def reopen(self) -> None: ...

    def count(self) -> int: ...

    def iter_chunks(self, include_text: bool = True) -> Iterator[StoredChunk]: ...

    def files(self) -> dict[str, dict]: ...

    def add(self, chunks: list[Chunk], vectors: list[list[float]]) -> None: ...

    def delete(self, ids: list[str]) -> None: ...

    def query(self, vector: list[float], k: int) -> list[tuple[StoredChunk, float]]: ...

    def nearest_ids(self, vector: list[float], k: int) -> list[tuple[str, float]]: ...

    def vectors(self) -> dict[str, list[float]]: ...

    def lock_path(self) -> Path: ...

    def cache_file(self, cache_dir: Path | None, stem: str) -> Path | None: ...

    # the evidence step's sentence vectors, made at index time (a side collection)
    def add_sentences(self, units: list[tuple[str, str]], vectors: list[list[float]]) -> None: ...

    def sentence_ids(self, source: str | None = None) -> dict[str, str]: ...

    def delete_sentences(self, ids: list[str]) -> None: ...

    def lookup_sentences(self, texts: list[str], sources: list[str] | None = None) -> dict[str, list[float]]: ...


def open_store(spec: StoreSpec | str, collection: str = "newsrag", root: Path | None = None) -> Store:
    """The store a spec names (`chroma:DIR` or `chroma+http://HOST:PORT`); connects on first use."""
    if isinstance(spec, str):
        spec = StoreSpec.parse(spec, root)
    return ServerStore(spec, collection) if spec.kind == "http" else EmbeddedStore(spec, collection)


def _chroma_settings():
    from chromadb.config import Settings as ChromaSettings

    return ChromaSettings(anonymized_telemetry=False, allow_reset=False)


class _ChromaCollection(ABC):
    """What both stores do the same way, over one Chroma client and collection handle."""

    indexes_on_first_use = True

    def __init__(self, spec: StoreSpec, collection: str = "newsrag"):
        if not 3 <= len(collection) <= 512:
            raise StoreError(f"collection name {collection!r} must have 3 to 512 characters (NEWSRAG_COLLECTION)")
        self.spec = spec
        self.collection_name = collection
        self._client = None
        self._col = None
        self._sent = None

    @property
    def sentences_name(self) -> str:
        """The side collection of sentence vectors (Chroma names end with a letter or digit)."""
        return f"{self.collection_name[:502]}-sentences"

    @abstractmethod
    def _new_client(self): ...

    @abstractmethod
    def lock_path(self) -> Path:
        """The writer's lock file: one `newsrag index` at a time, across processes."""

    @abstractmethod
    def cache_file(self, cache_dir: Path | None, stem: str) -> Path | None:
        """Where data derived from this store (the BM25 twin) is kept between runs (None: no
        cache folder was given and the store has no folder of its own)."""

    def _present(self) -> bool:
        """Whether the store can hold anything yet, known without connecting."""
        return True

    def _connect(self):
        if self._client is None:
            self._client = self._new_client()
        return self._client

    @property
    def connected(self) -> bool:
        return self._client is not None

    def exists(self) -> bool:
        if not self._present():
            return False
        try:
            self._connect().get_collection(self.collection_name)
            return True
        except StoreError:
            raise
        except Exception:
            return False

    def _missing(self) -> StoreError:
        return StoreError(f"no index at {self.spec} (collection {self.collection_name!r}): run `newsrag index`")

    def _fetch(self):
        """The collection as stored now (its metadata fresh), kept as the handle for later calls."""
        from chromadb.errors import NotFoundError

        if not self._present():
            raise self._missing()
        client = self._connect()
        try:
            self._col = client.get_collection(self.collection_name)
        except (NotFoundError, ValueError):
            raise self._missing() from None
        return self._col

    def open(self, create: bool = False):
        """The collection; with create=False a missing one is a StoreError saying to index."""
        if self._col is not None:
            return self._col
        if create:
            self._col = self._connect().get_or_create_collection(self.collection_name,
                                                                  metadata={"hnsw:space": "cosine"})
            return self._col
        return self._fetch()

    def drop(self):
        client = self._connect()
        for name in (self.collection_name, self.sentences_name):
            try:
                client.delete_collection(name)
            except Exception:
                pass
        self._col = None
        self._sent = None

    def reopen(self):
        """Catch up with what another process wrote since this one connected."""
        self._col = None
        self._sent = None

    # -- manifest ----------------------------------------------------------------------
    def manifest(self) -> dict:
        """The manifest as stored now: one read of the collection's metadata."""
        meta = dict(self._fetch().metadata or {})
        return {k: meta[k] for k in MANIFEST_KEYS if k in meta}

    def version(self) -> str:
        """The version stamp as stored now (one read): it changes whenever the contents do."""
        return str(self.manifest().get("version", ""))

    def set_manifest(self, manifest: dict):
        col = self.open(create=True)
        meta = dict(col.metadata or {})
        meta.pop("hnsw:space", None)
        meta.update({k: v for k, v in manifest.items() if v is not None})
        col.modify(metadata=meta)
        self._col = None

    # -- contents ------------------------------------------------------------------------
    def count(self) -> int:
        return self.open().count()

    def iter_chunks(self, include_text: bool = True) -> Iterator[StoredChunk]:
        col = self.open()
        offset = 0
        include = ["metadatas", "documents"] if include_text else ["metadatas"]
        while True:
            page = col.get(include=include, limit=PAGE, offset=offset)
            ids = page["ids"]
            if not ids:
                return
            docs = page.get("documents") or [""] * len(ids)
            for i, meta, doc in zip(ids, page["metadatas"], docs):
                yield StoredChunk(i, doc or "", dict(meta or {}))
            offset += len(ids)

    def vectors(self) -> dict[str, list[float]]:
        """Every chunk's vector, by id (paged)."""
        col = self.open()
        out: dict[str, list[float]] = {}
        offset = 0
        while True:
            page = col.get(include=["embeddings"], limit=PAGE, offset=offset)
            if not page["ids"]:
                return out
            out.update(zip(page["ids"], page["embeddings"]))
            offset += len(page["ids"])

    def files(self) -> dict[str, dict]:
        """Per source file: the sha256s its chunks carry, how many it should have, and ids."""
        out: dict[str, dict] = {}
        for c in self.iter_chunks(include_text=False):
            f = out.setdefault(c.meta["source"], {"shas": set(), "n_chunks": c.meta.get("n_chunks"), "ids": []})
            f["shas"].add(c.meta.get("sha256"))
            f["ids"].append(c.id)
        return out

    def add(self, chunks: list[Chunk], vectors: list[list[float]]):
        col = self.open(create=True)
        for i in range(0, len(chunks), PAGE):
            part = chunks[i:i + PAGE]
            col.upsert(ids=[c.id for c in part], documents=[c.text for c in part],
                       metadatas=[chunk_metadata(c) for c in part], embeddings=vectors[i:i + PAGE])

    def delete(self, ids: list[str]):
        col = self.open()
        for i in range(0, len(ids), PAGE):
            col.delete(ids=ids[i:i + PAGE])

    def query(self, vector: list[float], k: int) -> list[tuple[StoredChunk, float]]:
        """Nearest chunks by cosine similarity (higher is closer)."""
        col = self.open()
        res = col.query(query_embeddings=[vector], n_results=k, include=["metadatas", "documents", "distances"])
        # a chunk another process deleted after we connected can still come back from the
        # vector index, without its document or metadata: it is gone, so it is skipped
        return [(StoredChunk(i, d, dict(m)), 1.0 - dist)
                for i, d, m, dist in zip(res["ids"][0], res["documents"][0], res["metadatas"][0], res["distances"][0])
                if d is not None and m is not None]

    def nearest_ids(self, vector: list[float], k: int) -> list[tuple[str, float]]:
        """The nearest chunks' ids and cosine similarities only: what `query` gives without
        reading their texts and metadata from the collection's SQLite (most of its time)."""
        res = self.open().query(query_embeddings=[vector], n_results=k, include=["distances"])
        return [(i, 1.0 - dist) for i, dist in zip(res["ids"][0], res["distances"][0])]


    # -- sentence vectors ----------------------------------------------------------------
    # The evidence step scores every sentence of the retrieved passages by meaning; their
    # vectors are made when the chunks are, kept in a side collection (so a Chroma server
    # shares them too) with one entry per (file, sentence) and looked up by a hash of the
    # text: the sentence is all a question-time caller knows.
    def _sentences(self, create: bool = False):
        if self._sent is None:
            client = self._connect()
            if create:
                self._sent = client.get_or_create_collection(self.sentences_name, metadata={"hnsw:space": "cosine"})
            else:
                try:
                    self._sent = client.get_collection(self.sentences_name)
                except Exception:
                    return None
        return self._sent

    def add_sentences(self, units: list[tuple[str, str]], vectors: list[list[float]]):
        """Store the vectors of (file, sentence text) units."""
        col = self._sentences(create=True)
        for i in range(0, len(units), PAGE):
            part = units[i:i + PAGE]
            col.upsert(ids=[sentence_id(src, t) for src, t in part], embeddings=vectors[i:i + PAGE],
                       metadatas=[{"source": src, "h": text_key(t)} for src, t in part])

    def sentence_ids(self, source: str | None = None) -> dict[str, str]:
        """Stored sentence-vector ids -> their file, of one file or of all."""
        col = self._sentences()
        if col is None:
            return {}
        out: dict[str, str] = {}
        offset = 0
        where = {"source": source} if source is not None else None
        while True:
            page = col.get(where=where, include=["metadatas"], limit=PAGE, offset=offset)
            if not page["ids"]:
                return out
            out.update((i, (m or {}).get("source")) for i, m in zip(page["ids"], page["metadatas"]))
            offset += len(page["ids"])

    def delete_sentences(self, ids: list[str]):
        col = self._sentences()
        if col is None:
            return
        for i in range(0, len(ids), PAGE):
            col.delete(ids=ids[i:i + PAGE])

    def lookup_sentences(self, texts: list[str], sources: list[str] | None = None) -> dict[str, list[float]]:
        """The stored vectors of those of `texts` that have one (one read). With each text's
        file (`sources`), read by id: a key lookup, where reading by the text's hash filters
        on metadata and slows as the store grows (186 ms against 20 at 100k chunks)."""
        col = self._sentences()
        if col is None or not texts:
            return {}
        if sources is not None:
            by_id = {sentence_id(src, t): t for src, t in zip(sources, texts)}
            ids = list(by_id)
            found: dict[str, list[float]] = {}
            for i in range(0, len(ids), PAGE):
                got = col.get(ids=ids[i:i + PAGE], include=["embeddings"])
                found.update((by_id[key], _floats(vector)) for key, vector in zip(got["ids"], got["embeddings"]))
            return found
        by_key = {text_key(t): t for t in texts}
        out: dict[str, list[float]] = {}
        keys = list(by_key)
        for i in range(0, len(keys), PAGE):
            part = keys[i:i + PAGE]
            where = {"h": part[0]} if len(part) == 1 else {"h": {"$in": part}}
            got = col.get(where=where, include=["metadatas", "embeddings"])
            for meta, vector in zip(got["metadatas"], got["embeddings"]):
                text = by_key.get((meta or {}).get("h"))
                if text is not None and text not in out:
                    out[text] = _floats(vector)
        return out


def _floats(vector) -> list[float]:
    """A vector as Chroma hands it back (a numpy array, or a list) as a list of floats."""
    return vector.tolist() if hasattr(vector, "tolist") else list(vector)


class EmbeddedStore(_ChromaCollection):
    """Chroma on disk in this process (`chroma:DIR`). Read as it stands on disk when it
    connects; `reopen()` reconnects to see what another process wrote since. The writer's
    lock and the BM25 twin sit in the store's folder, shared by every process that reads it."""

    def _new_client(self):
        import chromadb

        self.spec.path.mkdir(parents=True, exist_ok=True)
        with _CONNECTING:   # Chroma looks the system up again while the client starts
            _forget_system(self.spec.path)
            return chromadb.PersistentClient(path=str(self.spec.path), settings=_chroma_settings())

    def _present(self) -> bool:
        return (self.spec.path / "chroma.sqlite3").exists()

    def reopen(self):
        self._col = None
        self._sent = None
        self._client = None

    def lock_path(self) -> Path:
        return self.spec.path / ".newsrag-index.lock"

    def cache_file(self, cache_dir: Path | None, stem: str) -> Path:
        return self.spec.path / f"{stem}-{self.collection_name}.pkl"


class ServerStore(_ChromaCollection):
    """A Chroma server (`chroma+http://HOST:PORT`), shared by several processes. Each read goes
    to the server, so a reader sees a writer's changes as soon as they are made. A missing
    collection is not built by a reader (which source folder would it take?)."""

    indexes_on_first_use = False

    def _new_client(self):
        import chromadb

        try:
            client = chromadb.HttpClient(host=self.spec.host, port=self.spec.port, ssl=self.spec.ssl,
                                         settings=_chroma_settings())
            client.heartbeat()
        except Exception as exc:
            raise StoreError(f"cannot reach the Chroma server at {self.spec}: {type(exc).__name__}; "
                             "start it with `chroma run --path DIR --port PORT` or check --store") from exc
        return client

    def _missing(self) -> StoreError:
        return StoreError(f"the Chroma server at {self.spec} has no collection {self.collection_name!r}: "
                          f"run `newsrag index --store {self.spec}`")

    def _key(self) -> str:
        return hashlib.sha256(f"{self.spec}/{self.collection_name}".encode()).hexdigest()[:16]

    def lock_path(self) -> Path:
        # the temp folder, not the cache: writers with different NEWSRAG_CACHE must meet at one lock
        return Path(tempfile.gettempdir()) / f"newsrag-index-{self._key()}.lock"

    def cache_file(self, cache_dir: Path | None, stem: str) -> Path | None:
        return None if cache_dir is None else Path(cache_dir) / f"{stem}-{self._key()}.pkl"


_CONNECTING = threading.Lock()
_warned: set[str] = set()


def _forget_system(path: Path) -> bool:
    """Make the next client of `path` read it from disk; False when this chromadb does not allow it.

    Embedded Chroma keeps one in-memory system per folder, shared by every client in the
    process, and its vector index never sees what another process wrote afterwards (get()
    does, query() does not: chroma-core/chroma#3792). The only way to a fresh one is to drop
    the folder's entry from `SharedSystemClient`'s private class-level maps, checked against
    chromadb CHROMADB_CHECKED (tests/store/test_chromadb_workaround.py). The old system is not
    stopped: a client elsewhere in the process that holds it keeps working, and it is freed
    with the last such client. Under another chromadb the maps are emptied only if they are
    still there, with a warning once; without them a reader sees another process's new vectors
    only after a restart."""
    import chromadb
    from chromadb.api.shared_system_client import SharedSystemClient

    installed = getattr(chromadb, "__version__", "?")
    systems = getattr(SharedSystemClient, "_identifier_to_system", None)
    refcounts = getattr(SharedSystemClient, "_identifier_to_refcount", None)
    usable = isinstance(systems, dict) and isinstance(refcounts, dict)
    if installed.split(".")[:2] != CHROMADB_CHECKED.split(".")[:2] and installed not in _warned:
        _warned.add(installed)
        warnings.warn(f"newsrag's embedded store was checked with chromadb {CHROMADB_CHECKED}, not {installed}: "
                      + ("its client cache is still reset" if usable else
                         "a reader will not see another process's new vectors until it restarts"), stacklevel=3)
    if not usable:
        return False
    systems.pop(str(path), None)
    refcounts.pop(str(path), None)
    return True
