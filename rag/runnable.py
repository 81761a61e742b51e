"""The engine as a LangChain Runnable: `engine.as_runnable()`.

Input: {"question": str, "history": [(role, text), ...] (optional)}, or the question
alone as a string. `invoke` returns the Answer; `stream` yields the draft's text
pieces as the LLM writes them, then the verified Answer (as `Engine.stream` does);
`batch` answers several inputs (LangChain's default: invoke in a thread pool).
Each call is one chain run for LangChain's callbacks and tracing, with the
retrieval (the hybrid retriever and its two legs) and the LLM's generation as its
children, so a LangChain handler sees what was retrieved and what was written.

Not here: anything about answering; this is only the adapter.
"""
from __future__ import annotations

from typing import Any, Iterator

from langchain_core.runnables import Runnable, RunnableConfig

from .types import Answer


def _question_and_history(value: Any) -> tuple[Any, Any]:
    if isinstance(value, str):
        return value, None
    if isinstance(value, dict):
        return value.get("question"), value.get("history")
    from .errors import NewsragError

    raise NewsragError('the input must be {"question": ..., "history": [...]} or the question as text')


class EngineRunnable(Runnable[dict, Answer]):
    """`Engine.stream` and `Engine.ask` with LangChain's run config (callbacks, tags, metadata)."""

    def __init__(self, engine):
        self.engine = engine

    def get_name(self, suffix: str | None = None, *, name: str | None = None) -> str:
        return super().get_name(suffix, name=name or "newsrag")

    def _answer(self, value) -> Answer:
        answer = None
        for event in self._events(iter([value])):
            if isinstance(event, Answer):
                answer = event
        return answer

    def _events(self, values: Iterator[Any]) -> Iterator[str | Answer]:
        for value in values:
            question, history = _question_and_history(value)
            yield from self.engine.stream(question, history)

    def invoke(self, input: dict, config: RunnableConfig | None = None, **kwargs: Any) -> Answer:
        return self._call_with_config(self._answer, input, config)

    def stream(self, input: dict, config: RunnableConfig | None = None, **kwargs: Any) -> Iterator[str | Answer]:
        # the engine runs inside the run's context: the retriever and the LLM, invoked without a
        # config of their own, take this run's callbacks from it and report as its children
        yield from self._transform_stream_with_config(iter([input]), self._events, config)

    def transform(self, input: Iterator[dict], config: RunnableConfig | None = None,
                  **kwargs: Any) -> Iterator[str | Answer]:
        yield from self._transform_stream_with_config(input, self._events, config)
