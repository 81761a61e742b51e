"""Shared fixtures: the real seeds, a real Chroma in tmp_path, the real packaged embedder."""
from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")


@pytest.fixture(scope="session")
def embedder():
    """The real all-MiniLM-L6-v2: the process's one copy, loaded once per test session."""
    from index.embed import MiniLM

    return MiniLM.shared()


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
    from index.store import open_store

    path = tmp_path_factory.mktemp("store") / "chroma"
    store = open_store(f"chroma:{path}")
    index_folder(SEEDS, store, embedder, progress=False)
    return path


@pytest.fixture(scope="session")
def news_engine(tmp_path_factory, embedder):
    """make(articles, llm="extractive", **settings): an Engine over a new folder holding
    `articles` ({file name: text}) with its own real Chroma store in tmp_path, on the shared
    embedder; `llm` is a spec or a backend object handed to the engine."""
    def make(articles: dict[str, str], llm="extractive", **settings):
        from rag import Engine, Settings

        folder = tmp_path_factory.mktemp("news")
        for name, text in articles.items():
            (folder / name).write_text(text, encoding="utf-8")
        store = tmp_path_factory.mktemp("store") / "chroma"
        return Engine(Settings(store=f"chroma:{store}", source=str(folder), **settings), embedder=embedder, llm=llm)

    return make


@pytest.fixture
def engine_factory(seeded_store, embedder, monkeypatch):
    """Engine(Settings(...)) over the shared seeded store and embedder, NEWSRAG_* variables
    cleared. `llm` is a spec (default extractive) or a backend object handed to the engine."""
    for var in list(os.environ):
        if var.startswith("NEWSRAG_"):
            monkeypatch.delenv(var)

    def make(llm="extractive", **kw):
        from rag import Engine, Settings

        return Engine(Settings(store=f"chroma:{seeded_store}", source=str(SEEDS), **kw), embedder=embedder, llm=llm)

    return make


class Scripted:
    """A chat backend that replays a fixed draft, or one made from the prompt (`reply(system, user)`),
    for tests about orchestration. Records each (system, user) it is sent in `calls`."""

    name = "scripted:test"
    small = False

    def __init__(self, draft: str = "", error: Exception | None = None, delay: float = 0.0, reply=None):
        self.draft, self.error, self.delay, self.reply, self.calls = draft, error, delay, reply, []

    def warm_up(self) -> None:
        pass

    def count_tokens(self, text: str) -> int | None:
        return len(text.split())

    def stream(self, system, user, *, max_tokens):
        self.calls.append((system, user))
        draft = self.reply(system, user) if self.reply else self.draft
        for word in draft.split(" "):
            time.sleep(self.delay)
            yield word + " "
        if self.error:
            raise self.error


@pytest.fixture(name="Scripted", scope="session")
def scripted_class():
    return Scripted


@pytest.fixture(name="free_port", scope="session")
def free_port_fixture():
    """A function returning a free loopback port."""
    from bench.servers import free_port

    return free_port


@pytest.fixture(name="clean_env", scope="session")
def clean_env_fixture():
    """A function building a child process's environment (see bench.servers.child_env)."""
    from bench.servers import child_env

    return child_env
