"""`newsrag index` / `newsrag ask` against a real Chroma server (`--store chroma+http://HOST:PORT`)."""
from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SEEDS = ROOT / "seeds"
NEWSRAG = Path(sys.executable).parent / "newsrag"

COUNTS = re.compile(r"added (\d+), updated (\d+), removed (\d+), unchanged (\d+)")


def counts(stdout: str) -> tuple[int, int, int, int]:
    m = COUNTS.search(stdout)
    assert m, stdout
    return tuple(int(x) for x in m.groups())


def seed_text(source: str) -> str:
    return (SEEDS / source).read_text(encoding="utf-8")


def check_fidan(out: str):
    d = json.loads(out)
    assert not d["refused"] and "Fidan" in d["answer"], d["answer"]
    assert d["citations"] and d["llm"] == "extractive"
    for c in d["citations"]:
        assert seed_text(c["source"])[c["start"]:c["end"]] == c["text"]
    return d


ALT = "newsrag_alt_collection"


@pytest.fixture(scope="module")
def indexed(chroma_server, tmp_path_factory, clean_env):
    """`newsrag index` of the seeds into the server: twice into the default collection, then
    once into another chosen by NEWSRAG_COLLECTION."""
    cwd = tmp_path_factory.mktemp("cli")
    env = clean_env(NEWSRAG_CACHE=cwd / "cache")
    cmd = [str(NEWSRAG), "index", "--store", chroma_server]
    runs = [subprocess.run(cmd, capture_output=True, text=True, timeout=300, env=env, cwd=cwd) for _ in range(2)]
    runs.append(subprocess.run(cmd, capture_output=True, text=True, timeout=300, env={**env, "NEWSRAG_COLLECTION": ALT},
                               cwd=cwd))
    return chroma_server, runs


def test_index_into_server_then_again_changes_nothing(indexed):
    spec, (first, second, _) = indexed
    assert first.returncode == 0, first.stderr
    assert first.stdout.startswith(f"{spec}: ")
    assert counts(first.stdout) == (5, 0, 0, 0)
    assert second.returncode == 0, second.stderr
    assert counts(second.stdout) == (0, 0, 0, 5)
    assert "0 chunks written" in second.stdout


def test_collection_variable_selects_the_server_collection(indexed):
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    spec, (_, _, alt) = indexed
    assert alt.returncode == 0, alt.stderr
    assert counts(alt.stdout) == (5, 0, 0, 0)  # a fresh collection, not the default one
    host, port = spec.rsplit("/", 1)[1].split(":")
    client = chromadb.HttpClient(host=host, port=int(port), settings=ChromaSettings(anonymized_telemetry=False))
    col = client.get_collection(ALT)
    assert col.count() == client.get_collection("newsrag").count() > 50
    from index.embed import DOCUMENTS_INT8

    assert col.metadata["embedding_model"] == DOCUMENTS_INT8     # documents by the int8 copy (index/embed.py)
    assert col.metadata["newsrag_source"] == str(SEEDS.resolve())


def test_two_engine_processes_ask_at_once(indexed, tmp_path, clean_env):
    """One process names the store with --store, the other through NEWSRAG_STORE and
    NEWSRAG_COLLECTION; both answer, citing the seed files' exact characters."""
    spec, _ = indexed
    env = clean_env(NEWSRAG_CACHE=tmp_path / "cache")
    ask = [str(NEWSRAG), "ask", "--llm", "extractive", "--json"]
    procs = [subprocess.Popen(ask + ["--store", spec, "Who chaired the talks in Istanbul?"], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True, env=env, cwd=tmp_path),
             subprocess.Popen(ask + ["Who led the Russian delegation?"], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True, cwd=tmp_path,
                              env={**env, "NEWSRAG_STORE": spec, "NEWSRAG_COLLECTION": ALT})]
    outs = [p.communicate(timeout=300) for p in procs]
    for p, (out, err) in zip(procs, outs):
        assert p.returncode == 0, err
    check_fidan(outs[0][0])
    russian = json.loads(outs[1][0])
    assert not russian["refused"] and "Medinsky" in russian["answer"], russian["answer"]
    for c in russian["citations"]:
        assert seed_text(c["source"])[c["start"]:c["end"]] == c["text"]


def test_missing_collection_is_one_line(indexed, run_newsrag):
    spec, _ = indexed
    r = run_newsrag("ask", "--store", spec, "--collection", "never_indexed_here", "Who chaired the talks?")
    assert r.returncode == 2, r.stderr
    assert r.stderr.count("\n") == 1 and "never_indexed_here" in r.stderr and f"newsrag index --store {spec}" in r.stderr


def test_unreachable_server_is_one_line(run_newsrag, free_port):
    spec = f"chroma+http://127.0.0.1:{free_port()}"
    r = run_newsrag("ask", "--store", spec, "--llm", "extractive", "Who chaired the talks?", timeout=120)
    assert r.returncode == 2 and r.stderr.count("\n") == 1
    assert "cannot reach the Chroma server" in r.stderr and spec in r.stderr
