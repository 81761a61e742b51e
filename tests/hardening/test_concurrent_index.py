"""Two `newsrag index` at once on one store: the second says another is running (exit 2, one
line), or with --wait waits its turn and then finds nothing to do; the store ends whole."""
from __future__ import annotations

import os
import re
import shutil
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SEEDS = ROOT / "seeds"
PROGRESS = re.compile(r"(\d+)/(\d+) \[")


def watch_progress(proc) -> dict:
    seen = {"done": 0, "text": ""}

    def pump():
        while data := os.read(proc.stderr.fileno(), 4096):
            seen["text"] += data.decode(errors="replace")
            for m in PROGRESS.finditer(seen["text"][-400:]):
                seen["done"] = int(m.group(1))

    threading.Thread(target=pump, daemon=True).start()
    return seen


def test_second_index_refused_or_waits(tmp_path, popen_newsrag, generate_articles):
    from index.articles import read_folder
    from index.store import open_store

    folder = tmp_path / "articles"
    shutil.copytree(SEEDS, folder)
    names = generate_articles(folder)
    spec = f"chroma:{tmp_path / 'chroma'}"
    args = ("index", "--source", folder, "--store", spec)

    first = popen_newsrag(*args)
    seen = watch_progress(first)
    deadline = time.monotonic() + 240
    while seen["done"] == 0 and first.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert first.poll() is None, seen["text"][-500:]

    second = popen_newsrag(*args)
    waiter = popen_newsrag(*args, "--wait", 300)
    out, err = second.communicate(timeout=120)
    assert first.poll() is None, "the first index finished before the second reached the lock"
    assert second.returncode == 2, (out, err)
    assert out == "" and len(err.strip().splitlines()) == 1, err
    assert err.startswith("newsrag: another `newsrag index` is writing to chroma:") and "wait" in err

    assert first.wait(timeout=300) == 0, seen["text"][-1000:]
    first_out = first.stdout.read()
    assert "added 305, updated 0, removed 0, unchanged 0" in first_out, first_out
    out, err = waiter.communicate(timeout=300)
    assert waiter.returncode == 0, err
    assert "added 0, updated 0, removed 0, unchanged 305" in out, out

    # nothing corrupted: every file whole, no chunk twice
    articles, _ = read_folder(folder)
    store = open_store(spec)
    files = store.files()
    assert set(files) == {a.source for a in articles} and len(articles) == 5 + len(names)
    for a in articles:
        assert files[a.source]["shas"] == {a.sha256}
        assert len(files[a.source]["ids"]) == files[a.source]["n_chunks"]
    assert store.count() == sum(f["n_chunks"] for f in files.values())


def test_lock_held_in_process_refuses_the_command(tmp_path, run_newsrag, corpus_store):
    """The lock is the one the indexer takes: holding it makes `newsrag index` say so at once."""
    from index.indexer import writer_lock
    from index.store import open_store

    folder, spec = corpus_store()
    with writer_lock(open_store(spec)):
        t0 = time.monotonic()
        r = run_newsrag("index", "--source", folder, "--store", spec)
        assert r.returncode == 2 and len(r.stderr.strip().splitlines()) == 1, r.stderr
        assert "another `newsrag index`" in r.stderr
        assert time.monotonic() - t0 < 60
    r = run_newsrag("index", "--source", folder, "--store", spec)
    assert r.returncode == 0 and "unchanged 5" in r.stdout, r.stderr
