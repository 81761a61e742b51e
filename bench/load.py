"""Concurrent chat clients against the Gradio chat page on loopback.

The page is served as users reach it: `newsrag chat` in a process of its own on a
free port (`servers.chat_server`), over the store the bench built; each client is a
`gradio_client.Client` in its own thread, connected before the clock starts, asking
its share of distinct gold questions through the page's `/ask` endpoint. The run is bounded both by count (clients x requests each) and by time
(no new request after the deadline). Throughput is answered requests over the
wall time; latency is per request as the client sees it (queueing included: the
page answers one question at a time, so requests wait their turn).
"""
from __future__ import annotations

import threading
import time
from pathlib import Path

from .measure import summary
from .servers import chat_server


def load_test(chat_args: list[str], questions: list[str], *, clients: int, per_client: int, limit_s: float,
              log_path: Path, tick=None) -> dict:
    """`newsrag chat CHAT_ARGS` served in its own process, then `clients` concurrent clients."""
    from gradio_client import Client

    started = time.perf_counter()
    with chat_server(chat_args, log_path) as url:
        page_start_s = time.perf_counter() - started     # process start, models loaded, index opened
        connections = [Client(url, verbose=False) for _ in range(clients)]
        latencies: list[float] = []
        errors: list[str] = []
        lock = threading.Lock()
        start = threading.Barrier(clients + 1)
        deadline = [0.0]

        def client(i: int, conn):
            start.wait()
            for j in range(per_client):
                if time.perf_counter() > deadline[0]:
                    return
                question = questions[(i * per_client + j) % len(questions)]
                t0 = time.perf_counter()
                try:
                    chat, _sources, status, _box = conn.predict(question, [], api_name="/ask")
                    ok = not status and len(chat) == 2
                    why = None if ok else f"no answer (status {status!r})"
                except Exception as exc:  # a failed request is a figure, not a crash
                    ok, why = False, f"{type(exc).__name__}: {str(exc)[:120]}"
                elapsed = (time.perf_counter() - t0) * 1000
                with lock:
                    (latencies.append(elapsed) if ok else errors.append(why))
                if tick:
                    tick()

        threads = [threading.Thread(target=client, args=(i, c), daemon=True) for i, c in enumerate(connections)]
        for t in threads:
            t.start()
        t0 = time.perf_counter()
        deadline[0] = t0 + limit_s
        start.wait()
        for t in threads:
            t.join(timeout=limit_s + 120)
        wall = time.perf_counter() - t0
    llm = chat_args[chat_args.index("--llm") + 1] if "--llm" in chat_args else "local"
    return {"clients": clients, "requests_per_client": per_client, "limit_s": limit_s,
            "answered": len(latencies), "errors": len(errors), "error_examples": errors[:3],
            "wall_s": round(wall, 2), "throughput_per_s": round(len(latencies) / wall, 2) if wall else None,
            "latency_ms": summary(latencies), "llm": llm, "page_start_s": round(page_start_s, 2),
            "served_by": "newsrag chat, its own process"}
