"""Answering with the local LLM, and cold starts of `newsrag ask`.

Local: time to first token (from the question to the first piece of draft that
`Engine.stream` yields: retrieval and evidence, then the model reading the prompt,
both reported), decoding speed (tokens after the
first over the time they took, counted with the model's own tokenizer), and the
whole answer (question to verified Answer). Cold start: a new `newsrag ask`
process over an index that is already built, from process start to the printed
answer, with the child's peak resident memory sampled while it runs.
"""
from __future__ import annotations

import json
import os
import subprocess
import time
from pathlib import Path

from .measure import PeakRSS, Stopwatch, median, rss_mb, summary
from .scale import Question, open_engine
from .servers import newsrag_command


def local_answers(settings, store_dir: Path, source: Path, embedder, questions: list[Question], tick=None) -> dict:
    engine = open_engine(settings, store_dir, source, embedder, llm="local")
    with Stopwatch() as load:
        engine.warm_up()
    rows, rss_after_one = [], None
    for q in questions:
        stamps, answer = [], None
        t0 = time.perf_counter()
        for event in engine.stream(q.question, list(q.history) or None):
            if isinstance(event, str):
                stamps.append(time.perf_counter())
            else:
                answer = event
        total = time.perf_counter() - t0
        if rss_after_one is None:
            rss_after_one = rss_mb()
        row = {"id": q.id, "total_s": total, "refused": answer.refused, "fallback": answer.fallback}
        if stamps:
            tokens = engine.backend.count_tokens(answer.draft or "") or 0
            row["first_token_s"] = stamps[0] - t0
            row["tokens"] = tokens
            span = stamps[-1] - stamps[0]
            row["tokens_per_s"] = (tokens - 1) / span if tokens > 1 and span > 0 else None
            # first token = retrieval and evidence, then the prompt read by the model (prefill)
            row["retrieve_s"] = answer.timings_ms.get("retrieve", 0.0) / 1000
            row["prompt_tokens"] = prompt_tokens(engine, q, answer)
            prefill = row["first_token_s"] - row["retrieve_s"]
            row["prefill_tokens_per_s"] = row["prompt_tokens"] / prefill if prefill > 0 else None
        rows.append(row)
        if tick:
            tick()
    drafted = [r for r in rows if "first_token_s" in r]
    return {
        "llm": engine.llm_name,
        "threads": engine.settings.threads,
        "load_s": round(load.s, 2),
        "questions": len(rows),
        "drafted": len(drafted),
        "fallbacks": sum(r["fallback"] for r in rows),
        "first_token_s": summary(r["first_token_s"] for r in drafted),
        "tokens_per_s": median(r["tokens_per_s"] for r in drafted),
        "retrieve_s_p50": median(r["retrieve_s"] for r in drafted),
        "prompt_tokens_mean": round(sum(r["prompt_tokens"] for r in drafted) / len(drafted), 1) if drafted else None,
        "prefill_tokens_per_s": median(r["prefill_tokens_per_s"] for r in drafted),
        "answer_tokens_mean": round(sum(r["tokens"] for r in drafted) / len(drafted), 1) if drafted else None,
        "total_s": summary(r["total_s"] for r in rows),
        "rss_after_warm_up_and_one_answer_mb": round(rss_after_one, 1) if rss_after_one else None,
        "rows": [{k: (round(v, 3) if isinstance(v, float) else v) for k, v in r.items()} for r in rows],
    }


def prompt_tokens(engine, q: Question, answer) -> int:
    """Tokens of the answering prompt the engine sent (system and user message, as
    `Engine.prompt_for` gives them; the chat template's few tokens not counted)."""
    prompt = engine.prompt_for(q.question, list(q.history) or None)
    if prompt is None:
        return 0
    return sum(engine.backend.count_tokens(part) or 0 for part in prompt)


def cold_start(llm: str, store_dir: Path, source: Path, question: str, runs: int, cwd: Path,
               collection: str) -> dict:
    """`newsrag ask QUESTION --llm LLM --json` in a new process, `runs` times, index built."""
    cmd = newsrag_command() + ["ask", question, "--llm", llm, "--store", f"chroma:{store_dir}",
                               "--source", str(source), "--collection", collection, "--json"]
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "ANONYMIZED_TELEMETRY": "False"}
    times, peaks, inner = [], [], []
    for _ in range(runs):
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, cwd=cwd, text=True)
        with PeakRSS(proc.pid, interval=0.1) as peak:
            out, err = proc.communicate(timeout=600)
        elapsed = time.perf_counter() - t0
        if proc.returncode != 0:
            return {"error": f"`{' '.join(cmd[:3])} ...` exited {proc.returncode}: {err.strip()[-300:]}"}
        answer = json.loads(out)
        times.append(elapsed)
        peaks.append(peak.peak_mb)
        inner.append(answer.get("timings_ms", {}).get("total"))
    return {"llm": llm, "runs": runs, "seconds": median(times), "all_s": [round(t, 2) for t in times],
            "answer_in_process_ms": median(inner), "peak_rss_mb": median(peaks),
            "command": "newsrag ask QUESTION --llm " + llm + " --json"}
