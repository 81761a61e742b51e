"""Shared fixtures: the real seeds, a real Chroma in tmp_path, the real packaged embedder."""
from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")


@pytest.fixture(scope="session")
def embedder():
    """The real all-MiniLM-L6-v2, loaded once per test session."""
    from index.embed import MiniLM

    return MiniLM()


@pytest.fixture
def seeds_copy(tmp_path) -> Path:
    """A writable copy of the seed articles."""
    dest = tmp_path / "articles"
    shutil.copytree(SEEDS, dest)
    return dest


@pytest.fixture(scope="session")
def seeded_store(tmp_path_factory, embedder):
    """A real Chroma store holding the seeds, built once and shared read-only."""
    from index.indexer import index_folder
    from index.store import ChromaStore, StoreSpec

    path = tmp_path_factory.mktemp("store") / "chroma"
    store = ChromaStore(StoreSpec("dir", path=path))
    index_folder(SEEDS, store, embedder, progress=False)
    return path


@pytest.fixture
def engine_factory(seeded_store, monkeypatch):
    """Engine(Settings(...)) over the shared seeded store, NEWSRAG_* variables cleared."""
    for var in list(os.environ):
        if var.startswith("NEWSRAG_"):
            monkeypatch.delenv(var)

    def make(**kw):
        from rag import Engine, Settings

        kw.setdefault("llm", "extractive")
        return Engine(Settings(store=f"chroma:{seeded_store}", source=str(SEEDS), **kw))

    return make


@pytest.fixture(name="free_port", scope="session")
def free_port_fixture():
    """A function returning a free loopback port."""
    from index.server import free_port

    return free_port


@pytest.fixture(name="clean_env", scope="session")
def clean_env_fixture():
    """A function building a child process's environment (see index.server.child_env)."""
    from index.server import child_env

    return child_env
