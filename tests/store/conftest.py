"""A real Chroma server for the session (`chroma run` from the venv), and the helpers
the store tests share: running the `newsrag` command, and engines over either store kind."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from bench.servers import child_env as clean_env

ROOT = Path(__file__).resolve().parents[2]
SEEDS = ROOT / "seeds"
BIN = Path(sys.executable).parent
NEWSRAG = BIN / "newsrag"


@pytest.fixture(scope="session")
def chroma_server(tmp_path_factory):
    """`chroma run --path TMP --host 127.0.0.1 --port FREE`; yields its store spec, stops it at the end."""
    from bench.servers import CHROMA, chroma_server

    if not CHROMA.exists():
        pytest.skip(f"no chroma command at {CHROMA}")
    with chroma_server(tmp_path_factory.mktemp("chroma-server"), env=clean_env()) as spec:
        yield spec


@pytest.fixture(scope="session")
def server_seeded(chroma_server, embedder):
    """The seeds indexed into the server, collection `newsrag_engine_tests` (in-process, once)."""
    from index.indexer import index_folder
    from index.store import open_store

    collection = "newsrag_engine_tests"
    index_folder(SEEDS, open_store(chroma_server, collection), embedder, progress=False)
    return chroma_server, collection


@pytest.fixture
def run_newsrag(tmp_path):
    """Run `newsrag ARGS` in a clean environment from a scratch folder; returns CompletedProcess."""
    cache = tmp_path / "cache"

    def run(*args, env=None, timeout=240, cwd=None):
        return subprocess.run([str(NEWSRAG), *map(str, args)], capture_output=True, text=True, timeout=timeout,
                              env=clean_env(NEWSRAG_CACHE=cache, **(env or {})), cwd=cwd or tmp_path)

    return run


