"""The Chroma store: one collection holding one corpus's chunks, vectors and metadata.

`chroma:DIR` is Chroma embedded on disk; `chroma+http://HOST:PORT` is a Chroma
server (auth through Chroma's own client settings and CHROMA_* variables). The
collection's metadata is the store's manifest: which folder it was built from,
with which embedding model and chunk settings, and a version stamp that changes
whenever its contents do (readers and the BM25 cache follow it). An embedded store
is read as it stands on disk when it connects; `reopen()` catches up with what another
process wrote since. Nothing opens until `open()`; telemetry is off.
"""
from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from .chunking import Chunk
from .errors import StoreError

MANIFEST_KEYS = ("newsrag_source", "embedding_model", "chunk_size", "chunk_overlap", "schema", "version")
SCHEMA = 2   # bump when what is embedded or how chunks are made changes
PAGE = 2000


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


_CONNECTING = threading.Lock()


def _drop_cached_system(path: Path):
    """Make the next client of `path` read it from disk. Embedded Chroma keeps one in-memory
    system per folder, shared by every client in the process, and its vector index never sees
    what another process wrote afterwards (get() does, query() does not: chroma-core/chroma#3792).
    The old system is not stopped: a client elsewhere in the process that holds it keeps working,
    and it is freed with the last such client."""
    from chromadb.api.shared_system_client import SharedSystemClient

    SharedSystemClient._identifier_to_system.pop(str(path), None)
    SharedSystemClient._identifier_to_refcount.pop(str(path), None)


class ChromaStore:
    def __init__(self, spec: StoreSpec, collection: str = "newsrag"):
        if not 3 <= len(collection) <= 512:
            raise StoreError(f"collection name {collection!r} must have 3 to 512 characters (NEWSRAG_COLLECTION)")
        self.spec = spec
        self.collection_name = collection
        self._client = None
        self._col = None

    # -- connection -----------------------------------------------------------------
    def _connect(self):
        if self._client is None:
            import chromadb
            from chromadb.config import Settings as ChromaSettings

            settings = ChromaSettings(anonymized_telemetry=False, allow_reset=False)
            if self.spec.kind == "http":
                try:
                    self._client = chromadb.HttpClient(host=self.spec.host, port=self.spec.port, ssl=self.spec.ssl,
                                                       settings=settings)
                    self._client.heartbeat()
                except Exception as exc:
                    self._client = None
                    raise StoreError(f"cannot reach the Chroma server at {self.spec}: {type(exc).__name__}; "
                                     "start it with `chroma run --path DIR --port PORT` or check --store") from exc
            else:
                self.spec.path.mkdir(parents=True, exist_ok=True)
                with _CONNECTING:   # Chroma looks the system up again while the client starts
                    _drop_cached_system(self.spec.path)
                    self._client = chromadb.PersistentClient(path=str(self.spec.path), settings=settings)
        return self._client

    def exists(self) -> bool:
        if self.spec.kind == "dir" and not (self.spec.path / "chroma.sqlite3").exists():
            return False
        try:
            self._connect().get_collection(self.collection_name)
            return True
        except StoreError:
            raise
        except Exception:
            return False

    def open(self, create: bool = False):
        """The collection; with create=False a missing one is a StoreError saying to index."""
        if self._col is not None:
            return self._col
        if not create and not self.exists():
            raise StoreError(f"no index at {self.spec} (collection {self.collection_name!r}): run `newsrag index`")
        client = self._connect()
        if create:
            self._col = client.get_or_create_collection(self.collection_name, metadata={"hnsw:space": "cosine"})
        else:
            self._col = client.get_collection(self.collection_name)
        return self._col

    def drop(self):
        client = self._connect()
        try:
            client.delete_collection(self.collection_name)
        except Exception:
            pass
        self._col = None

    def refresh(self):
        """Forget the cached collection handle so the next call sees a writer's changes."""
        self._col = None

    def reopen(self):
        """Reconnect, so that queries see vectors another process has written since we connected."""
        self._col = None
        self._client = None

    # -- manifest ----------------------------------------------------------------------
    def manifest(self) -> dict:
        col = self.open()
        if self.spec.kind == "http":
            col = self._connect().get_collection(self.collection_name)
        meta = dict(col.metadata or {})
        return {k: meta[k] for k in MANIFEST_KEYS if k in meta}

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
