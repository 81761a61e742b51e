"""`newsrag index` killed with SIGKILL half way through a few hundred articles: the store still
opens and answers, no reader trusts a cache of what was there before, and the next run
finishes the job."""
from __future__ import annotations

import os
import re
import signal
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
OLD_FACT = "The Russia-Ukraine peace talks lasted less than two hours, and sharp divisions quickly emerged."
NEW_FACT = "The Russia-Ukraine peace talks ran for exactly ninety-seven minutes, according to the organisers."
EDITED = "003_78f47c8603a584ce.txt"
PROGRESS = re.compile(r"(\d+)/(\d+) \[")


def watch_progress(proc) -> dict:
    """Read the child's stderr in a thread; `seen["done"]` is the last chunk count its bar showed."""
    seen = {"done": 0, "total": 0, "text": ""}

    def pump():
        fd = proc.stderr.fileno()
        while True:
            data = os.read(fd, 4096)
            if not data:
                return
            seen["text"] += data.decode(errors="replace")
            for m in PROGRESS.finditer(seen["text"][-400:]):
                seen["done"], seen["total"] = int(m.group(1)), int(m.group(2))

    threading.Thread(target=pump, daemon=True).start()
    return seen


def test_kill_9_mid_index_then_query_then_finish(tmp_path, corpus_store, clean_env, generate_articles):
    import subprocess
    import sys

    from index import sparse
    from index.articles import read_folder
    from index.chunking import chunk_article
    from index.store import open_store
    from rag import Engine, Settings

    folder, spec = corpus_store()
    store_dir = Path(spec[len("chroma:"):])
    sparse.load(open_store(spec), tmp_path / "cache")     # a reader's BM25 cache, version 1
    assert list(store_dir.glob("bm25-*.pkl"))

    names = generate_articles(folder)
    edited = folder / EDITED
    edited.write_text(edited.read_text(encoding="utf-8").replace(OLD_FACT, NEW_FACT), encoding="utf-8")

    newsrag = Path(sys.executable).parent / "newsrag"
    cmd = [str(newsrag), "index", "--source", str(folder), "--store", spec]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=clean_env(), cwd=tmp_path)
    seen = watch_progress(proc)
    deadline = time.monotonic() + 240
    while seen["done"] < 64 and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert proc.poll() is None, f"index finished before it could be killed: {seen['text'][-500:]}"
    assert 0 < seen["done"] < seen["total"], seen
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL

    # the store opens; part of the new articles are in, whole, and the edited seed is done
    store = open_store(spec)
    files = store.files()
    done = [n for n in names if n in files]
    assert 0 < len(done) < len(names), len(done)
    assert files[EDITED]["n_chunks"] == len(files[EDITED]["ids"])
    assert store.manifest()["version"] not in ("", "empty")

    # a query works, and every passage (BM25 leg included) is what the files say now
    engine = Engine(Settings(llm="extractive", store=spec, source=str(folder), cache_dir=str(tmp_path / "cache")))
    a = engine.ask("How long did the Russia-Ukraine peace talks last?")
    assert a.passages
    for p in a.passages:
        assert (folder / p.source).read_text(encoding="utf-8")[p.start:p.end] == p.text
        assert not (p.source == EDITED and "less than two hours" in p.text)
    assert "Fidan" in engine.ask("Who chaired the talks in Istanbul?").text

    # the next run completes the job: only what is missing is embedded
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=300, env=clean_env(), cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    m = re.search(r"added (\d+), updated (\d+), removed (\d+), unchanged (\d+)", r.stdout)
    added, updated, removed, unchanged = map(int, m.groups())
    assert removed == 0 and added + updated + unchanged == 5 + len(names)
    assert unchanged >= 5 + len(done) - 1 and added <= len(names) - len(done) + 1, r.stdout

    articles, _ = read_folder(folder)
    files = open_store(spec).files()
    assert set(files) == {a.source for a in articles}
    for art in articles:
        entry = files[art.source]
        assert entry["shas"] == {art.sha256}
        assert len(entry["ids"]) == entry["n_chunks"] == len(chunk_article(art, 400, 1))
