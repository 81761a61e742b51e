"""Feedback on answers: a thumbs up or down, and an optional "what was wrong", appended to a
JSONL file (`Settings.feedback`, default `.newsrag/feedback.jsonl` under the project root,
NEWSRAG_FEEDBACK to move it).

Append-only and safe with many writers: each record is one line, written with a single
`os.write` on a file opened `O_APPEND`, under a lock (a thread lock, and `flock` on the file
for other processes), so no write can interleave with another or lose an earlier line. A
record stands alone: the question, the history it was asked with, the answer and its
citations, the LLM, the settings (without the password) and the time. Changing one's mind
appends another record for the same `answer_id`; the last one counts.

Not here: reading the file back into gold candidates (`newsrag eval --from-feedback`, in
`evals.cli`), or anything about Gradio.
"""
from __future__ import annotations

import json
import os
import threading
import uuid
from dataclasses import fields
from datetime import datetime, timezone
from pathlib import Path

from rag import NewsragError

try:
    import fcntl
except ImportError:          # not POSIX: the thread lock still serialises this process's writers
    fcntl = None

RATINGS = ("up", "down")
MAX_COMMENT_CHARS = 500      # "what was wrong" is one line, not an essay


def settings_dict(settings) -> dict:
    """The settings an answer was given under, for the record; never the password."""
    return {f.name: getattr(settings, f.name) for f in fields(settings) if f.name != "auth"}


def record(answer, history, rating: str | None, *, answer_id: str, settings=None, comment: str | None = None,
           now: datetime | None = None) -> dict:
    """One feedback line for `answer` (a rag Answer) asked after `history` ([(role, text), ...]).
    `rating` is "up", "down", or None (the vote taken back)."""
    if rating not in (*RATINGS, None):
        raise ValueError(f"rating must be one of {RATINGS} or None, got {rating!r}")
    comment = " ".join(str(comment or "").split())[:MAX_COMMENT_CHARS] or None
    closest = getattr(answer, "closest", None)
    return {
        "id": uuid.uuid4().hex, "answer_id": answer_id,
        "time": (now or datetime.now(timezone.utc)).isoformat(timespec="seconds"),
        "rating": rating, "comment": comment,
        "question": answer.question, "history": [[role, text] for role, text in history or ()],
        "answer": answer.text, "refused": answer.refused, "fallback": answer.fallback,
        "notice": answer.notice, "reason": getattr(answer, "reason", None),
        "standalone_question": answer.standalone_question,
        "citations": [c.to_dict() for c in answer.citations],
        "closest": closest.to_dict() if closest is not None else None,
        "llm": answer.llm, "settings": settings_dict(settings) if settings is not None else None,
    }


class FeedbackLog:
    """The feedback file: `append(record)` adds one line and nothing else."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self._lock = threading.Lock()

    def append(self, rec: dict) -> None:
        # json.dumps escapes every newline inside strings, so the record is exactly one line
        data = (json.dumps(rec, ensure_ascii=False, separators=(",", ":")) + "\n").encode("utf-8")
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self._lock:
                fd = os.open(self.path, os.O_RDWR | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, 0o600)
                try:
                    if fcntl is not None:
                        fcntl.flock(fd, fcntl.LOCK_EX)
                    size = os.fstat(fd).st_size
                    if size and os.pread(fd, 1, size - 1) != b"\n":
                        data = b"\n" + data     # a line left unfinished (by hand, or a full disk) stays its own
                    written = os.write(fd, data)
                finally:
                    os.close(fd)                # releases the flock too
        except OSError as exc:
            raise NewsragError(f"cannot write feedback to {self.path} ({exc.strerror or exc}): "
                               "set NEWSRAG_FEEDBACK to a writable file") from None
        if written != len(data):
            raise NewsragError(f"feedback to {self.path} was cut short (disk full?): {written} of {len(data)} bytes")
