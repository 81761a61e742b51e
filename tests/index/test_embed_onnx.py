"""MiniLM in onnxruntime: the packaged model exported once to fp32 ONNX (queries) and an
int8 copy (documents), cached. Real exports of the real packaged model into tmp_path
caches; torch is the reference."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from index.articles import read_folder
from index.chunking import chunk_article, passage_sentences
from index.embed import DOCUMENTS_INT8, MODEL_NAME, MiniLM

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def seed_texts() -> list[str]:
    """Chunk-sized and sentence-sized texts of the seeds, plus a long one that is truncated."""
    articles, _ = read_folder(ROOT / "seeds")
    chunks = [c.text for a in articles for c in chunk_article(a, 400, 1)]
    sentences = list(dict.fromkeys(s for c in chunks for s in passage_sentences(c)))
    return chunks[:40] + sentences[:40] + [" ".join(chunks[:6])]


@pytest.fixture(scope="module")
def torch_vectors(seed_texts):
    model = MiniLM(backend="torch")
    return model, model.embed_documents(seed_texts)


@pytest.fixture(scope="module")
def exported(tmp_path_factory) -> Path:
    """A cache folder holding the export and its int8 copy, made once for the tests that read them."""
    cache = tmp_path_factory.mktemp("onnx-cache")
    MiniLM(backend="onnx", cache_dir=cache).warm_up()
    return cache


def cosines(a, b) -> list[float]:
    return [sum(x * y for x, y in zip(u, v)) for u, v in zip(a, b)]


def test_onnx_fp32_vectors_are_torchs(seed_texts, torch_vectors, exported):
    reference, want = torch_vectors
    model = MiniLM(cache_dir=exported, documents="fp32")
    got = model.embed_documents(seed_texts)            # more than INDEXING_BATCH: parallel batches
    assert model.runtime == "onnx" and reference.runtime == "torch"
    assert len(got) == len(want) and len(got[0]) == 384
    assert min(cosines(got, want)) > 0.9999
    few = model.embed_documents(seed_texts[40:45])     # a query-sized call, on the caller's thread
    assert min(cosines(few, want[40:45])) > 0.9999
    query = seed_texts[41]
    assert cosines([model.embed_query(query)], [reference.embed_query(query)])[0] > 0.9999
    assert abs(sum(x * x for x in got[0]) - 1.0) < 1e-5          # unit length: cosine is a dot product
    assert model.name == reference.name == MODEL_NAME           # the same vectors, the same manifest name


def test_int8_documents_are_close_and_named_apart_queries_stay_fp32(seed_texts, torch_vectors, exported):
    reference, want = torch_vectors
    model = MiniLM(cache_dir=exported)
    got = model.embed_documents(seed_texts)
    close = cosines(got, want)
    assert model.name == DOCUMENTS_INT8 != MODEL_NAME          # a store of int8 documents says so
    assert min(close) > 0.98 and sum(close) / len(close) > 0.995
    assert max(close) < 0.99999                                 # really the int8 copy, not the fp32 model
    query = seed_texts[41]
    assert cosines([model.embed_query(query)], [reference.embed_query(query)])[0] > 0.9999


def test_the_export_is_cached_and_reused_without_torch(exported, seed_texts, torch_vectors):
    model = MiniLM(cache_dir=exported)
    path, int8 = model.onnx_path(), model.int8_path()
    assert path.parent == int8.parent == exported and path.exists() and int8.exists()
    assert sorted(p.name for p in exported.iterdir()) == sorted([path.name, int8.name])  # no temporary file left
    before = [p.stat() for p in (path, int8)]
    code = ("import sys, json; from index.embed import MiniLM; "
            f"m = MiniLM(cache_dir={str(exported)!r}); v = m.embed_query({seed_texts[41]!r}); "
            f"d = m.embed_documents([{seed_texts[41]!r}]); "
            "print(json.dumps({'runtime': m.runtime, 'torch': 'torch' in sys.modules, 'onnx': 'onnx' in sys.modules, "
            "'name': m.name, 'v': v, 'd': d[0]}))")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=240, cwd=ROOT,
                       env={**os.environ, "PYTHONPATH": str(ROOT), "HF_HUB_OFFLINE": "1"})
    assert r.returncode == 0, r.stderr[-2000:]
    out = json.loads(r.stdout.strip().splitlines()[-1])
    assert out["runtime"] == "onnx" and out["torch"] is False and out["onnx"] is False   # read, not made again
    assert out["name"] == DOCUMENTS_INT8
    assert cosines([out["v"]], [torch_vectors[1][41]])[0] > 0.9999
    assert 0.98 < cosines([out["d"]], [torch_vectors[1][41]])[0] < 0.99999
    for stat, p in zip(before, (path, int8)):
        after = p.stat()
        assert (after.st_ino, after.st_mtime_ns, after.st_size) == (stat.st_ino, stat.st_mtime_ns, stat.st_size)


@pytest.mark.parametrize("damage", ["cut short", "not a model"])
@pytest.mark.parametrize("which", ["fp32", "int8"])
def test_a_broken_cache_file_is_made_again(tmp_path, exported, seed_texts, torch_vectors, damage, which):
    import shutil

    cache = tmp_path / "cache"
    shutil.copytree(exported, cache)
    model = MiniLM(cache_dir=cache)
    path, other = (model.onnx_path(), model.int8_path()) if which == "fp32" else (model.int8_path(), model.onnx_path())
    size = path.stat().st_size
    data = path.read_bytes()
    path.write_bytes(data[:len(data) // 3] if damage == "cut short" else b"\x00garbage" * 1000)
    got = model.embed_documents(seed_texts[:3])
    query = model.embed_query(seed_texts[1])
    assert model.runtime == "onnx" and model.name == DOCUMENTS_INT8
    assert path.stat().st_size == size
    assert min(cosines(got, torch_vectors[1][:3])) > 0.98
    assert cosines([query], [torch_vectors[1][1]])[0] > 0.9999
    assert sorted(p.name for p in cache.iterdir()) == sorted([path.name, other.name])


def test_without_a_usable_cache_it_runs_in_torch(tmp_path, seed_texts, torch_vectors):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the cache folder should be")
    model = MiniLM(cache_dir=blocker / "onnx")
    got = model.embed_documents(seed_texts[:3])
    assert model.runtime == "torch" and model.name == MODEL_NAME    # fp32 documents: the plain name
    assert min(cosines(got, torch_vectors[1][:3])) > 0.9999
    with pytest.raises(OSError):
        MiniLM(backend="onnx", cache_dir=blocker / "onnx").warm_up()
