"""The things that flow out of the engine: Passage, Citation, Answer."""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Passage:
    """A retrieved chunk: `text == article_text[start:end]` of `source`."""

    source: str
    title: str
    date: str | None
    outlet: str | None
    text: str
    start: int
    end: int
    score: float           # fused retrieval score, higher is better
    id: str = ""

    def to_dict(self) -> dict:
        return {"source": self.source, "title": self.title, "date": self.date, "outlet": self.outlet,
                "text": self.text, "start": self.start, "end": self.end, "score": round(self.score, 6)}


@dataclass(frozen=True)
class Citation(Passage):
    """A passage the answer cites as [n]; `quote_start:quote_end` (article offsets) is the
    span inside it that supports the answer, for highlighting."""

    n: int = 0
    quote_start: int | None = None
    quote_end: int | None = None

    @classmethod
    def of(cls, p: Passage, n: int, quote: tuple[int, int] | None = None) -> "Citation":
        q0, q1 = quote if quote else (None, None)
        return cls(p.source, p.title, p.date, p.outlet, p.text, p.start, p.end, p.score, p.id, n, q0, q1)

    def to_dict(self) -> dict:
        d = {"n": self.n, **super().to_dict()}
        if self.quote_start is not None:
            d["quote_start"], d["quote_end"] = self.quote_start, self.quote_end
        return d


@dataclass(frozen=True)
class Retrieved:
    """`Engine.events` yields this once retrieval is done, before any LLM call: the passages
    found (best first, none cited yet) and the question as understood."""

    passages: tuple[Passage, ...]
    standalone_question: str | None = None


@dataclass(frozen=True)
class Answer:
    question: str
    text: str
    refused: bool
    citations: tuple[Citation, ...]
    passages: tuple[Passage, ...]
    fallback: bool = False
    notice: str | None = None
    llm: str = "extractive"
    standalone_question: str | None = None    # the follow-up rewritten to stand alone
    draft: str | None = None                  # what the LLM wrote before verification
    checks: tuple[dict, ...] = ()              # one per LLM-written sentence: text, cites, kept, why
    timings_ms: dict = field(default_factory=dict)
    reason: str | None = None                 # why it refused or fell back, one short line
    closest: Citation | None = None           # refused: the nearest passage, which does not answer

    def to_dict(self) -> dict:
        return {"question": self.question, "answer": self.text, "refused": self.refused,
                "fallback": self.fallback, "notice": self.notice, "llm": self.llm,
                "citations": [c.to_dict() for c in self.citations],
                "passages": [p.to_dict() for p in self.passages],
                "standalone_question": self.standalone_question, "draft": self.draft,
                "checks": [dict(c) for c in self.checks],
                "reason": self.reason, "closest": self.closest.to_dict() if self.closest else None,
                "timings_ms": {k: round(v, 1) for k, v in self.timings_ms.items()}}


