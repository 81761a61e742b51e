"""LLM backends behind one small protocol, chosen by spec.

`extractive` means no LLM. `local` is the embedded default (a packaged GGUF run by
llama.cpp on the CPU), `gguf:PATH` any GGUF file, `openai:MODEL[@BASE_URL]` any
OpenAI-compatible server (key from OPENAI_API_KEY), `ollama:MODEL[@HOST]` an
Ollama server. Each streams text pieces, stops at its timeout, and raises
LLMError (never anything else) so the engine can fall back to quotations.
"""
from __future__ import annotations

import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, Protocol

from index.errors import NewsragError

SPEC_HELP = "use extractive, local, local:smollm, gguf:PATH, openai:MODEL[@BASE_URL] or ollama:MODEL[@HOST]"


class LLMError(Exception):
    """The LLM failed (timed out, unreachable, refused the request); `why` is for the user."""

    def __init__(self, why: str):
        super().__init__(why)
        self.why = why


class ChatBackend(Protocol):
    name: str

    def stream(self, system: str, user: str, *, max_tokens: int) -> Iterator[str]: ...


@dataclass(frozen=True)
class LLMSpec:
    kind: str                 # extractive | local | gguf | openai | ollama
    model: str = ""
    base: str | None = None

    @classmethod
    def parse(cls, spec: str) -> "LLMSpec":
        spec = (spec or "").strip()
        kind, _, rest = spec.partition(":")
        if spec == "extractive":
            return cls("extractive")
        if kind == "local":
            from .models import DEFAULT, MODELS

            model = rest or DEFAULT
            if model not in MODELS:
                raise NewsragError(f"unknown local model {model!r}; use local, local:qwen or local:smollm")
            return cls("local", model)
        if kind == "gguf" and rest:
            return cls("gguf", rest)
        if kind in ("openai", "ollama") and rest:
            model, _, base = rest.partition("@")
            if model:
                return cls(kind, model, base or None)
        raise NewsragError(f"unknown --llm {spec!r}; {SPEC_HELP}")


class LlamaCpp:
    """A GGUF model run in-process by llama-cpp-python; loaded on first use, one call at a time.
    Small: it gets the short prompt and writes one line."""

    small = True

    def __init__(self, path: Path | None, name: str, *, threads: int, timeout: float, resolve=None, n_ctx: int = 2048):
        self._path, self.name, self.threads, self.timeout, self.n_ctx = path, name, threads, timeout, n_ctx
        self._resolve = resolve     # builds the path lazily (assembling the packaged model)
        self._llm = None
        self._lock = threading.Lock()

    def warm_up(self):
        if self._llm is None:
            os.environ["HF_HUB_OFFLINE"] = "1"
            path = self._path or self._resolve()
            if not Path(path).is_file():
                raise NewsragError(f"no GGUF file at {path}: check --llm gguf:PATH")
            from llama_cpp import Llama

            try:
                self._llm = Llama(model_path=str(path), n_ctx=self.n_ctx, n_threads=self.threads,
                                  n_threads_batch=self.threads, verbose=False, seed=0)
            except (ValueError, RuntimeError) as exc:
                raise NewsragError(f"llama.cpp could not load {path}: {exc}") from None
        return self._llm

    def count_tokens(self, text: str) -> int:
        return len(self.warm_up().tokenize(text.encode(), add_bos=False))

    def stream(self, system: str, user: str, *, max_tokens: int) -> Iterator[str]:
        with self._lock:
            llm = self.warm_up()
            deadline = time.monotonic() + self.timeout
            try:
                pieces = llm.create_chat_completion(
                    messages=[{"role": "system", "content": system}, {"role": "user", "content": user}],
                    max_tokens=max_tokens, temperature=0.0, stream=True, repeat_penalty=1.15,
                    stop=["\n", "Question:", "Sources:"])
                for part in pieces:
                    delta = part["choices"][0].get("delta", {}).get("content")
                    if delta:
                        yield delta
                    if time.monotonic() > deadline:
                        raise LLMError(f"took longer than {self.timeout:.0f}s")
            except LLMError:
                raise
            except Exception as exc:  # llama.cpp raises plain ValueError/RuntimeError
                raise LLMError(f"failed ({type(exc).__name__}: {str(exc)[:120]})") from None


class LangChainChat:
    """An OpenAI-compatible or Ollama server through its LangChain chat model."""

    small = False

    def __init__(self, spec: LLMSpec, *, timeout: float, retries: int):
        self.spec, self.timeout, self.retries = spec, timeout, retries
        where = f"@{spec.base}" if spec.base else ""
        self.name = f"{spec.kind}:{spec.model}{where}"
        self._chats: dict[int, object] = {}     # one chat model per token budget (condense, answer)

    def _build(self, max_tokens: int):
        if self.spec.kind == "openai":
            import httpx
            from langchain_openai import ChatOpenAI

            # its own HTTP client (LangChain's default is shared process-wide), so that a stalled
            # stream can be cut off by closing it without breaking any other chat model
            return ChatOpenAI(model=self.spec.model, base_url=self.spec.base, temperature=0, max_tokens=max_tokens,
                              api_key=os.environ.get("OPENAI_API_KEY") or "not-needed", timeout=self.timeout,
                              max_retries=0, http_client=httpx.Client(timeout=self.timeout))
        from langchain_ollama import ChatOllama

        return ChatOllama(model=self.spec.model, base_url=self.spec.base, temperature=0, num_predict=max_tokens,
                          client_kwargs={"timeout": self.timeout})

    def stream(self, system: str, user: str, *, max_tokens: int) -> Iterator[str]:
        chat = self._chats.get(max_tokens)
        if chat is None:
            chat = self._chats[max_tokens] = self._build(max_tokens)
        deadline = time.monotonic() + self.timeout
        attempt = 0
        while True:
            sent = False
            try:
                for text in _before(deadline, self.timeout,
                                    lambda: chat.stream([("system", system), ("human", user)])):
                    sent = True
                    yield text
                return
            except LLMError:
                self._chats.pop(max_tokens, None)
                _close(chat)   # frees a connection still held by a server that never finishes
                raise
            except Exception as exc:
                why = describe(exc)
                transient = _transient(exc)
                if sent or not transient or attempt >= self.retries or time.monotonic() > deadline:
                    raise LLMError(why) from None
                attempt += 1
                time.sleep(min(2.0 ** attempt * 0.25, max(0.0, deadline - time.monotonic())))


def _before(deadline: float, limit: float, start) -> Iterator[str]:
    """The text pieces of the chat stream `start()`, read in a helper thread so the deadline
    holds however the server stalls: HTTP clients time out a single read, and a server that
    trickles keep-alive bytes, or one word a second, never trips that."""
    import queue

    pieces: queue.Queue = queue.Queue()
    stop = threading.Event()

    def pump():
        try:
            for chunk in start():
                text = chunk.content if isinstance(chunk.content, str) else ""
                if text:
                    pieces.put(("text", text))
                if stop.is_set():
                    return
            pieces.put(("end", None))
        except BaseException as exc:  # handed to the caller, which decides
            pieces.put(("error", exc))

    threading.Thread(target=pump, daemon=True, name="newsrag-llm-stream").start()
    try:
        while True:
            left = deadline - time.monotonic()
            try:
                if left <= 0:
                    raise queue.Empty
                kind, value = pieces.get(timeout=left)
            except queue.Empty:
                raise LLMError(f"took longer than {limit:.0f}s") from None
            if kind == "end":
                return
            if kind == "error":
                raise value
            yield value
    finally:
        stop.set()


def _close(chat):
    """Close the chat model's own HTTP client, ending a read that a stalled server holds open."""
    client = getattr(chat, "http_client", None)
    try:
        if client is not None:
            client.close()
    except Exception:
        pass


def _status(exc: Exception) -> int | None:
    return getattr(exc, "status_code", None) or getattr(getattr(exc, "response", None), "status_code", None)


def _transient(exc: Exception) -> bool:
    status = _status(exc)
    if status is not None:
        return status == 429 or status >= 500
    return any(w in type(exc).__name__ for w in ("Connection", "Timeout", "Connect"))


def describe(exc: Exception) -> str:
    status = _status(exc)
    name = type(exc).__name__
    if status == 429:
        return "is rate-limited (HTTP 429)"
    if status == 401:
        return "refused the API key (HTTP 401): set OPENAI_API_KEY"
    if status is not None:
        return f"answered HTTP {status}"
    if "Timeout" in name:
        return "timed out"
    if "Connection" in name or "Connect" in name:
        return "is unreachable"
    return f"failed ({name})"


def build_backend(spec: LLMSpec, *, threads: int, timeout: float, retries: int, cache_dir: Path):
    """The backend for a parsed spec (None for extractive); loads nothing yet."""
    if spec.kind == "extractive":
        return None
    if spec.kind == "local":
        from .models import MODELS, model_path

        return LlamaCpp(None, f"local:{MODELS[spec.model].name}", threads=threads, timeout=timeout,
                        resolve=lambda: model_path(spec.model, cache_dir))
    if spec.kind == "gguf":
        path = Path(spec.model).expanduser()
        if not path.is_file():
            raise NewsragError(f"no GGUF file at {path}: check --llm gguf:PATH")
        return LlamaCpp(path, f"gguf:{path.name}", threads=threads, timeout=timeout)
    return LangChainChat(spec, timeout=timeout, retries=retries)
