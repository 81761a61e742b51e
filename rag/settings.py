"""One frozen Settings: defaults, then NEWSRAG_* variables, then explicit arguments.

Read once where a program starts (`Settings()` or `Settings.from_env(...)`), then
passed down; nothing else reads the environment. Frozen and hashable, so one engine
can be kept per distinct Settings (`rag.ask`). Relative default paths resolve
against the project root (the folder holding pyproject.toml and seeds/), so the
CLI works from any directory.
"""
from __future__ import annotations

import os
from dataclasses import MISSING, dataclass, field, fields, replace
from pathlib import Path

from .errors import NewsragError

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def _env(name: str):
    value = os.environ.get(name) if name else None
    return value if value not in (None, "") else None


@dataclass(frozen=True, init=False)
class Settings:
    """newsrag's configuration. `Settings(llm="extractive")` takes the defaults, then
    NEWSRAG_* variables, then the explicit (non-None) arguments."""

    llm: str = "local"
    store: str = "chroma:.newsrag/chroma"
    source: str = "seeds"
    k: int = 5
    collection: str = "newsrag"
    chunk_size: int = 400
    chunk_overlap: int = 1
    llm_timeout: float = 30.0        # seconds for one LLM call before falling back to quotations
    llm_retries: int = 1             # extra attempts on a transient LLM error (429, 5xx, connection)
    max_question_chars: int = 2000
    context_sentences: int = 4       # sentences the LLM sees
    max_answer_tokens: int = 64
    cache_dir: str = ".newsrag/cache"
    threads: int = field(default_factory=lambda: max(1, os.cpu_count() or 1))
    auth: str | None = field(default=None, repr=False)   # "user:password" the chat page asks for; never printed
    feedback: str = ".newsrag/feedback.jsonl"    # the chat page's thumbs up/down, appended as JSONL

    _ENV = {"llm": "NEWSRAG_LLM", "store": "NEWSRAG_STORE", "source": "NEWSRAG_SOURCE", "k": "NEWSRAG_K",
            "collection": "NEWSRAG_COLLECTION", "chunk_size": "NEWSRAG_CHUNK_SIZE",
            "chunk_overlap": "NEWSRAG_CHUNK_OVERLAP", "llm_timeout": "NEWSRAG_LLM_TIMEOUT",
            "llm_retries": "NEWSRAG_LLM_RETRIES", "cache_dir": "NEWSRAG_CACHE", "threads": "NEWSRAG_THREADS",
            "context_sentences": "NEWSRAG_CONTEXT_SENTENCES", "max_answer_tokens": "NEWSRAG_MAX_ANSWER_TOKENS",
            "auth": "NEWSRAG_AUTH", "feedback": "NEWSRAG_FEEDBACK"}

    def __init__(self, **overrides):
        names = {f.name: f for f in fields(self)}
        unknown = sorted(set(overrides) - set(names))
        if unknown:
            raise TypeError(f"Settings has no field {unknown[0]!r}; fields: {', '.join(names)}")
        for name, f in names.items():
            if overrides.get(name) is not None:
                value = overrides[name]
            elif (raw := _env(self._ENV.get(name, ""))) is not None:
                value = _coerce(name, raw, self._ENV[name])
            else:
                value = f.default_factory() if f.default_factory is not MISSING else f.default
            object.__setattr__(self, name, value)
        self.checked()

    from_env = classmethod(lambda cls, **overrides: cls(**overrides))

    def with_(self, **changes) -> "Settings":
        return replace(self, **{k: v for k, v in changes.items() if v is not None})

    def checked(self) -> "Settings":
        if not 1 <= int(self.k) <= 50:
            raise NewsragError(f"k must be between 1 and 50, got {self.k}")
        if self.chunk_size < 50:
            raise NewsragError(f"chunk size must be at least 50 characters, got {self.chunk_size}")
        if self.llm_timeout <= 0:
            raise NewsragError("the LLM timeout must be a positive number of seconds")
        return self

    # -- resolved paths -------------------------------------------------------------
    def source_path(self) -> Path:
        path = Path(self.source).expanduser()
        if not path.is_absolute():
            path = (PROJECT_ROOT if self.source == Settings.source else Path.cwd()) / path
        return path

    def cache_path(self) -> Path:
        path = Path(self.cache_dir).expanduser()
        return path if path.is_absolute() else PROJECT_ROOT / path

    def feedback_path(self) -> Path:
        path = Path(self.feedback).expanduser()
        if not path.is_absolute():
            path = (PROJECT_ROOT if self.feedback == Settings.feedback else Path.cwd()) / path
        return path

    def store_spec(self):
        from index.store import StoreSpec

        root = PROJECT_ROOT if self.store == Settings.store else Path.cwd()
        return StoreSpec.parse(self.store, root)


def _coerce(name: str, raw: str, var: str):
    kind = {f.name: f.type for f in fields(Settings)}[name]
    try:
        if kind == "int":
            return int(raw)
        if kind == "float":
            return float(raw)
    except ValueError:
        raise NewsragError(f"{var}={raw!r} is not a number") from None
    return raw
