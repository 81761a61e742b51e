"""What the indexer makes so that no question has to: the passage sentences' vectors (in the
store's side collection) and the BM25 twin (saved under the store's version). A real Chroma
on disk, the real MiniLM; the embedder is wrapped only to count what it is asked for."""
from __future__ import annotations

from pathlib import Path

from index.chunking import chunk_article, passage_sentences
from index.articles import read_folder
from index.indexer import index_folder
from index.store import open_store, sentence_id

QUESTIONS = ["Who chaired the talks in Istanbul?", "How long did the talks last?",
             "What did the delegations agree to exchange?"]


class Counting:
    """The session's embedder, counting the texts it is asked to embed."""

    def __init__(self, inner):
        self.inner, self.name, self.documents, self.queries = inner, inner.name, [], 0

    def embed_documents(self, texts):
        self.documents.extend(texts)
        return self.inner.embed_documents(texts)

    def embed_query(self, text):
        self.queries += 1
        return self.inner.embed_query(text)


def expected_sentence_ids(folder: Path) -> dict[str, set[str]]:
    articles, _ = read_folder(folder)
    return {a.source: {sentence_id(a.source, t) for c in chunk_article(a, 400, 1) for t in passage_sentences(c.text)}
            for a in articles}


def stored_by_source(store) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for sid, source in open_store(store.spec).sentence_ids().items():
        out.setdefault(source, set()).add(sid)
    return out


def engine_over(store_dir: Path, folder: Path, embedder, tmp_path):
    from rag import Engine, Settings

    return Engine(Settings(llm="extractive", store=f"chroma:{store_dir}", source=str(folder),
                           cache_dir=str(tmp_path / "cache")), embedder=embedder)


def test_engine_embeds_no_sentence_at_question_time(tmp_path, seeds_copy, embedder):
    store_dir = tmp_path / "chroma"
    index_folder(seeds_copy, open_store(f"chroma:{store_dir}"), embedder, progress=False)
    counting = Counting(embedder)
    engine = engine_over(store_dir, seeds_copy, counting, tmp_path)
    answers = [engine.ask(q) for q in QUESTIONS]
    assert any(not a.refused for a in answers)
    assert counting.queries >= len(QUESTIONS)          # the questions themselves are embedded
    assert counting.documents == [], counting.documents[:3]


def test_changed_file_reembeds_its_sentences_and_deleted_file_loses_them(tmp_path, seeds_copy, embedder):
    store = open_store(f"chroma:{tmp_path / 'chroma'}")
    index_folder(seeds_copy, store, embedder, progress=False)
    assert stored_by_source(store) == expected_sentence_ids(seeds_copy)

    edited = seeds_copy / "003_78f47c8603a584ce.txt"
    added = "A spokesman said the harbour ferry will now sail twice a day."
    edited.write_text(edited.read_text(encoding="utf-8") + f"\n{added}\n", encoding="utf-8")
    gone = sorted(seeds_copy.glob("*.txt"))[0]
    gone.unlink()
    counting = Counting(embedder)
    report = index_folder(seeds_copy, open_store(store.spec), counting, progress=False)
    assert (report.updated, report.removed) == (1, 1)
    assert added in counting.documents                                  # the new sentence, embedded now
    text = edited.read_text(encoding="utf-8")
    assert all(d in text for d in counting.documents)                   # only the edited file's chunks and sentences
    assert stored_by_source(store) == expected_sentence_ids(seeds_copy)    # stale ones gone, the deleted file's too
    assert gone.name not in stored_by_source(store)

    counting = Counting(embedder)
    engine = engine_over(tmp_path / "chroma", seeds_copy, counting, tmp_path)
    a = engine.ask("How often will the harbour ferry sail?")
    assert any(added in p.text for p in a.passages)
    assert counting.documents == []


def test_store_without_sentence_vectors_gets_them_on_the_next_run(tmp_path, seeds_copy, embedder):
    store = open_store(f"chroma:{tmp_path / 'chroma'}")
    index_folder(seeds_copy, store, embedder, progress=False)
    # as a store built before sentence vectors were stored: none, and no flag
    store.delete_sentences(list(store.sentence_ids()))
    store.set_manifest({"sentence_vectors": 0})
    assert stored_by_source(store) == {}
    report = index_folder(seeds_copy, open_store(store.spec), embedder, progress=False)
    assert report.chunks_written == 0 and report.unchanged == 5
    assert stored_by_source(store) == expected_sentence_ids(seeds_copy)
    assert open_store(store.spec).manifest()["sentence_vectors"] == 1


def test_bm25_is_saved_by_the_indexer_and_loaded_not_rebuilt(tmp_path, seeds_copy, embedder):
    store_dir = tmp_path / "chroma"
    store = open_store(f"chroma:{store_dir}")
    index_folder(seeds_copy, store, embedder, progress=False)
    saved = list(store_dir.glob("bm25-*.pkl"))
    assert len(saved) == 1
    before = saved[0].stat()
    engine = engine_over(store_dir, seeds_copy, embedder, tmp_path)
    engine.ask(QUESTIONS[0])
    after = saved[0].stat()
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)   # read, not written again
    assert engine.corpus.sparse_index().version == open_store(store.spec).version()

    # an unchanged folder: the saved BM25 is still the current one and is not rebuilt
    index_folder(seeds_copy, open_store(store.spec), embedder, progress=False)
    again = saved[0].stat()
    assert (again.st_ino, again.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)
    # a change: the indexer saves BM25 for the new version
    (seeds_copy / "new.txt").write_text("date 2025-06-01 A new article\n\nThe bridge reopened on Monday.\n",
                                        encoding="utf-8")
    index_folder(seeds_copy, open_store(store.spec), embedder, progress=False)
    assert saved[0].stat().st_ino != before.st_ino
    from index import sparse

    assert sparse.load(open_store(store.spec), None).version == open_store(store.spec).version()


def test_extractive_ask_imports_neither_gradio_nor_llama_cpp_nor_sentence_transformers(seeded_store, tmp_path):
    import json
    import os
    import subprocess
    import sys

    root = Path(__file__).resolve().parents[2]
    code = ("import sys, json; from ui.cli import main; "
            f"rc = main(['ask', 'Who chaired the talks in Istanbul?', '--llm', 'extractive', '--json', "
            f"'--store', 'chroma:{seeded_store}', '--source', '{root / 'seeds'}']); "
            "print(json.dumps({'rc': rc, 'mods': [m for m in ('gradio', 'llama_cpp', 'sentence_transformers', "
            "'sklearn') if m in sys.modules]}))")
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSRAG_")}
    env.update(PYTHONPATH=str(root), HF_HUB_OFFLINE="1", NEWSRAG_CACHE=str(tmp_path / "cache"))
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=240, env=env, cwd=tmp_path)
    assert r.returncode == 0, r.stderr[-2000:]
    last = json.loads(r.stdout.strip().splitlines()[-1])
    assert last == {"rc": 0, "mods": []}, last
    assert "Fidan" in r.stdout


def test_small_store_is_ranked_exactly_in_memory_as_chroma_ranks_it(seeded_store, embedder):
    """A small store's chunk vectors are saved with BM25 and the dense leg ranks them itself:
    the same chunks in the same order, with the same cosine, as Chroma's own query."""
    from index import sparse

    store = open_store(f"chroma:{seeded_store}")
    twin = sparse.load(store, None)
    assert twin.vectors is not None and twin.vectors.shape == (store.count(), 384)
    for q in QUESTIONS:
        vector = embedder.embed_query(q)
        mine, chroma = twin.nearest(vector, 20), store.query(vector, 20)
        assert [c.id for c, _ in mine] == [c.id for c, _ in chroma]
        assert all(abs(a - b) < 1e-4 for (_, a), (_, b) in zip(mine, chroma))
        assert [c.text for c, _ in mine[:3]] == [c.text for c, _ in chroma[:3]]
    assert len(twin.nearest(vector, 10_000)) == store.count()


def test_a_store_over_the_exact_size_is_searched_by_chroma_ids_and_chunks_from_memory(seeded_store, embedder):
    from index import sparse

    store = open_store(f"chroma:{seeded_store}")
    twin = sparse.build(list(store.iter_chunks()), store.version())     # no vectors: as for a big store
    assert twin.vectors is None
    vector = embedder.embed_query(QUESTIONS[1])
    ids = store.nearest_ids(vector, 8)
    chroma = store.query(vector, 8)
    assert [i for i, _ in ids] == [c.id for c, _ in chroma]
    assert [twin.chunk(i).text for i, _ in ids] == [c.text for c, _ in chroma]
    assert twin.chunk("no such id") is None


def test_a_fresh_index_saves_the_twin_it_wrote_as_the_store_would_give_it(tmp_path, seeds_copy, embedder):
    """Filling an empty store, the indexer builds BM25 (and the vectors) from what it wrote
    instead of reading it back: the same chunks, metadata, terms and vectors as from the store."""
    import numpy as np

    from index import sparse

    store = open_store(f"chroma:{tmp_path / 'chroma'}")
    index_folder(seeds_copy, store, embedder, progress=False)
    saved = sparse.load(open_store(store.spec), None)
    read = sparse.from_store(open_store(store.spec), saved.version)
    assert {c.id: (c.text, c.meta) for c in saved.chunks} == {c.id: (c.text, c.meta) for c in read.chunks}
    assert saved.df == read.df and saved.variants == read.variants
    order = {c.id: i for i, c in enumerate(read.chunks)}
    mine = saved.vectors[[i for i, _ in sorted(enumerate(saved.chunks), key=lambda x: order[x[1].id])]]
    assert np.allclose(mine, read.vectors, atol=1e-6)
