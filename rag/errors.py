"""The errors a user of `rag` may catch; each message says how to fix what went wrong.

They are defined in `index.errors` (which knows nothing of `rag`) and re-exported
here so that callers of the public face need not reach into `index`.
"""
from index.errors import IndexBusy, NewsragError, SourceError, StoreError, StoreMismatch

from .llm import LLMError

__all__ = ["NewsragError", "SourceError", "StoreError", "StoreMismatch", "IndexBusy", "LLMError"]
