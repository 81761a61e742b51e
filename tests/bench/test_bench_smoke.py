"""`newsrag bench --quick` end to end: real stores, the real embedder, the chat page under a
few clients; the report must hold real figures in the right places, with targets beside them."""
from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

import pytest

from bench.measure import Target, percentile, summary


def test_percentiles_interpolate_between_order_statistics():
    assert percentile([4, 1, 3, 2], 50) == 2.5
    assert percentile([1, 2, 3, 4, 5], 95) == pytest.approx(4.8)
    assert percentile([], 50) is None
    assert summary([10.0, 30.0, 20.0]) == {"n": 3, "p50": 20.0, "p95": 29.0, "mean": 20.0, "max": 30.0}


def test_targets_compare_in_their_direction():
    assert Target("<=", 30, "ms").met(30) and not Target("<=", 30, "ms").met(30.1)
    assert Target(">=", 150, "chunks/s").met(151) and not Target(">=", 150, "chunks/s").met(90)
    assert Target("<=", 30, "ms").met(None) is None
    assert str(Target("<=", 1.5, "s")) == "<= 1.5 s"


def test_quick_bench_writes_a_report_with_real_figures(tmp_path, capsys, monkeypatch):
    for var in list(os.environ):
        if var.startswith("NEWSRAG_"):
            monkeypatch.delenv(var)
    from bench.run import run
    from rag import Settings
    from ui.cli import bench_gold

    path = tmp_path / "bench.json"
    assert run(argparse.Namespace(report=str(path), quick=True), Settings(llm="extractive"), bench_gold()) == 0
    printed = capsys.readouterr().out
    report = json.loads(path.read_text(encoding="utf-8"))

    assert report["quick"] is True
    assert path.with_suffix(".png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "Targets" in printed and "retrieval p50, seeds" in printed

    # indexing: the seeds and the synthetic corpus, at a real rate
    seeds, synthetic = report["indexing"]["seeds"], report["indexing"]["synthetic"]
    assert seeds["articles"] == 5 and seeds["chunks"] > 50 and seeds["chunks_per_s"] > 0
    assert synthetic["chunks"] >= 100 and synthetic["chunks_per_s"] > 0
    assert seeds["peak_rss_mb"] > 100                      # torch and the model are resident
    assert seeds["chunks_per_s_target"] == ">= 150 chunks/s" and isinstance(seeds["chunks_per_s_met"], bool)

    # scale: the seeds store, the indexed synthetic one, and one written from cached vectors
    assert [r["label"] for r in report["scale"]] == ["seeds", "100", "1k"]
    assert report["scale"][0]["chunks"] == seeds["chunks"]
    assert report["scale"][-1]["chunks"] == 1000
    for row in report["scale"]:
        ret = row["retrieve_ms"]
        assert 0 < ret["p50"] <= ret["p95"] and ret["per_s"] > 0 and ret["questions"] == 8
        ext = row["extractive_ms"]
        assert ext["new_passages"]["p50"] > 0 and ext["seen_passages"]["p50"] > 0
        assert row["bm25_build_s"] > 0 and row["first_query_ms"] > 0
        assert set(ret["legs_ms_p50"]) == {"embed_query", "chroma_query", "bm25_search"}
        assert all(v > 0 for v in ret["legs_ms_p50"].values())
    assert report["scale"][0]["retrieve_ms"]["p50_target"] == "<= 25 ms"

    # quality: newsrag against the tutorial pipeline on the same questions
    ours, tutorial = report["quality"]["newsrag"], report["quality"]["tutorial"]
    assert ours["answerable"] == tutorial["answerable"] > 0
    for recall in (ours["recall_at_5"], ours["recall_at_4"], tutorial["recall_at_4"], ours["context_recall"]):
        assert 0.0 <= recall <= 1.0
    assert ours["recall_at_4"] <= ours["recall_at_5"]
    assert 0 < ours["context_chars_mean"] <= 1400 + 200     # pick() caps the sentences at 1400 characters
    assert tutorial["context_chars_mean"] > 1000 and tutorial["chunks"] > 5
    # side by side as ratios: retrieval, context and indexing of the same folder
    r = report["ratios"]
    assert r["newsrag_index_over_tutorial_index_seconds"] == round(seeds["seconds"] / tutorial["build_s"], 2)
    assert r["newsrag_retrieve_over_tutorial_retrieve_p50"] > 0 and r["newsrag_context_over_tutorial_context"] > 0

    # the chat page, served by `newsrag chat` in its own process, under a few concurrent clients
    load = report["load"]
    assert load.get("served_by") == "newsrag chat, its own process", load
    assert load["answered"] == load["clients"] * load["requests_per_client"] and load["errors"] == 0
    assert load["throughput_per_s"] > 0 and 0 < load["latency_ms"]["p50"] <= load["latency_ms"]["p95"]

    # skipped in --quick, and said so
    assert "skipped" in report["local"] and "skipped" in report["cold_start"]
    targets = {t["name"]: t for t in report["targets"]}
    assert targets["local first token p50"]["met"] is None
    assert isinstance(targets["retrieval p50, seeds"]["met"], bool)
    assert targets["recall: newsrag@5 vs tutorial@4"]["value"] == ours["recall_at_5"]
    assert report["embedder"]["docs_per_s"] > 0 and report["embedder"]["query_ms_1_thread"]["p50"] > 0


def test_synthetic_corpus_is_repeatable_and_scaled_stores_keep_ids_unique(tmp_path):
    from bench.corpus import chunks_of, scaled, seed_sentences, write_synthetic

    seeds = Path(__file__).resolve().parents[2] / "seeds"
    sentences = seed_sentences(seeds)
    assert len(sentences) > 50
    first = write_synthetic(tmp_path / "a", sentences, 60, size=400, overlap=1)
    again = write_synthetic(tmp_path / "b", sentences, 60, size=400, overlap=1)
    assert first == again and first["chunks"] >= 60
    assert [p.read_text() for p in sorted((tmp_path / "a").iterdir())] == \
           [p.read_text() for p in sorted((tmp_path / "b").iterdir())]
    chunks = chunks_of(tmp_path / "a", size=400, overlap=1)
    assert len(chunks) == first["chunks"]
    big = scaled(chunks, 3 * len(chunks) + 5)
    assert len(big) == 3 * len(chunks) + 5 and len({c.id for c in big}) == len(big)
    assert {c.text for c in big} == {c.text for c in chunks}
    assert scaled(chunks, 10) == chunks[:10]
