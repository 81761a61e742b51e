"""Shared pieces of the hardening tests: a clean environment for `newsrag` child processes,
a generated corpus big enough that indexing takes a while, a seeded store per test, and
llama.cpp's OpenAI-compatible server. (The scripted chat backend is tests/conftest.py's.)"""
from __future__ import annotations

import os
import random
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from bench.servers import child_env as clean_env
from bench.servers import free_port

ROOT = Path(__file__).resolve().parents[2]
SEEDS = ROOT / "seeds"
NEWSRAG = Path(sys.executable).parent / "newsrag"


def generate_articles(dest: Path, n: int = 300, per: int = 2, seed: int = 7) -> list[str]:
    """`n` short articles of `per` seed sentences each and a line of their own; returns names."""
    sentences = []
    for path in sorted(SEEDS.glob("*.txt")):
        for s in re.split(r"(?<=[.!?])\s+", path.read_text(encoding="utf-8")):
            s = " ".join(s.split())
            if 60 <= len(s) <= 300:
                sentences.append(s)
    rng = random.Random(seed)
    dest.mkdir(parents=True, exist_ok=True)
    names = []
    for i in range(n):
        body = rng.sample(sentences, per)
        body.insert(1, f"Archive bulletin {i} was filed by correspondent number {1000 + i}.")
        paragraphs = "\n\n".join(" ".join(body[j:j + 3]) for j in range(0, len(body), 3))
        name = f"gen_{i:03d}.txt"
        (dest / name).write_text(f"date 2025-06-{1 + i % 28:02d} Bulletin {i} on the Istanbul talks\n\n"
                                 f"{paragraphs}\n", encoding="utf-8")
        names.append(name)
    return names


@pytest.fixture(name="generate_articles", scope="session")
def generate_articles_fixture():
    return generate_articles


@pytest.fixture
def run_newsrag(tmp_path):
    """Run `newsrag ARGS` in a clean environment from a scratch folder; returns CompletedProcess."""
    def run(*args, env=None, timeout=300, cwd=None):
        return subprocess.run([str(NEWSRAG), *map(str, args)], capture_output=True, text=True, timeout=timeout,
                              env=clean_env(NEWSRAG_CACHE=tmp_path / "cache", **(env or {})), cwd=cwd or tmp_path)

    return run


@pytest.fixture
def popen_newsrag(tmp_path):
    """Start `newsrag ARGS` (stdout and stderr piped, text); the caller waits or kills it."""
    started = []

    def start(*args, env=None):
        p = subprocess.Popen([str(NEWSRAG), *map(str, args)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             text=True, env=clean_env(NEWSRAG_CACHE=tmp_path / "cache", **(env or {})), cwd=tmp_path)
        started.append(p)
        return p

    yield start
    for p in started:
        if p.poll() is None:
            p.kill()
            p.wait(timeout=30)


@pytest.fixture
def no_newsrag_env(monkeypatch):
    for var in list(os.environ):
        if var.startswith("NEWSRAG_"):
            monkeypatch.delenv(var)
    monkeypatch.setenv("NEWSRAG_THREADS", "1")


@pytest.fixture
def corpus_store(tmp_path, embedder):
    """Index a folder into a fresh embedded store in tmp_path; returns (folder, store spec)."""
    from index.indexer import index_folder
    from index.store import open_store

    def make(extra: dict[str, bytes | str] | None = None, name: str = "articles"):
        folder = tmp_path / name
        shutil.copytree(SEEDS, folder)
        for fname, content in (extra or {}).items():
            path = folder / fname
            if isinstance(content, bytes):
                path.write_bytes(content)
            else:
                path.write_text(content, encoding="utf-8")
        spec = f"chroma:{tmp_path / (name + '-chroma')}"
        index_folder(folder, open_store(spec), embedder, progress=False)
        return folder, spec

    return make


@pytest.fixture(scope="session")
def llama_server(tmp_path_factory):
    """llama.cpp's OpenAI-compatible server (`python -m llama_cpp.server`) with the packaged
    SmolLM2-135M; yields its base URL (…/v1) and stops it at the end."""
    from bench.servers import serve
    from rag.models import model_path

    base = tmp_path_factory.mktemp("llama-server")
    model = model_path("smollm", base / "cache")
    port = free_port()
    url = f"http://127.0.0.1:{port}/v1"
    cmd = [sys.executable, "-m", "llama_cpp.server", "--model", str(model), "--host", "127.0.0.1", "--port", str(port),
           "--n_threads", "2", "--n_threads_batch", "2", "--n_ctx", "2048", "--verbose", "False"]
    with serve(cmd, f"{url}/models", log_path=base / "server.log", limit_s=120, env=clean_env(), cwd=base):
        yield url
