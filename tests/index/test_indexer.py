"""Incremental indexing into a real Chroma on disk with the real embedding model."""
from __future__ import annotations

import pytest

from index.errors import SourceError, StoreMismatch
from index.indexer import index_folder
from index.store import Store, open_store


def store_at(tmp_path, name="chroma") -> Store:
    return open_store(f"chroma:{tmp_path / name}")


def snapshot(store: Store) -> dict:
    return {c.id: (c.text, c.meta["source"], c.meta["sha256"]) for c in open_store(store.spec).iter_chunks()}


def test_index_twice_changes_nothing(tmp_path, seeds_copy, embedder):
    store = store_at(tmp_path)
    first = index_folder(seeds_copy, store, embedder, progress=False)
    assert (first.added, first.updated, first.removed) == (5, 0, 0)
    before = snapshot(store)
    version = store.manifest()["version"]
    second = index_folder(seeds_copy, open_store(store.spec), embedder, progress=False)
    assert (second.added, second.updated, second.removed, second.unchanged) == (0, 0, 0, 5)
    assert second.chunks_written == 0 and snapshot(store) == before
    assert open_store(store.spec).manifest()["version"] == version


def test_edit_replaces_only_that_files_chunks(tmp_path, seeds_copy, embedder):
    store = store_at(tmp_path)
    index_folder(seeds_copy, store, embedder, progress=False)
    before = snapshot(store)
    edited = seeds_copy / "003_78f47c8603a584ce.txt"
    edited.write_text(edited.read_text(encoding="utf-8") + "\nA new closing paragraph was added today.\n",
                      encoding="utf-8")
    report = index_folder(seeds_copy, open_store(store.spec), embedder, progress=False)
    assert (report.added, report.updated, report.removed, report.unchanged) == (0, 1, 0, 4)
    after = snapshot(store)
    untouched = {i: v for i, v in before.items() if v[1] != edited.name}
    assert {i: v for i, v in after.items() if v[1] != edited.name} == untouched
    new = [v for v in after.values() if v[1] == edited.name]
    assert any("new closing paragraph" in text for text, _, _ in new)
    assert len({sha for _, _, sha in new}) == 1


def test_deleted_file_chunks_go(tmp_path, seeds_copy, embedder):
    store = store_at(tmp_path)
    index_folder(seeds_copy, store, embedder, progress=False)
    (seeds_copy / "000_13cba5497041a289.txt").unlink()
    report = index_folder(seeds_copy, open_store(store.spec), embedder, progress=False)
    assert (report.removed, report.unchanged) == (1, 4)
    assert "000_13cba5497041a289.txt" not in {v[1] for v in snapshot(store).values()}


def test_other_folder_is_refused_and_rebuild_replaces(tmp_path, seeds_copy, embedder):
    store = store_at(tmp_path)
    index_folder(seeds_copy, store, embedder, progress=False)
    other = tmp_path / "other"
    other.mkdir()
    (other / "a.txt").write_text("Another corpus entirely. It has two sentences.")
    with pytest.raises(StoreMismatch, match="--rebuild"):
        index_folder(other, open_store(store.spec), embedder, progress=False)
    assert len(snapshot(store)) > 50  # nothing lost
    report = index_folder(other, open_store(store.spec), embedder, progress=False, rebuild=True)
    assert report.added == 1 and {v[1] for v in snapshot(store).values()} == {"a.txt"}


def test_changed_chunk_settings_are_detected(tmp_path, seeds_copy, embedder):
    store = store_at(tmp_path)
    index_folder(seeds_copy, store, embedder, progress=False)
    with pytest.raises(StoreMismatch, match="chunk_size"):
        index_folder(seeds_copy, open_store(store.spec), embedder, size=600, progress=False)


def test_changed_embedding_model_is_detected(tmp_path, seeds_copy, embedder):
    store = store_at(tmp_path)
    index_folder(seeds_copy, store, embedder, progress=False)

    class Other:
        name = "some-other-model"

        def embed_documents(self, texts):
            return [[0.0] * 384 for _ in texts]

        def embed_query(self, text):
            return [0.0] * 384

    with pytest.raises(StoreMismatch, match="embedding_model"):
        index_folder(seeds_copy, open_store(store.spec), Other(), progress=False)


def test_source_errors(tmp_path, embedder):
    with pytest.raises(SourceError, match="does not exist"):
        index_folder(tmp_path / "missing", store_at(tmp_path), embedder, progress=False)
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "blank.txt").write_text("   ")
    with pytest.raises(SourceError, match="no usable"):
        index_folder(empty, store_at(tmp_path), embedder, progress=False)


def test_bad_files_do_not_stop_the_rest(tmp_path, seeds_copy, embedder):
    (seeds_copy / "empty.txt").write_bytes(b"")
    (seeds_copy / "junk.txt").write_bytes(bytes(range(256)) * 8)
    (seeds_copy / "latin.txt").write_bytes("Caf\u00e9 diplomacy in T\u00fcrkiye, said the envoy.".encode("cp1252"))
    report = index_folder(seeds_copy, store_at(tmp_path), embedder, progress=False)
    assert report.added == 6
    assert {s.source for s in report.skipped} == {"empty.txt", "junk.txt"}
