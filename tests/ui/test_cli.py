"""The `newsrag` command as a user runs it: a real process, the real seeded store."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SEEDS = ROOT / "seeds"


def newsrag(*args, env_extra=None, timeout=180):
    import os

    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSRAG_")}
    env.update(env_extra or {})
    return subprocess.run([sys.executable, "-m", "ui.cli", *args], capture_output=True, text=True,
                          timeout=timeout, cwd=ROOT, env=env)


def test_ask_json_names_fidan_and_cites_exact_file_text(seeded_store):
    out = newsrag("ask", "Who chaired the talks in Istanbul?", "--json", "--llm", "extractive",
                  "--store", f"chroma:{seeded_store}", "--source", str(SEEDS))
    assert out.returncode == 0, out.stderr
    answer = json.loads(out.stdout)
    assert "Hakan Fidan" in answer["answer"] and not answer["refused"] and answer["llm"] == "extractive"
    assert set(answer) >= {"question", "answer", "refused", "fallback", "notice", "llm", "citations", "passages",
                           "timings_ms"}
    for c in answer["citations"]:
        text = (SEEDS / c["source"]).read_text(encoding="utf-8")
        assert text[c["start"]:c["end"]] == c["text"]
    assert [c["n"] for c in answer["citations"]] == list(range(1, len(answer["citations"]) + 1))


@pytest.mark.parametrize("args,message", [
    (["ask", "Who?", "--llm", "gpt"], "unknown --llm 'gpt'"),
    (["ask", "   ", "--llm", "extractive"], "empty"),
    (["ask", "Who?", "--store", "postgres://x"], "unknown --store"),
    (["index", "--source", "/nonexistent/folder"], "does not exist"),
])
def test_user_mistakes_exit_2_with_one_line(args, message, seeded_store):
    if "--store" not in args and args[0] == "ask":
        args = [*args, "--store", f"chroma:{seeded_store}"]
    out = newsrag(*args)
    assert out.returncode == 2
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and message in lines[0] and "Traceback" not in out.stderr


def test_no_index_on_a_server_store_says_what_to_do(tmp_path):
    out = newsrag("ask", "Who?", "--llm", "extractive", "--store", "chroma+http://127.0.0.1:9")
    assert out.returncode == 2 and "cannot reach the Chroma server" in out.stderr


def test_help_lists_every_command():
    out = newsrag("--help")
    for command in ("index", "ask", "chat", "eval", "bench", "serve-store"):
        assert command in out.stdout
