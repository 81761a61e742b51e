"""A real Chroma server for the session (`chroma run` from the venv), and the helpers
the store tests share: running the `newsrag` command, and engines over either store kind."""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SEEDS = ROOT / "seeds"
BIN = Path(sys.executable).parent
CHROMA = BIN / "chroma"
NEWSRAG = BIN / "newsrag"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def clean_env(**extra) -> dict:
    """The environment for a child process: no NEWSRAG_* from the caller, offline, no telemetry."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSRAG_")}
    env.update(HF_HUB_OFFLINE="1", ANONYMIZED_TELEMETRY="False", TOKENIZERS_PARALLELISM="false",
               NEWSRAG_THREADS="1")
    env.update({k: str(v) for k, v in extra.items()})
    return env


@pytest.fixture(scope="session")
def chroma_server(tmp_path_factory):
    """`chroma run --path TMP --host 127.0.0.1 --port FREE`; yields its store spec, stops it at the end."""
    if not CHROMA.exists():
        pytest.skip(f"no chroma command at {CHROMA}")
    base = tmp_path_factory.mktemp("chroma-server")
    port = free_port()
    log = open(base / "server.log", "wb")
    proc = subprocess.Popen([str(CHROMA), "run", "--path", str(base / "data"), "--host", "127.0.0.1",
                             "--port", str(port)], stdout=log, stderr=subprocess.STDOUT, env=clean_env(),
                            cwd=base)
    url = f"http://127.0.0.1:{port}/api/v2/heartbeat"
    deadline = time.monotonic() + 60
    try:
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"chroma run exited with {proc.returncode}: "
                                   f"{(base / 'server.log').read_text(errors='replace')[-2000:]}")
            try:
                with urllib.request.urlopen(url, timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("the Chroma server did not answer its heartbeat within 60 s")
            time.sleep(0.3)
        yield f"chroma+http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=15)
        log.close()


@pytest.fixture(scope="session")
def server_seeded(chroma_server, embedder):
    """The seeds indexed into the server, collection `newsrag_engine_tests` (in-process, once)."""
    from index.indexer import index_folder
    from index.store import ChromaStore, StoreSpec

    collection = "newsrag_engine_tests"
    index_folder(SEEDS, ChromaStore(StoreSpec.parse(chroma_server), collection), embedder, progress=False)
    return chroma_server, collection


@pytest.fixture
def run_newsrag(tmp_path):
    """Run `newsrag ARGS` in a clean environment from a scratch folder; returns CompletedProcess."""
    cache = tmp_path / "cache"

    def run(*args, env=None, timeout=240, cwd=None):
        return subprocess.run([str(NEWSRAG), *map(str, args)], capture_output=True, text=True, timeout=timeout,
                              env=clean_env(NEWSRAG_CACHE=cache, **(env or {})), cwd=cwd or tmp_path)

    return run


@pytest.fixture(name="free_port", scope="session")
def free_port_fixture():
    return free_port


@pytest.fixture(name="clean_env", scope="session")
def clean_env_fixture():
    return clean_env
