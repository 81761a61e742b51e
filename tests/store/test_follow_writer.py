"""A reader Engine keeps running while `newsrag index` (another process) rewrites the store
under it: it sees the change on its next question, over both store kinds. BM25 follows the
store's version stamp; the dense leg reconnects (embedded Chroma caches vectors per process)."""
from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SEEDS = ROOT / "seeds"
NEWSRAG = Path(sys.executable).parent / "newsrag"


def article_text(folder: Path, source: str) -> str:
    return (folder / source).read_text(encoding="utf-8")


NEW_FACT = ("Negotiator Zorana Kvetkova announced on Friday that 4,321 detainees would be exchanged "
            "under the Istanbul arrangement.")
OLD_FACT = "The Russia-Ukraine peace talks lasted less than two hours, and sharp divisions quickly emerged."
QUESTION = "How many detainees did Zorana Kvetkova announce would be exchanged?"


@pytest.mark.parametrize("kind", ["embedded", "server"])
def test_reader_sees_a_reindex_without_restarting(kind, request, tmp_path, embedder, clean_env):
    """A reader Engine keeps running while `newsrag index` (another process) rewrites the store."""
    from index.indexer import index_folder
    from index.store import open_store
    from rag import Engine, Settings

    folder = tmp_path / "articles"
    shutil.copytree(SEEDS, folder)
    if kind == "embedded":
        spec, collection = f"chroma:{tmp_path / 'chroma'}", "newsrag"
    else:
        spec, collection = request.getfixturevalue("chroma_server"), f"follow_{tmp_path.name[-40:]}"
        collection = "".join(ch if ch.isalnum() else "_" for ch in collection)
    index_folder(folder, open_store(spec, collection), embedder, progress=False)

    reader = Engine(Settings(llm="extractive", store=spec, collection=collection, source=str(folder),
                             cache_dir=str(tmp_path / "cache")))
    before = reader.ask(QUESTION)
    assert before.refused, before.text
    version = reader.corpus.sparse_index().version

    edited = folder / "003_78f47c8603a584ce.txt"
    text = edited.read_text(encoding="utf-8")
    assert OLD_FACT in text
    edited.write_text(text.replace(OLD_FACT, NEW_FACT), encoding="utf-8")
    r = subprocess.run([str(NEWSRAG), "index", "--store", spec, "--source", str(folder)], capture_output=True,
                       text=True, timeout=300, cwd=tmp_path,
                       env=clean_env(NEWSRAG_COLLECTION=collection, NEWSRAG_CACHE=tmp_path / "writer-cache"))
    assert r.returncode == 0, r.stderr
    assert "added 0, updated 1, removed 0, unchanged 4" in r.stdout
    assert " 0 deleted" not in r.stdout  # the edited passage's old chunks went

    after = reader.ask(QUESTION)
    assert not after.refused and "4,321" in after.text, after.text
    assert reader.corpus.sparse_index().version != version
    cited = [c for c in after.citations if "4,321" in c.text]
    assert cited and all(article_text(folder, c.source)[c.start:c.end] == c.text for c in after.citations)
    # the edited file's old chunks are gone from both legs: every passage is today's text
    for p in after.passages + reader.ask("How long did the Russia-Ukraine peace talks last?").passages:
        assert article_text(folder, p.source)[p.start:p.end] == p.text
        assert not (p.source == edited.name and "lasted less than two hours" in p.text)
