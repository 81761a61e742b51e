"""An index built with another embedding model, other chunk settings or an older schema is
detected before it answers anything, with the instruction to re-index; following that
instruction fixes it."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from index.embed import MODEL_NAME
from rag.errors import NewsragError

ROOT = Path(__file__).resolve().parents[2]
SEEDS = ROOT / "seeds"
QUESTION = "Who chaired the talks in Istanbul?"


class OtherEmbedder:
    """Stands in for a different embedding model (only its name matters here)."""

    name = "some-other-embedding-model"

    def embed_documents(self, texts):
        return [[float(len(t) % 7 + 1)] + [0.0] * 383 for t in texts]

    def embed_query(self, text):
        return [1.0] + [0.0] * 383


def build(tmp_path, embedder, **kw) -> str:
    from index.indexer import index_folder
    from index.store import open_store

    folder = tmp_path / "articles"
    if not folder.exists():
        shutil.copytree(SEEDS, folder)
    spec = f"chroma:{tmp_path / 'chroma'}"
    index_folder(folder, open_store(spec), embedder, progress=False, **kw)
    return spec


class NeverSearched:
    """The packaged model's name, and a test failure if the engine embeds anything."""

    name = MODEL_NAME

    def embed_documents(self, texts):
        raise AssertionError("the engine embedded passages of an index it should have refused")

    def embed_query(self, text):
        raise AssertionError("the engine searched an index it should have refused")


def engine(spec, tmp_path, embedder=None, **kw):
    from rag import Engine, Settings

    return Engine(Settings(llm="extractive", store=spec, source=str(tmp_path / "articles"),
                           cache_dir=str(tmp_path / "cache"), **kw), embedder=embedder)


def test_other_embedding_model_is_refused_with_the_fix(tmp_path, no_newsrag_env):
    """Refused when the engine cannot make it again: the folder it was built from is gone (the
    engine's own store of a folder that is there is rebuilt instead: tests/rag/test_answers.py)."""
    spec = build(tmp_path, OtherEmbedder())
    shutil.move(tmp_path / "articles", tmp_path / "moved")
    e = engine(spec, tmp_path, embedder=NeverSearched())     # refused before anything is searched
    with pytest.raises(NewsragError, match=r"embedding_model.*newsrag index --rebuild"):
        e.ask(QUESTION)


def test_other_chunk_settings_are_refused_with_the_fix(tmp_path, embedder, no_newsrag_env):
    spec = build(tmp_path, embedder, size=600)
    with pytest.raises(NewsragError, match=r"chunk_size.*newsrag index --rebuild"):
        engine(spec, tmp_path).ask(QUESTION)
    assert "Fidan" in engine(spec, tmp_path, chunk_size=600).ask(QUESTION).text  # the settings it was built with


def test_older_schema_is_refused_with_the_fix(tmp_path, embedder, no_newsrag_env):
    """A store written by an older newsrag (schema 1: what was embedded has changed since)."""
    from index.store import SCHEMA, open_store

    spec = build(tmp_path, embedder)
    store = open_store(spec)
    store.set_manifest({**store.manifest(), "schema": SCHEMA - 1})
    with pytest.raises(NewsragError, match=r"schema.*newsrag index --rebuild"):
        engine(spec, tmp_path).ask(QUESTION)


def test_cli_says_how_to_fix_and_rebuild_fixes_it(tmp_path, embedder, run_newsrag):
    spec = build(tmp_path, embedder)        # chunk size 400, the default
    folder = tmp_path / "articles"
    changed = {"NEWSRAG_CHUNK_SIZE": "600"}

    r = run_newsrag("ask", "--store", spec, "--source", folder, "--llm", "extractive", QUESTION, env=changed)
    assert r.returncode == 2 and r.stdout == ""
    assert len(r.stderr.strip().splitlines()) == 1, r.stderr
    assert "chunk_size=400" in r.stderr and "600" in r.stderr and "newsrag index --rebuild" in r.stderr

    r = run_newsrag("index", "--store", spec, "--source", folder, env=changed)
    assert r.returncode == 2 and len(r.stderr.strip().splitlines()) == 1, r.stderr
    assert "newsrag index --rebuild" in r.stderr

    r = run_newsrag("index", "--store", spec, "--source", folder, "--rebuild", env=changed)
    assert r.returncode == 0 and "added 5" in r.stdout, r.stderr
    r = run_newsrag("ask", "--store", spec, "--source", folder, "--llm", "extractive", QUESTION, env=changed)
    assert r.returncode == 0 and "Fidan" in r.stdout, r.stderr
