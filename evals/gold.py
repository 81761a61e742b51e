"""Reading the gold question file (`gold.jsonl`, one JSON object a line).

The format is DESIGN.md's "Gold file": id, question, answers, sources,
answerable, and optionally answers_all (groups of alternatives, one of each
must be in a correct answer), kind (what sort of question it is) and a
history of [role, text] pairs. `load_gold` checks every line and says which
line is wrong and why. This module does not score answers (see `evals.metrics`) nor check answers against the corpus
(the tests do that for the shipped file).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROLES = ("user", "assistant")
KINDS = (
    "fact", "number", "date", "quote", "who-said", "two-articles", "differ", "follow-up", "false-premise",
    "list", "summary", "off-topic", "on-topic-absent", "near-miss", "instruction",
)
LONG_KINDS = frozenset({"list", "summary"})   # their answers may run to 600 characters
_REQUIRED = ("id", "question", "sources", "answerable")
_FIELDS = frozenset(_REQUIRED) | {"answers", "answers_all", "kind", "history"}


class GoldError(ValueError):
    """A gold file that cannot be read; the message names the file and line."""


@dataclass(frozen=True)
class GoldItem:
    """One gold question, as the engine will be asked it and as it is scored."""

    id: str
    question: str
    answers: tuple[str, ...]
    sources: tuple[str, ...]
    answerable: bool
    history: tuple[tuple[str, str], ...] = ()
    answers_all: tuple[tuple[str, ...], ...] = ()
    kind: str | None = None

    def gold_strings(self) -> tuple[str, ...]:
        """Every gold string: the answers, then each alternative of every group, once each."""
        return tuple(dict.fromkeys([*self.answers, *(alt for group in self.answers_all for alt in group)]))

    def history_list(self) -> list[tuple[str, str]] | None:
        """The earlier turns in the form `Engine.ask(history=...)` takes, None when there are none."""
        return list(self.history) or None


def load_gold(path: str | Path) -> list[GoldItem]:
    """Read and check a gold file; blank lines are skipped.

    Raises GoldError naming the file, the line and the problem: a missing
    file, bad JSON, a missing or unknown field, a wrong type, an unknown
    kind, answers_all that is not a list of non-empty groups of strings, an
    unanswerable entry with answers or sources, an answerable one without, a
    duplicate id, or a history that is not a list of [role, text] pairs.
    """
    path = Path(path)
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        raise GoldError(f"gold file not found: {path}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise GoldError(f"cannot read gold file {path}: {exc}") from None
    items: list[GoldItem] = []
    seen: dict[str, int] = {}
    for lineno, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        item = _parse_line(line, f"{path}:{lineno}")
        if item.id in seen:
            raise GoldError(f"{path}:{lineno}: duplicate id {item.id!r} (first on line {seen[item.id]})")
        seen[item.id] = lineno
        items.append(item)
    if not items:
        raise GoldError(f"{path}: no questions in the gold file")
    return items


def _parse_line(line: str, where: str) -> GoldItem:
    """One line into a GoldItem; `where` is "file:line" for the messages."""
    try:
        obj = json.loads(line)
    except json.JSONDecodeError as exc:
        raise GoldError(f"{where}: bad JSON: {exc.msg} (column {exc.colno})") from None
    if not isinstance(obj, dict):
        raise GoldError(f"{where}: expected a JSON object, got {type(obj).__name__}")
    missing = [name for name in _REQUIRED if name not in obj]
    if missing:
        raise GoldError(f"{where}: missing field {', '.join(repr(m) for m in missing)}")
    unknown = sorted(set(obj) - _FIELDS)
    if unknown:
        raise GoldError(f"{where}: unknown field {', '.join(repr(u) for u in unknown)}")
    item = GoldItem(
        id=_text(obj, "id", where),
        question=_text(obj, "question", where),
        answers=_strings(obj.get("answers", []), "answers", where),
        sources=_strings(obj["sources"], "sources", where),
        answerable=_flag(obj, "answerable", where),
        history=_history(obj.get("history", []), where),
        answers_all=_groups(obj.get("answers_all", []), where),
        kind=_kind(obj.get("kind"), where),
    )
    _check_answerability(item, where)
    return item


def _text(obj: dict[str, Any], name: str, where: str) -> str:
    value = obj[name]
    if not isinstance(value, str) or not value.strip():
        raise GoldError(f"{where}: {name!r} must be a non-empty string, got {value!r}")
    return value


def _strings(value: Any, name: str, where: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise GoldError(f"{where}: {name!r} must be a list of non-empty strings, got {value!r}")
    return tuple(value)


def _flag(obj: dict[str, Any], name: str, where: str) -> bool:
    value = obj[name]
    if not isinstance(value, bool):
        raise GoldError(f"{where}: {name!r} must be true or false, got {value!r}")
    return value


def _groups(value: Any, where: str) -> tuple[tuple[str, ...], ...]:
    shape = "a list of groups, each a non-empty list of non-empty strings"
    if not isinstance(value, list):
        raise GoldError(f"{where}: 'answers_all' must be {shape}, got {value!r}")
    for group in value:
        if not (isinstance(group, list) and group and all(isinstance(v, str) and v.strip() for v in group)):
            raise GoldError(f"{where}: 'answers_all' must be {shape}; bad group {group!r}")
    return tuple(tuple(group) for group in value)


def _kind(value: Any, where: str) -> str | None:
    if value is None or value in KINDS:
        return value
    raise GoldError(f"{where}: 'kind' must be one of {', '.join(KINDS)}; got {value!r}")


def _history(value: Any, where: str) -> tuple[tuple[str, str], ...]:
    if not isinstance(value, list):
        raise GoldError(f"{where}: 'history' must be a list of [role, text] pairs, got {value!r}")
    turns = []
    for turn in value:
        if not (isinstance(turn, list) and len(turn) == 2 and all(isinstance(t, str) for t in turn)):
            raise GoldError(f"{where}: each 'history' turn must be a [role, text] pair, got {turn!r}")
        if turn[0] not in ROLES:
            raise GoldError(f"{where}: history role must be 'user' or 'assistant', got {turn[0]!r}")
        turns.append((turn[0], turn[1]))
    return tuple(turns)


def _check_answerability(item: GoldItem, where: str) -> None:
    if not item.answerable and (item.answers or item.answers_all or item.sources):
        raise GoldError(f"{where}: answerable is false, so 'answers', 'answers_all' and 'sources' must be empty")
    if item.answerable and not ((item.answers or item.answers_all) and item.sources):
        raise GoldError(f"{where}: an answerable question needs at least one answer "
                        "(in 'answers' or 'answers_all') and one source")
