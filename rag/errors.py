"""The errors a user of `rag` may catch; each message says how to fix what went wrong.

The store and source errors are defined in `index.errors` (which knows nothing of
`rag`) and re-exported here; rag's modules and callers of the public face import
them from this module, never from `index`. `LLMError` is rag's own: the LLM failed
(timed out, unreachable, refused the request). The engine catches it and answers
from quotations instead, so it never reaches a caller of `ask` or `Engine.stream`.
"""
from index.errors import IndexBusy, NewsragError, SourceError, StoreError, StoreMismatch

__all__ = ["NewsragError", "SourceError", "StoreError", "StoreMismatch", "IndexBusy", "LLMError"]


class LLMError(NewsragError):
    """The LLM failed; `why` is one short line for the user ("timed out", "answered HTTP 500")."""

    def __init__(self, why: str):
        super().__init__(why)
        self.why = why
