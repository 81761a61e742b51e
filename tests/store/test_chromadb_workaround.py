"""The one place newsrag touches chromadb's private API (index.store._forget_system): it is
checked against the chromadb that constraints.txt pins and the venv holds, does what it says,
and degrades with a warning, not a crash, under a chromadb without it."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def test_checked_against_the_pinned_and_installed_chromadb():
    import chromadb

    from index.store import CHROMADB_CHECKED

    pin = re.search(r"^chromadb==(\S+)$", (ROOT / "constraints.txt").read_text(), re.M).group(1)
    assert CHROMADB_CHECKED == pin == chromadb.__version__, "re-check _forget_system against this chromadb"


def test_the_next_client_gets_a_new_system(tmp_path):
    from chromadb.api.shared_system_client import SharedSystemClient

    from index.store import _forget_system, open_store

    store = open_store(f"chroma:{tmp_path / 'chroma'}")
    store.open(create=True)
    key = str(tmp_path / "chroma")
    first = SharedSystemClient._identifier_to_system[key]
    assert _forget_system(tmp_path / "chroma") is True
    assert key not in SharedSystemClient._identifier_to_system
    store.reopen()
    assert store.count() == 0                        # the old client's system was not stopped...
    assert SharedSystemClient._identifier_to_system[key] is not first    # ...and a new one reads the disk


def test_another_chromadb_warns_and_does_without(tmp_path, monkeypatch):
    import chromadb
    from chromadb.api.shared_system_client import SharedSystemClient

    from index import store

    monkeypatch.setattr(chromadb, "__version__", "99.0.0")
    monkeypatch.setattr(store, "_warned", set())
    monkeypatch.delattr(SharedSystemClient, "_identifier_to_system")
    with pytest.warns(UserWarning, match="checked with chromadb .* not 99.0.0"):
        assert store._forget_system(tmp_path) is False
