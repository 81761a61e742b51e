"""`newsrag eval` as a user runs it: a real process, a gold set over a folder of its own."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from argparse import Namespace
from pathlib import Path

import pytest

from evals.cli import _wants_scratch_store, scratch_store_path

ROOT = Path(__file__).resolve().parents[2]
CLI = "ui.cli"

CUP_FOLDER = Path(__file__).resolve().parents[1] / "data" / "cup"   # two invented cup-final stories
ARTICLES = {p.name: p.read_text(encoding="utf-8") for p in sorted(CUP_FOLDER.glob("*.txt"))}
GOLD = [
    {"id": "t1", "question": "How many people watched the 2019 Fenmoor Cup final?", "answers": ["12,400"],
     "sources": ["cup_2019.txt"], "answerable": True, "kind": "number"},
    {"id": "t2", "question": "Who won the 2021 Fenmoor Cup final?", "answers": ["Dunmere Athletic"],
     "sources": ["cup_2021.txt"], "answerable": True, "kind": "fact"},
    {"id": "t3", "question": "Who won the 2020 Fenmoor Cup final?", "answers": [], "sources": [],
     "answerable": False, "kind": "near-miss"},
]


def newsrag(*args, cache: Path, timeout=300):
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSRAG_")}
    env.update(NEWSRAG_CACHE=str(cache), HF_HUB_OFFLINE="1")
    return subprocess.run([sys.executable, "-m", CLI, *args], capture_output=True, text=True, timeout=timeout,
                          cwd=ROOT, env=env)


@pytest.fixture
def gold_set(tmp_path) -> tuple[Path, Path]:
    folder = tmp_path / "cups"
    folder.mkdir()
    for name, text in ARTICLES.items():
        (folder / name).write_text(text, encoding="utf-8")
    gold = tmp_path / "gold-cups.jsonl"
    gold.write_text("".join(json.dumps(row) + "\n" for row in GOLD), encoding="utf-8")
    return gold, folder


def _json(path: Path, value) -> Path:
    path.write_text(json.dumps(value), encoding="utf-8")
    return path


def test_eval_over_its_own_folder_builds_a_store_once(gold_set, tmp_path):
    gold, folder = gold_set
    cache = tmp_path / "cache"
    report = tmp_path / "out" / "cups.json"
    strict = _json(tmp_path / "strict.json", {"truth_score": 1.0, "per_kind.near-miss.refusal_accuracy": 1.0})
    first = newsrag("eval", "--gold", str(gold), "--source", str(folder), "--llm", "extractive",
                    "--report", str(report), "--thresholds", str(strict), cache=cache)
    assert first.returncode in (0, 1), first.stderr
    assert "added 2" in first.stderr and "eval-stores" in first.stderr
    stores = list((cache / "eval-stores").iterdir())
    assert [p.name for p in stores] == [f"cups-{stores[0].name.rsplit('-', 1)[1]}"]
    data = json.loads(report.read_text(encoding="utf-8"))
    assert data["n"] == 3 and set(data["per_kind"]) == {"number", "fact", "near-miss"}
    assert "truth_score" in first.stdout and "answer_accuracy_ci95" in first.stdout and "near-miss" in first.stdout
    assert report.with_suffix(".html").exists()
    if data["truth_score"] < 1.0:   # today's engine: the gate must say so and exit 1
        assert first.returncode == 1 and "below the minimum" in first.stderr

    loose = _json(tmp_path / "loose.json", {"truth_score": -1.0, "per_kind.near-miss.refusal_accuracy": 0.0})
    second = newsrag("eval", "--gold", str(gold), "--source", str(folder), "--llm", "extractive",
                     "--thresholds", str(loose), cache=cache)
    assert second.returncode == 0, second.stderr
    assert "unchanged 2" in second.stderr and "all thresholds" in second.stdout
    assert list((cache / "eval-stores").iterdir()) == stores


@pytest.mark.parametrize(
    ("make_args", "message"),
    [
        (lambda gold, folder, tmp: ["--gold", str(tmp / "nope.jsonl")], "gold file not found"),
        (lambda gold, folder, tmp: ["--gold", str(_json(tmp / "bad.jsonl", {"id": 1}))], "bad.jsonl:1:"),
        (lambda gold, folder, tmp: ["--gold", str(gold), "--thresholds", str(tmp / "none.json")], "no such file"),
        (lambda gold, folder, tmp: ["--gold", str(gold), "--thresholds",
                                    str(_json(tmp / "t.json", {"per_kind.lists.truth_score": 0}))],
         "unknown kind 'lists'"),
        (lambda gold, folder, tmp: ["--gold", str(gold), "--thresholds", str(_json(tmp / "t.json", [1]))],
         "must hold a JSON object"),
        (lambda gold, folder, tmp: ["--gold", str(gold), "--source", str(tmp / "missing")], "no such folder"),
        (lambda gold, folder, tmp: ["--compare", str(tmp / "a.json"), str(tmp / "b.json")], "no such file"),
    ],
)
def test_user_mistakes_exit_2_with_one_line(gold_set, tmp_path, make_args, message):
    gold, folder = gold_set
    out = newsrag("eval", "--llm", "extractive", *make_args(gold, folder, tmp_path), cache=tmp_path / "cache")
    lines = out.stderr.strip().splitlines()
    assert out.returncode == 2, out.stderr
    assert len(lines) == 1 and message in lines[0] and "Traceback" not in out.stderr


def test_compare_runs_nothing(tmp_path):
    a = {"n": 2, "llm": "extractive", "k": 5, "truth_score": 0.0, "answer_accuracy": 0.5,
         "per_kind": {"fact": {"n": 2, "answer_accuracy": 0.5, "refusal_accuracy": None, "truth_score": 0.0}},
         "per_question": []}
    b = {**a, "truth_score": 1.0, "per_kind": {"fact": {**a["per_kind"]["fact"], "truth_score": 1.0}}}
    out = newsrag("eval", "--compare", str(_json(tmp_path / "a.json", a)), str(_json(tmp_path / "b.json", b)),
                  cache=tmp_path / "cache")
    assert out.returncode == 0, out.stderr
    assert "+1.000  better" in out.stdout and "per_kind.fact.truth_score" in out.stdout


def test_scratch_store_is_keyed_by_the_resolved_folder(tmp_path, monkeypatch):
    from rag import Settings

    for var in [v for v in os.environ if v.startswith("NEWSRAG_")]:
        monkeypatch.delenv(var)
    (tmp_path / "a" / "news").mkdir(parents=True)
    (tmp_path / "b" / "news").mkdir(parents=True)
    monkeypatch.chdir(tmp_path / "a")
    relative = Settings(source="news", cache_dir=str(tmp_path / "cache"))
    absolute = Settings(source=str(tmp_path / "a" / "news"), cache_dir=str(tmp_path / "cache"))
    other = Settings(source=str(tmp_path / "b" / "news"), cache_dir=str(tmp_path / "cache"))
    assert scratch_store_path(relative) == scratch_store_path(absolute)
    assert scratch_store_path(relative).parent == tmp_path / "cache" / "eval-stores"
    assert scratch_store_path(relative).name.startswith("news-") and len(scratch_store_path(relative).name) == 13
    assert scratch_store_path(other) != scratch_store_path(relative)
    assert scratch_store_path(relative.with_(chunk_size=300)) != scratch_store_path(relative)

    settings = Settings()
    assert _wants_scratch_store(Namespace(source="news", store=None), settings)
    assert not _wants_scratch_store(Namespace(source="news", store="chroma:/x"), settings)
    assert not _wants_scratch_store(Namespace(source=None, store=None), settings)
    monkeypatch.setenv("NEWSRAG_STORE", "chroma:/somewhere")
    assert not _wants_scratch_store(Namespace(source="news", store=None), Settings())


def test_compare_says_when_a_file_is_not_a_report_and_reads_old_reports(tmp_path):
    bad = _json(tmp_path / "bad.json", {"answer_accuracy": 0.5})
    old = _json(tmp_path / "old.json", {"n": 2, "answer_accuracy": 0.5, "per_question": []})    # no k, no llm
    new = _json(tmp_path / "new.json", {"n": 2, "k": 5, "llm": "extractive", "answer_accuracy": 1.0,
                                        "per_question": []})
    out = newsrag("eval", "--compare", str(bad), str(new), cache=tmp_path / "cache")
    assert out.returncode != 0 and "not a newsrag eval report" in out.stderr and "Traceback" not in out.stderr
    out = newsrag("eval", "--compare", str(old), str(new), cache=tmp_path / "cache")
    assert out.returncode == 0, out.stderr
    assert "answer_accuracy" in out.stdout and "k=?" in out.stdout
