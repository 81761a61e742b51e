"""LLM backends behind one small protocol, chosen by spec or handed in.

`extractive` means no LLM. `local` is the embedded default (a packaged GGUF run by
llama.cpp on the CPU), `gguf:PATH` any GGUF file, `openai:MODEL[@BASE_URL]` any
OpenAI-compatible server (key from OPENAI_API_KEY), `ollama:MODEL[@HOST]` an
Ollama server. Any LangChain chat model can be handed to the engine as well
(`Engine(settings, llm=ChatAnthropic(...))`): `as_backend` wraps it like the two
built-in ones. Each streams text pieces, stops at its timeout, and raises
LLMError (never anything else) so the engine can fall back to quotations.

Calls are reported to LangChain callbacks of the run they happen in (the engine
used as a Runnable): LangChain chat models report themselves, and `Traced` reports
for the others.
"""
from __future__ import annotations

import contextvars
import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator, Protocol, runtime_checkable

from .errors import LLMError, NewsragError

__all__ = ["ChatBackend", "LLMError", "LLMSpec", "LlamaCpp", "LangChainChat", "Traced", "as_backend",
           "build_backend", "SPEC_HELP"]

SPEC_HELP = ("use extractive, local, local:1.5b, local:smollm, gguf:PATH, openai:MODEL[@BASE_URL] "
             "or ollama:MODEL[@HOST]")
N_CTX = 2048                # llama.cpp context: the short prompt and a one-line answer fit with room to spare
REPEAT_PENALTY = 1.15       # the 0.1-0.5B models loop on "[1] [1] ..." without it
RETRY_BASE_S = 0.25         # first back-off after a transient error; doubles per attempt


@runtime_checkable
class ChatBackend(Protocol):
    """What the engine needs of an LLM."""

    name: str        # "local:qwen2.5-coder-0.5b-instruct-q4_k_m", shown with every answer
    small: bool      # a 0.1-0.5B model: gets the short prompt, and follow-ups are condensed by rule

    def stream(self, system: str, user: str, *, max_tokens: int) -> Iterator[str]:
        """The reply's text pieces as they come; LLMError when the LLM fails or runs out of time."""
        ...

    def warm_up(self) -> None:
        """Load or reach the model now rather than on the first question."""
        ...

    def count_tokens(self, text: str) -> int | None:
        """Tokens of `text` in the model's own tokenizer; None when it is not known here."""
        ...


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

            model = (rest or DEFAULT).strip().lower()
            if model not in MODELS:
                raise NewsragError(f"unknown local model {model!r}; use local (the 0.5B), local:1.5b or local:smollm")
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
    Small by default: it gets the short prompt and writes one line.

    First token: llama-cpp-python keeps the KV cache of the previous call and evaluates only
    the tokens after the longest prefix the new prompt shares with it, so the fixed system
    prompt is evaluated once, not per question. `warm_up` does that once up front with
    `prefix` (the system prompt most calls start with), so the first question gets it too.
    Each call runs on as many of `threads` as the machine has cores to spare (`threads_for`).
    """

    def __init__(self, path: Path | None, name: str, *, threads: int, timeout: float, resolve=None, n_ctx: int = N_CTX,
                 small: bool = True, prefix: str | None = None):
        self._path, self.name, self.threads, self.timeout, self.n_ctx = path, name, threads, timeout, n_ctx
        self.small, self.prefix = small, prefix
        self._resolve = resolve     # builds the path lazily (assembling the packaged model)
        self._llm = None
        self._lock = threading.Lock()
        self._last = (time.monotonic(), _cpu_seconds())     # to tell our own share of the load

    def _threads_now(self, llm) -> int:
        now, cpu = time.monotonic(), _cpu_seconds()
        then, cpu_then = self._last
        self._last = (now, cpu)
        own = (cpu - cpu_then) / (now - then) if 0 < now - then < 60 else 0.0
        try:
            load = os.getloadavg()[0]
        except OSError:
            return self.threads
        n = threads_for(self.threads, _cores(), load, own)
        from llama_cpp import llama_set_n_threads

        llama_set_n_threads(llm.ctx, n, n)
        return n

    def warm_up(self) -> None:
        llm = self._load()
        if self.prefix:
            with self._lock:
                try:    # one token after the system prompt: its KV cache stays for the first question
                    self._threads_now(llm)
                    llm.create_chat_completion(messages=[{"role": "system", "content": self.prefix},
                                                         {"role": "user", "content": ""}],
                                               max_tokens=1, temperature=0.0)
                except Exception:  # a warm-up that fails costs only speed; the question itself will say why
                    pass

    def _load(self):
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
        return len(self._load().tokenize(text.encode(), add_bos=False))

    def stream(self, system: str, user: str, *, max_tokens: int) -> Iterator[str]:
        with self._lock:
            llm = self._load()
            deadline = time.monotonic() + self.timeout
            try:
                self._threads_now(llm)
                pieces = llm.create_chat_completion(
                    messages=[{"role": "system", "content": system}, {"role": "user", "content": user}],
                    max_tokens=max_tokens, temperature=0.0, stream=True, repeat_penalty=REPEAT_PENALTY,
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


def threads_for(threads: int, cores: int, load: float, own: float) -> int:
    """llama.cpp threads for one call: `threads`, but no more than the cores others leave free
    (`load`, the 1-minute load average, less `own`, this process's recent CPU use), and at least
    one. llama.cpp's threads wait for each other at every step, so a thread without a core of its
    own stalls the rest: at load 16-18 on 2 cores the 0.5B evaluated 3-9 prompt tokens/s and
    wrote 0.5 tokens/s with 2 threads, 34-38 and 9.5 with 1."""
    free = cores - max(0.0, load - own)
    return max(1, min(threads, int(free + 0.5)))


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def _cpu_seconds() -> float:
    times = os.times()
    return times.user + times.system


class LangChainChat:
    """A LangChain chat model as a backend: an OpenAI-compatible or Ollama server built from
    a spec (`from_spec`), or any chat model a caller hands in (`wrap`). Same deadline, retries
    and errors for both."""

    def __init__(self, chat_for: Callable[[int], object], name: str, *, timeout: float, retries: int,
                 owned: bool, small: bool = False):
        self._chat_for = chat_for     # the chat model for a token budget
        self.name, self.timeout, self.retries, self.small = name, timeout, retries, small
        self._owned = owned           # built here (so its HTTP client may be closed), or the caller's
        self._chats: dict[int, object] = {}     # one chat model per token budget (condense, answer)

    @classmethod
    def from_spec(cls, spec: "LLMSpec", *, timeout: float, retries: int) -> "LangChainChat":
        where = f"@{spec.base}" if spec.base else ""
        return cls(lambda max_tokens: _build_chat(spec, timeout, max_tokens), f"{spec.kind}:{spec.model}{where}",
                   timeout=timeout, retries=retries, owned=True)

    @classmethod
    def wrap(cls, chat, *, timeout: float, retries: int, name: str | None = None) -> "LangChainChat":
        """A caller's chat model, configured as they chose (its own token limit included; the
        stream is also cut after `max_tokens` pieces, about one token each)."""
        model = next((v for v in (getattr(chat, a, None) for a in ("model_name", "model", "model_id"))
                      if isinstance(v, str) and v), "")
        label = name or f"langchain:{type(chat).__name__}" + (f":{model}" if model else "")
        return cls(lambda max_tokens: chat, label, timeout=timeout, retries=retries, owned=False)

    def warm_up(self) -> None:
        """Nothing to load: a server is reached on the first call."""

    def count_tokens(self, text: str) -> int | None:
        return None     # a server's tokenizer is not available offline

    def stream(self, system: str, user: str, *, max_tokens: int) -> Iterator[str]:
        chat = self._chats.get(max_tokens)
        if chat is None:
            chat = self._chats[max_tokens] = self._chat_for(max_tokens)
        deadline = time.monotonic() + self.timeout
        attempt = 0
        while True:
            sent = 0
            try:
                for text in _before(deadline, self.timeout,
                                    lambda: chat.stream([("system", system), ("human", user)])):
                    sent += 1
                    yield text
                    if not self._owned and sent >= max_tokens:
                        return
                return
            except LLMError:
                if self._owned:
                    self._chats.pop(max_tokens, None)
                    _close(chat)   # frees a connection still held by a server that never finishes
                raise
            except Exception as exc:
                why = describe(exc)
                transient = _transient(exc)
                if sent or not transient or attempt >= self.retries or time.monotonic() > deadline:
                    raise LLMError(why) from None
                attempt += 1
                time.sleep(min(2.0 ** attempt * RETRY_BASE_S, max(0.0, deadline - time.monotonic())))


def _build_chat(spec: "LLMSpec", timeout: float, max_tokens: int):
    if spec.kind == "openai":
        import httpx
        from langchain_openai import ChatOpenAI

        # its own HTTP client (LangChain's default is shared process-wide), so that a stalled
        # stream can be cut off by closing it without breaking any other chat model
        return ChatOpenAI(model=spec.model, base_url=spec.base, temperature=0, max_tokens=max_tokens,
                          api_key=os.environ.get("OPENAI_API_KEY") or "not-needed", timeout=timeout,
                          max_retries=0, http_client=httpx.Client(timeout=timeout))
    from langchain_ollama import ChatOllama

    return ChatOllama(model=spec.model, base_url=spec.base, temperature=0, num_predict=max_tokens,
                      client_kwargs={"timeout": timeout})


class Traced:
    """A backend whose calls are reported to the LangChain callbacks of the run they happen
    in, as chat-model runs (messages, each new piece, the whole text). Without callbacks it
    adds nothing. For backends that are not LangChain chat models (llama.cpp, a caller's own)."""

    def __init__(self, inner: ChatBackend):
        self.inner = inner
        self.name, self.small = inner.name, inner.small

    def warm_up(self) -> None:
        self.inner.warm_up()

    def count_tokens(self, text: str) -> int | None:
        return self.inner.count_tokens(text)

    def stream(self, system: str, user: str, *, max_tokens: int) -> Iterator[str]:
        from langchain_core.callbacks import CallbackManager
        from langchain_core.messages import AIMessage, HumanMessage, SystemMessage
        from langchain_core.outputs import ChatGeneration, LLMResult
        from langchain_core.runnables.config import ensure_config

        config = ensure_config()
        if not config.get("callbacks"):
            yield from self.inner.stream(system, user, max_tokens=max_tokens)
            return
        manager = CallbackManager.configure(config.get("callbacks"), inheritable_tags=config.get("tags"),
                                            inheritable_metadata=config.get("metadata"))
        (run,) = manager.on_chat_model_start({"name": self.name}, [[SystemMessage(system), HumanMessage(user)]],
                                             invocation_params={"model": self.name, "max_tokens": max_tokens},
                                             name=self.name)
        text = ""
        try:
            for piece in self.inner.stream(system, user, max_tokens=max_tokens):
                run.on_llm_new_token(piece)
                text += piece
                yield piece
        except GeneratorExit:      # the engine stopped reading (a looping draft): what came is the reply
            run.on_llm_end(LLMResult(generations=[[ChatGeneration(message=AIMessage(text))]]))
            raise
        except BaseException as exc:
            run.on_llm_error(exc)
            raise
        run.on_llm_end(LLMResult(generations=[[ChatGeneration(message=AIMessage(text))]]))


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

    # the helper thread runs in this context, so the chat model reports to the caller's callbacks
    context = contextvars.copy_context()
    threading.Thread(target=context.run, args=(pump,), daemon=True, name="newsrag-llm-stream").start()
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

        model = MODELS[spec.model]
        return LlamaCpp(None, f"local:{model.name}", threads=threads, timeout=timeout, small=model.small,
                        prefix=_answer_system(model.small), resolve=lambda: model_path(spec.model, cache_dir))
    if spec.kind == "gguf":
        path = Path(spec.model).expanduser()
        if not path.is_file():
            raise NewsragError(f"no GGUF file at {path}: check --llm gguf:PATH")
        return LlamaCpp(path, f"gguf:{path.name}", threads=threads, timeout=timeout, prefix=_answer_system(True))
    return LangChainChat.from_spec(spec, timeout=timeout, retries=retries)


def _answer_system(small: bool) -> str:
    """The system prompt the engine answers with, for a backend that gets the short prompt or not."""
    from . import prompts

    return prompts.ANSWER_SYSTEM_SMALL if small else prompts.ANSWER_SYSTEM


def as_backend(llm, *, timeout: float, retries: int) -> ChatBackend:
    """What a caller handed `Engine(llm=...)`, as a backend: a LangChain chat model is wrapped
    (with newsrag's deadline and retries), a newsrag backend is taken as it is."""
    from langchain_core.language_models import BaseChatModel

    if isinstance(llm, BaseChatModel):
        return LangChainChat.wrap(llm, timeout=timeout, retries=retries)
    if isinstance(llm, ChatBackend):
        return llm
    raise NewsragError(f"llm={type(llm).__name__} is neither a LangChain chat model nor a newsrag backend "
                       "(name, small, stream, warm_up, count_tokens); pass one, or a spec in Settings(llm=...)")
