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
    """A GGUF model run in-process by llama-cpp-python; loaded on first use, one call at a time."""

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
                    max_tokens=max_tokens, temperature=0.0, stream=True, stop=["\n\n", "Question:", "Sources:"])
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

    def __init__(self, spec: LLMSpec, *, timeout: float, retries: int):
        self.spec, self.timeout, self.retries = spec, timeout, retries
        where = f"@{spec.base}" if spec.base else ""
        self.name = f"{spec.kind}:{spec.model}{where}"
        self._chat = None

    def _build(self, max_tokens: int):
        if self.spec.kind == "openai":
            from langchain_openai import ChatOpenAI

            return ChatOpenAI(model=self.spec.model, base_url=self.spec.base, temperature=0, max_tokens=max_tokens,
                              api_key=os.environ.get("OPENAI_API_KEY") or "not-needed", timeout=self.timeout,
                              max_retries=0)
        from langchain_ollama import ChatOllama

        return ChatOllama(model=self.spec.model, base_url=self.spec.base, temperature=0, num_predict=max_tokens,
                          client_kwargs={"timeout": self.timeout})

    def stream(self, system: str, user: str, *, max_tokens: int) -> Iterator[str]:
        if self._chat is None:
            self._chat = self._build(max_tokens)
        deadline = time.monotonic() + self.timeout
        attempt = 0
        while True:
            sent = False
            try:
                for chunk in self._chat.stream([("system", system), ("human", user)]):
                    text = chunk.content if isinstance(chunk.content, str) else ""
                    if text:
                        sent = True
                        yield text
                    if time.monotonic() > deadline:
                        raise LLMError(f"took longer than {self.timeout:.0f}s")
                return
            except LLMError:
                raise
            except Exception as exc:
                why = describe(exc)
                transient = _transient(exc)
                if sent or not transient or attempt >= self.retries or time.monotonic() > deadline:
                    raise LLMError(why) from None
                attempt += 1
                time.sleep(min(2.0 ** attempt * 0.25, max(0.0, deadline - time.monotonic())))


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
