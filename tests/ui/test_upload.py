"""Adding articles from the page: copied into the indexed folder and indexed incrementally
with `newsrag index`'s limits, then answered from; refused for a server store and for a page
served beyond loopback without a sign-in. A real engine (extractive) over a tmp store."""
from __future__ import annotations

from pathlib import Path

import pytest

from rag import Engine, NewsragError, Settings
from ui.app import add_articles, upload_refusal

CUP_FOLDER = Path(__file__).resolve().parents[1] / "data" / "cup"   # two invented cup-final stories
ARTICLES = {p.name: p.read_text(encoding="utf-8") for p in sorted(CUP_FOLDER.glob("*.txt"))}
NEW = (" date 2024-03-09 Quarry bridge at Lindholt reopens\n\n"
       "The Lindholt quarry bridge reopened on Saturday after repairs costing 3.2 million krona. "
       "Engineer Maren Solvik led the repair crew of forty workers.\n")


@pytest.fixture
def engine(tmp_path, embedder, monkeypatch):
    for var in [v for v in __import__("os").environ if v.startswith("NEWSRAG_")]:
        monkeypatch.delenv(var)
    folder = tmp_path / "news"
    folder.mkdir()
    for name, text in ARTICLES.items():
        (folder / name).write_text(text, encoding="utf-8")
    eng = Engine(Settings(llm="extractive", source=str(folder), store=f"chroma:{tmp_path / 'store'}",
                          cache_dir=str(tmp_path / "cache")), embedder=embedder)
    eng.warm_up()                       # builds the index of the two articles
    return eng


def upload(tmp_path: Path, name: str, data: bytes | str) -> Path:
    """A file as Gradio hands it over: a temporary path that keeps the user's file name."""
    folder = tmp_path / "gradio-upload" / str(len(list(tmp_path.glob("gradio-upload/*"))))
    folder.mkdir(parents=True)
    path = folder / name
    path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
    return path


def test_an_uploaded_article_is_indexed_and_answered_from(engine, tmp_path):
    question = "When did the Lindholt quarry bridge reopen?"
    before = engine.ask(question)
    assert before.refused or not any(c.source == "bridge.txt" for c in before.citations)
    said = add_articles(engine, [upload(tmp_path, "bridge.txt", NEW)])
    assert said.startswith("Added 1 article (") and "bridge.txt" in said
    assert (tmp_path / "news" / "bridge.txt").read_text(encoding="utf-8") == NEW
    assert engine.info()["articles"] == 3
    a = engine.ask(question)
    assert not a.refused and "Saturday" in a.text and any(c.source == "bridge.txt" for c in a.citations)
    again = add_articles(engine, [upload(tmp_path, "bridge.txt", NEW)])
    assert "Already indexed, unchanged: bridge.txt" in again


def test_bad_uploads_are_refused_one_by_one_with_the_reason(engine, tmp_path):
    files = [upload(tmp_path, "report.pdf", b"%PDF-1.4"),
             upload(tmp_path, "blob.txt", b"\x00\x01\x02\x03" * 100),
             upload(tmp_path, "empty.md", "   \n"),
             upload(tmp_path, "cup_2019.txt", "A different story under an indexed name.\n"),
             upload(tmp_path, "ok.html", f"<html><body><p>{NEW}</p></body></html>")]
    said = add_articles(engine, files)
    assert "Added 1 article" in said and "ok.html" in said
    assert "report.pdf: only .txt, .md and .html" in said and "blob.txt: binary file" in said
    assert "empty.md: empty file" in said and "cup_2019.txt: another article of that name" in said
    names = sorted(p.name for p in (tmp_path / "news").iterdir())
    assert names == ["cup_2019.txt", "cup_2021.txt", "ok.html"]
    assert (tmp_path / "news" / "cup_2019.txt").read_text(encoding="utf-8") == ARTICLES["cup_2019.txt"]


def test_nothing_is_left_copied_when_indexing_fails(engine, tmp_path):
    from index.indexer import writer_lock

    with writer_lock(engine.store):                 # another indexer holds the store
        import ui.app as page

        wait, page.UPLOAD_INDEX_WAIT_S = page.UPLOAD_INDEX_WAIT_S, 0.2
        try:
            with pytest.raises(NewsragError):
                add_articles(engine, [upload(tmp_path, "bridge.txt", NEW)])
        finally:
            page.UPLOAD_INDEX_WAIT_S = wait
    assert not (tmp_path / "news" / "bridge.txt").exists()


def test_uploads_are_refused_beyond_loopback_without_auth_and_on_a_server_store(engine, embedder):
    assert upload_refusal(engine, "127.0.0.1", None) is None
    assert "NEWSRAG_AUTH" in upload_refusal(engine, "0.0.0.0", None)
    assert upload_refusal(engine, "0.0.0.0", ("ann", "pw")) is None
    served = Engine(Settings(llm="extractive", store="chroma+http://127.0.0.1:9"), embedder=embedder)
    said = upload_refusal(served, "127.0.0.1", None)
    assert "Chroma server" in said and "newsrag index" in said
