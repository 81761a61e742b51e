"""Feedback: the record written for a rated answer, the append-only file under concurrent
writers (threads and processes), and `newsrag eval --from-feedback` run as a real command."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from rag import NewsragError, Settings
from rag.types import Answer, Citation, Passage
from ui.feedback import FeedbackLog, record

ROOT = Path(__file__).resolve().parents[2]


def answer(text="Hakan Fidan chaired the talks [1].", refused=False, question="Who chaired the talks?"):
    p = Passage("001_talks.txt", "Talks in Istanbul", "2025-05-16", None, "Hakan Fidan chaired the talks.", 10, 40,
                0.03)
    cites = () if refused else (Citation.of(p, 1, (10, 40)),)
    return Answer(question, text, refused, cites, (p,), llm="extractive")


def test_a_record_holds_what_a_person_needs_to_check_the_answer(monkeypatch):
    monkeypatch.setenv("NEWSRAG_AUTH", "ann:secret")
    history = [("user", "Where were the talks?"), ("assistant", "In Istanbul [1].")]
    rec = record(answer(), history, "down", answer_id="a1", settings=Settings(llm="extractive"),
                 comment="  wrong\nperson  ")
    assert rec["rating"] == "down" and rec["comment"] == "wrong person" and rec["answer_id"] == "a1"
    assert rec["question"] == "Who chaired the talks?" and rec["history"] == [list(t) for t in history]
    assert rec["answer"].startswith("Hakan Fidan") and rec["citations"][0]["source"] == "001_talks.txt"
    assert rec["llm"] == "extractive" and rec["settings"]["llm"] == "extractive" and rec["time"].endswith("+00:00")
    assert "auth" not in rec["settings"] and "secret" not in json.dumps(rec)      # never the password
    with pytest.raises(ValueError):
        record(answer(), [], "meh", answer_id="a1")


def test_feedback_file_is_configurable_and_defaults_under_the_project(monkeypatch, tmp_path):
    monkeypatch.delenv("NEWSRAG_FEEDBACK", raising=False)
    assert Settings().feedback_path() == ROOT / ".newsrag" / "feedback.jsonl"
    monkeypatch.setenv("NEWSRAG_FEEDBACK", str(tmp_path / "fb.jsonl"))
    assert Settings().feedback_path() == tmp_path / "fb.jsonl"


def test_concurrent_writers_lose_no_line(tmp_path):
    path = tmp_path / "sub" / "feedback.jsonl"
    threads, per_thread = 8, 60
    base = answer(text="x" * 3000 + " [1].")        # long lines: an interleaved write would show
    logs = [FeedbackLog(path) for _ in range(2)]    # two logs on one file: the file lock, not only the thread lock

    def write(t):
        for i in range(per_thread):
            logs[t % 2].append(record(base, [], "up", answer_id=f"{t}-{i}"))

    workers = [threading.Thread(target=write, args=(t,)) for t in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    lines = path.read_bytes().split(b"\n")
    assert lines[-1] == b""
    ids = [json.loads(line)["answer_id"] for line in lines[:-1]]
    assert sorted(ids) == sorted(f"{t}-{i}" for t in range(threads) for i in range(per_thread))
    assert oct(path.stat().st_mode & 0o777) == "0o600"


def test_processes_appending_together_lose_no_line(tmp_path):
    path = tmp_path / "feedback.jsonl"
    code = ("import sys; from rag.types import Answer; from ui.feedback import FeedbackLog, record\n"
            "log = FeedbackLog(sys.argv[1]); a = Answer('q', 'y' * 5000, False, (), ())\n"
            "for i in range(40): log.append(record(a, [], 'down', answer_id=sys.argv[2] + str(i)))\n")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    procs = [subprocess.Popen([sys.executable, "-c", code, str(path), f"p{n}-"], env=env) for n in range(3)]
    assert all(p.wait(timeout=120) == 0 for p in procs)
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    assert len(rows) == 120 and len({r["answer_id"] for r in rows}) == 120


def test_an_unfinished_last_line_stays_its_own(tmp_path):
    path = tmp_path / "feedback.jsonl"
    path.write_text('{"hand": "edited"', encoding="utf-8")        # no newline at the end
    FeedbackLog(path).append(record(answer(), [], "up", answer_id="a"))
    lines = path.read_text(encoding="utf-8").splitlines()
    assert lines[0] == '{"hand": "edited"' and json.loads(lines[1])["answer_id"] == "a"


def test_an_unwritable_feedback_file_says_how_to_fix_it(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(NewsragError, match="NEWSRAG_FEEDBACK"):
        FeedbackLog(blocker / "feedback.jsonl").append(record(answer(), [], "up", answer_id="a"))


# -- newsrag eval --from-feedback -------------------------------------------------------------------
def newsrag(*args, cwd=ROOT):
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSRAG_")}
    env["PYTHONPATH"] = str(ROOT)
    return subprocess.run([sys.executable, "-m", "ui.cli", *args], capture_output=True, text=True, timeout=120,
                          cwd=cwd, env=env)


def test_from_feedback_writes_gold_candidates(tmp_path):
    fb = FeedbackLog(tmp_path / "feedback.jsonl")
    history = [("user", "Where were the talks?"), ("assistant", "In Istanbul [1].")]
    fb.append(record(answer(), history, "up", answer_id="aaaaaaaa1"))
    fb.append(record(answer(question="Who paid?", text="Fidan paid [1]."), [], "up", answer_id="bbbbbbbb2"))
    fb.append(record(answer(question="Who paid?", text="Fidan paid [1]."), [], "down", answer_id="bbbbbbbb2",
                     comment="nobody says who paid"))           # a change of mind: the last record counts
    fb.append(record(answer(question="Who won in 2020?", text="The articles don't say.", refused=True), [], "up",
                     answer_id="cccccccc3"))
    fb.append(record(answer(question="Taken back?"), [], "up", answer_id="dddddddd4"))
    fb.append(record(answer(question="Taken back?"), [], None, answer_id="dddddddd4"))
    out = tmp_path / "cand" / "candidates.jsonl"
    run = newsrag("eval", "--from-feedback", str(fb.path), "--out", str(out))
    assert run.returncode == 0, run.stderr
    assert "wrote 3 candidate rows" in run.stdout and "1 marked for review" in run.stdout
    rows = {r["question"]: r for r in map(json.loads, out.read_text(encoding="utf-8").splitlines())}
    assert set(rows) == {"Who chaired the talks?", "Who paid?", "Who won in 2020?"}
    up = rows["Who chaired the talks?"]
    assert up["answerable"] is True and up["sources"] == ["001_talks.txt"] and "review" not in up
    assert up["answers"] == ["Hakan Fidan chaired the talks."] and up["history"] == [list(t) for t in history]
    down = rows["Who paid?"]
    assert down["review"] is True and down["comment"] == "nobody says who paid" and down["answers"] == []
    assert down["answer_given"] == "Fidan paid [1]." and down["sources_given"] == ["001_talks.txt"]
    refused = rows["Who won in 2020?"]
    assert refused["answerable"] is False and refused["answers"] == [] and refused["sources"] == []
    # a thumbs-up row is already a valid gold row; a review row is not, until a person confirms it
    from evals.gold import GoldError, load_gold

    confirmed = tmp_path / "confirmed.jsonl"
    confirmed.write_text(json.dumps(up) + "\n" + json.dumps(refused) + "\n", encoding="utf-8")
    assert [i.answerable for i in load_gold(confirmed)] == [True, False]
    confirmed.write_text(json.dumps(down) + "\n", encoding="utf-8")
    with pytest.raises(GoldError, match="review"):
        load_gold(confirmed)


@pytest.mark.parametrize("content, message", [
    (None, "no such feedback file"),
    ("not json\n", ":1: not a JSON line"),
    ('{"question": "q", "answer": "a", "rating": "up"}\n[1, 2]\n', ":2: not a feedback record"),
    ('{"question": "q", "answer": "a", "rating": "sideways"}\n', ":1: not a feedback record"),
    (b"\xff\xfe\x00garbage", "not UTF-8"),
])
def test_from_feedback_bad_file_is_one_line_exit_2(tmp_path, content, message):
    path = tmp_path / "feedback.jsonl"
    if isinstance(content, bytes):
        path.write_bytes(content)
    elif content is not None:
        path.write_text(content, encoding="utf-8")
    out = tmp_path / "out.jsonl"
    run = newsrag("eval", "--from-feedback", str(path), "--out", str(out))
    assert run.returncode == 2 and "Traceback" not in run.stderr
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1 and message in lines[0]
    assert not out.exists()                                 # nothing half-written


def test_from_feedback_needs_out(tmp_path):
    path = tmp_path / "feedback.jsonl"
    path.write_text("", encoding="utf-8")
    run = newsrag("eval", "--from-feedback", str(path))
    assert run.returncode == 2 and "--out" in run.stderr.strip().splitlines()[0]


def test_chat_takes_the_feedback_file_as_a_flag(monkeypatch, tmp_path):
    from ui.cli import parser, settings_from

    monkeypatch.delenv("NEWSRAG_FEEDBACK", raising=False)
    monkeypatch.chdir(tmp_path)
    s = settings_from(parser().parse_args(["chat", "--feedback", "fb.jsonl", "--llm", "extractive"]))
    assert s.feedback_path() == tmp_path / "fb.jsonl"
