"""The same engine tests over both store kinds: embedded Chroma (`chroma:DIR`) and a
Chroma server (`chroma+http://HOST:PORT`)."""
from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SEEDS = ROOT / "seeds"
KINDS = ["embedded", "server"]


def seed_text(source: str, folder: Path = SEEDS) -> str:
    return (folder / source).read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def engines(request, tmp_path_factory):
    """One extractive Engine per store kind, built lazily and kept for the module."""
    from rag import Engine, Settings

    made: dict[str, object] = {}
    cache = tmp_path_factory.mktemp("engine-cache")

    def get(kind: str):
        if kind not in made:
            if kind == "embedded":
                store, collection = f"chroma:{request.getfixturevalue('seeded_store')}", "newsrag"
            else:
                store, collection = request.getfixturevalue("server_seeded")
            made[kind] = Engine(Settings(llm="extractive", store=store, collection=collection, source=str(SEEDS),
                                         cache_dir=str(cache), k=5, chunk_size=400, chunk_overlap=1))
        return made[kind]

    return get


@pytest.mark.parametrize("kind", KINDS)
def test_who_chaired_names_fidan_with_exact_citations(engines, kind):
    a = engines(kind).ask("Who chaired the talks in Istanbul?")
    assert not a.refused and "Fidan" in a.text and "[1]" in a.text
    for c in a.citations:
        assert seed_text(c.source)[c.start:c.end] == c.text
    for p in a.passages:
        assert seed_text(p.source)[p.start:p.end] == p.text
    assert len(a.passages) == 5


@pytest.mark.parametrize("kind", KINDS)
def test_unanswerable_is_refused(engines, kind):
    a = engines(kind).ask("What did the delegates eat for lunch?")
    assert a.refused and a.citations == ()


@pytest.mark.parametrize("kind", KINDS)
def test_follow_up_uses_history(engines, kind):
    history = [("user", "Who led Ukraine's delegation?"), ("assistant", "Rustem Umerov [1].")]
    a = engines(kind).ask("And who headed the other side?", history=history)
    assert not a.refused and "Medinsky" in a.text


@pytest.mark.parametrize("kind", KINDS)
def test_info_counts_the_seeds(engines, kind):
    info = engines(kind).info()
    assert info["articles"] == 5 and info["chunks"] > 50
    assert info["store"].startswith("chroma+http://" if kind == "server" else "chroma:")


def test_both_kinds_retrieve_the_same_passages(engines):
    question = "What did Zelensky say about a ceasefire?"
    one, two = (engines(kind).ask(question) for kind in KINDS)
    assert [(p.source, p.start, p.end) for p in one.passages] == [(p.source, p.start, p.end) for p in two.passages]
    assert one.text == two.text
