"""Local server processes for the bench and the tests: start, wait until they answer, stop.

`serve(cmd, ready_url)` runs any command that opens an HTTP port; `chroma_server` is the
Chroma one (`chroma run` from this venv), yielding its `chroma+http://` store spec, and
`chat_server` the chat page (`newsrag chat` in a process of its own), yielding its URL.
Each process is stopped however the block ends. Loopback only. Not used by the engine.
"""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

CHROMA = Path(sys.executable).parent / "chroma"


def child_env(**extra) -> dict:
    """The environment for a child newsrag or server process in tests and benchmarks:
    the caller's, less NEWSRAG_* settings, offline, no telemetry, one llama.cpp thread."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSRAG_")}
    env.update(HF_HUB_OFFLINE="1", ANONYMIZED_TELEMETRY="False", TOKENIZERS_PARALLELISM="false",
               NEWSRAG_THREADS="1")
    env.update({k: str(v) for k, v in extra.items()})
    return env


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def serve(cmd: list[str], ready_url: str, *, log_path: Path, limit_s: float = 60.0, env: dict | None = None,
          cwd: Path | None = None):
    """Run `cmd` until `ready_url` answers 200 (RuntimeError, with the log's tail, if it exits
    or does not answer within `limit_s`); stop it when the block ends."""
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=env, cwd=cwd)
        try:
            deadline = time.monotonic() + limit_s
            while True:
                if proc.poll() is not None:
                    tail = Path(log_path).read_text(errors="replace")[-2000:]
                    raise RuntimeError(f"{Path(cmd[0]).name} exited with {proc.returncode}: {tail}")
                try:
                    with urllib.request.urlopen(ready_url, timeout=2) as r:
                        if r.status == 200:
                            break
                except OSError:
                    pass
                if time.monotonic() > deadline:
                    raise RuntimeError(f"{ready_url} did not answer within {limit_s:g} s")
                time.sleep(0.3)
            yield proc
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=15)


@contextmanager
def chroma_server(base: Path, *, limit_s: float = 60.0, env: dict | None = None):
    """`chroma run` on a free loopback port with its data under `base`; yields the store spec."""
    base.mkdir(parents=True, exist_ok=True)
    port = free_port()
    cmd = [str(CHROMA), "run", "--path", str(base / "data"), "--host", "127.0.0.1", "--port", str(port)]
    env = {**(env if env is not None else os.environ), "ANONYMIZED_TELEMETRY": "False"}
    with serve(cmd, f"http://127.0.0.1:{port}/api/v2/heartbeat", log_path=base / "server.log", limit_s=limit_s,
               env=env, cwd=base):
        yield f"chroma+http://127.0.0.1:{port}"


def newsrag_command() -> list[str]:
    """How to run `newsrag` from this venv: its console script, else `python -m ui.cli`."""
    exe = Path(sys.executable).with_name("newsrag")
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "ui.cli"]


@contextmanager
def chat_server(args: list[str], log_path: Path, *, limit_s: float = 180.0, env: dict | None = None,
                cwd: Path | None = None):
    """`newsrag chat ARGS --port FREE` in its own process (extractive, its own store and
    source as ARGS say); yields the page's URL once it answers, stops it at the end."""
    port = free_port()
    cmd = newsrag_command() + ["chat", "--host", "127.0.0.1", "--port", str(port), *args]
    url = f"http://127.0.0.1:{port}/"
    with serve(cmd, url, log_path=log_path, limit_s=limit_s, env=env if env is not None else child_env(), cwd=cwd):
        yield url
