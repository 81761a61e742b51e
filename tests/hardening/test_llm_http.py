"""An OpenAI-compatible backend that misbehaves, played by tiny real HTTP servers on 127.0.0.1:
it hangs, trickles keep-alives forever, answers 500 or 429, or sends malformed text. The
engine must answer anyway (quoted from the sources, fallback=True, a notice), within a
bounded time, without hammering the server, and without leaking the API key."""
from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SEEDS = ROOT / "seeds"
TIMEOUT = 3.0
KEY = "sk-SENTINEL-4f1d9c-never-show-me"
QUESTION = "Who chaired the talks in Istanbul?"


def sse(content: str) -> bytes:
    chunk = {"id": "c1", "object": "chat.completion.chunk", "created": 0, "model": "m",
             "choices": [{"index": 0, "delta": {"role": "assistant", "content": content}, "finish_reason": None}]}
    return f"data: {json.dumps(chunk)}\n\n".encode()


class Backend:
    """A server whose POST /v1/chat/completions does `behaviour`; counts and records requests."""

    def __init__(self, behaviour: str):
        self.behaviour, self.calls, self.bodies, self.stop = behaviour, 0, [], threading.Event()
        backend = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length) or b"{}")
                backend.calls += 1
                backend.bodies.append({**body, "authorization": self.headers.get("Authorization")})
                getattr(backend, backend.behaviour)(self)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_port}/v1"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.stop.set()
        self.server.shutdown()
        self.server.server_close()

    # -- behaviours --------------------------------------------------------------------------------
    def _reply(self, h, status: int, body: bytes, ctype="application/json", headers=()):
        h.send_response(status)
        h.send_header("Content-Type", ctype)
        h.send_header("Content-Length", str(len(body)))
        for k, v in headers:
            h.send_header(k, v)
        h.end_headers()
        h.wfile.write(body)

    def _stream_head(self, h):
        h.send_response(200)
        h.send_header("Content-Type", "text/event-stream")
        h.send_header("Connection", "close")
        h.end_headers()
        h.wfile.flush()

    def hang(self, h):                      # accepts, never answers
        self.stop.wait(60)

    def hang_after_headers(self, h):        # 200 and headers, then nothing
        self._stream_head(h)
        self.stop.wait(60)

    def trickle(self, h):                   # keep-alive comments forever: every read succeeds
        self._stream_head(h)
        while not self.stop.wait(0.3):
            try:
                h.wfile.write(b": keep-alive\n\n")
                h.wfile.flush()
            except OSError:
                return

    def slow_words(self, h):                # real content, one word a second, forever
        self._stream_head(h)
        while not self.stop.wait(1.0):
            try:
                h.wfile.write(sse("Fidan "))
                h.wfile.flush()
            except OSError:
                return

    def error_500(self, h):
        body = json.dumps({"error": {"message": f"internal error; your key was {h.headers.get('Authorization')}",
                                     "type": "server_error"}}).encode()
        self._reply(h, 500, body)

    def error_429(self, h):
        body = json.dumps({"error": {"message": "slow down", "type": "rate_limit"}}).encode()
        self._reply(h, 429, body, headers=[("Retry-After", "30")])

    def bad_json_stream(self, h):           # event-stream of broken JSON
        self._stream_head(h)
        h.wfile.write(b"data: {\"choices\": [{\"delta\": {\"content\": \"Fid\n\ndata: [DONE]\n\n")
        h.wfile.flush()

    def html_page(self, h):                 # a proxy's HTML error page with status 200
        self._reply(h, 200, b"<html><body>Gateway says hello</body></html>", ctype="text/html")

    def gibberish(self, h):                 # well-formed stream, nonsense text
        self._stream_head(h)
        for piece in ["\u0000%%%", " ]][[ [7] ", "\ufffd\ufffd lorem", " [99]."]:
            h.wfile.write(sse(piece))
        h.wfile.write(b"data: [DONE]\n\n")
        h.wfile.flush()

    def good(self, h):                      # a correct, cited answer
        self._stream_head(h)
        for piece in ["Hakan Fidan", " chaired the meeting", " [1]."]:
            h.wfile.write(sse(piece))
        h.wfile.write(b"data: [DONE]\n\n")
        h.wfile.flush()


@pytest.fixture(scope="module")
def warm_corpus(seeded_store):
    """One warmed extractive engine: its store and embedder are handed to the engines under
    test, so each measures the LLM call rather than loading the embedder again."""
    from rag import Engine, Settings

    e = Engine(Settings(llm="extractive", store=f"chroma:{seeded_store}", source=str(SEEDS), llm_timeout=TIMEOUT))
    e.warm_up()
    return e


@pytest.fixture
def engine_for(warm_corpus, monkeypatch, seeded_store):
    from rag import Engine, Settings

    for var in ("NEWSRAG_LLM", "NEWSRAG_LLM_TIMEOUT", "NEWSRAG_LLM_RETRIES", "NEWSRAG_STORE", "NEWSRAG_COLLECTION"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    servers = []

    def make(behaviour: str):
        backend = Backend(behaviour)
        servers.append(backend)
        e = Engine(Settings(llm=f"openai:m@{backend.url}", llm_timeout=TIMEOUT, llm_retries=1,
                            store=f"chroma:{seeded_store}", source=str(SEEDS)),
                   store=warm_corpus.store, embedder=warm_corpus.embedder)     # the warmed retrieval's parts
        return e, backend

    yield make
    for s in servers:
        s.close()


def no_secrets(answer):
    dumped = json.dumps(answer.to_dict())
    assert KEY not in dumped and "SENTINEL" not in dumped


@pytest.mark.parametrize("behaviour", ["hang", "hang_after_headers", "trickle", "slow_words"])
def test_hanging_backend_falls_back_in_bounded_time(engine_for, behaviour):
    engine, backend = engine_for(behaviour)
    t0 = time.monotonic()
    a = engine.ask(QUESTION)
    elapsed = time.monotonic() - t0
    assert elapsed < 3 * TIMEOUT, f"{behaviour}: {elapsed:.1f}s"
    assert a.fallback and a.notice and not a.refused
    assert "Fidan" in a.text and a.citations
    assert backend.calls <= 2
    no_secrets(a)


@pytest.mark.parametrize("behaviour,status", [("error_500", "HTTP 500"), ("error_429", "429")])
def test_error_status_falls_back_after_at_most_one_retry(engine_for, behaviour, status):
    engine, backend = engine_for(behaviour)
    t0 = time.monotonic()
    a = engine.ask(QUESTION)
    assert time.monotonic() - t0 < 3 * TIMEOUT
    assert a.fallback and status in a.notice and "Fidan" in a.text
    assert backend.calls <= 1 + 1   # 1 + llm_retries
    assert backend.bodies[0]["authorization"] == f"Bearer {KEY}"  # the key did reach the server...
    no_secrets(a)                                                  # ...and never the user


@pytest.mark.parametrize("behaviour", ["bad_json_stream", "html_page", "gibberish"])
def test_malformed_reply_falls_back(engine_for, behaviour):
    engine, backend = engine_for(behaviour)
    t0 = time.monotonic()
    a = engine.ask(QUESTION)
    assert time.monotonic() - t0 < 3 * TIMEOUT
    assert a.fallback and a.notice and "Fidan" in a.text and not a.refused
    assert "lorem" not in a.text and "[99]" not in a.text and "Gateway" not in a.text
    assert backend.calls <= 2
    no_secrets(a)


def test_good_backend_is_verified_not_fallback(engine_for):
    engine, backend = engine_for("good")
    a = engine.ask(QUESTION)
    assert not a.fallback and "Fidan" in a.text and a.citations and backend.calls == 1
    assert a.llm.startswith("openai:m@http://127.0.0.1:")


def test_each_call_asks_for_its_own_token_budget(engine_for):
    """A follow-up first sends the short condensing call; the answer call after it must still
    ask for the answer's own budget, not the condensing one."""
    from rag import prompts

    engine, backend = engine_for("good")
    history = [("user", "Who led Ukraine's delegation?"), ("assistant", "Rustem Umerov [1].")]
    engine.ask("And who chaired those talks?", history=history)
    kinds = [("condense" if b["messages"][0]["content"] == prompts.CONDENSE_SYSTEM else "answer",
              b.get("max_tokens") or b.get("max_completion_tokens")) for b in backend.bodies]
    assert kinds[0][0] == "condense", kinds
    answers = [n for kind, n in kinds if kind == "answer"]
    assert answers and all(n == engine.settings.max_answer_tokens for n in answers), kinds


def test_unreachable_backend_falls_back(engine_for, free_port):
    from rag import Engine, Settings

    engine, _ = engine_for("good")
    e = Engine(Settings(llm=f"openai:m@http://127.0.0.1:{free_port()}/v1", llm_timeout=TIMEOUT, llm_retries=1,
                        store=engine.settings.store, source=str(SEEDS)), store=engine.store, embedder=engine.embedder)
    t0 = time.monotonic()
    a = e.ask(QUESTION)
    assert time.monotonic() - t0 < 3 * TIMEOUT
    assert a.fallback and "unreachable" in a.notice and "Fidan" in a.text
