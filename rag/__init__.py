"""newsrag's answering engine: `ask`, `Engine`, `Settings` (and the Answer they return).

Importing this package loads no model, opens no store and reads no variable;
the heavy parts load on first use.
"""
from .errors import LLMError, NewsragError
from .settings import Settings
from .types import Answer, Citation, Passage, Retrieved

__all__ = ["ask", "Engine", "Settings", "Answer", "Citation", "Passage", "Retrieved", "NewsragError", "LLMError"]


def __getattr__(name):
    if name in ("ask", "Engine"):
        from . import engine

        return getattr(engine, name)
    raise AttributeError(name)
