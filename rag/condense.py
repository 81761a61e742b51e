"""Make a follow-up question stand alone before retrieval.

By rules: pronouns and "the other side" are resolved against the last turn, and
the previous question's key words ride along in the search query. With an LLM:
the LLM rewrites the question, and the rewrite is kept only if every name in it
comes from the conversation (a small model can invent); otherwise the rules' result.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from index.text import QUESTION_WORDS, STOPWORDS, words

_MARKS = re.compile(r"\s*\[\d{1,2}\]")
_FOLLOW = re.compile(r"\b(he|him|his|she|her|hers|they|them|their|theirs|it|its|that|this|those|these|there|then|"
                     r"the other (side|one|delegation|team)|the same|also|else|either|former|latter)\b|"
                     r"^\s*(and|but|so|what about|how about|why|what else|anything else)\b", re.I)
_PERSON_PRONOUN = re.compile(r"\b(he|him|she|her)\b", re.I)
_POSSESSIVE = re.compile(r"\b(his|her)\b(?=\s+[a-z])", re.I)
_NAME = re.compile(r"\b(?:[A-Z\u0130][a-z\u00e0-\u024f'\u2019-]+\s){1,3}[A-Z\u0130][a-z\u00e0-\u024f\u2019-]+\b")
_SINGLE = re.compile(r"\b[A-Z\u0130][a-z\u00e0-\u024f-]{2,}\b")
_NOT_PEOPLE = {"Russia", "Ukraine", "Turkey", "Türkiye", "Istanbul", "Moscow", "Kyiv", "Kiev", "Europe", "European",
               "Russian", "Ukrainian", "Turkish", "United", "States", "Friday", "May", "March", "The", "President",
               "Minister", "Foreign", "Defense", "Defence", "Deputy", "Palace", "Union", "Air", "Force", "One"}


@dataclass(frozen=True)
class Standalone:
    question: str          # what the user reads and the LLM answers
    search: str            # what retrieval searches for
    rewritten: bool
    how: str               # "as asked", "rules" or "llm"


def normalize_history(history) -> list[tuple[str, str]]:
    """[(role, text)] from tuples, lists or Gradio-style {"role", "content"} dicts."""
    out = []
    for turn in history or []:
        if isinstance(turn, dict):
            role, text = turn.get("role"), turn.get("content")
        else:
            role, text = turn[0], turn[1]
        if role in ("user", "assistant") and isinstance(text, str) and text.strip():
            out.append((role, text))
    return out


def needs_context(question: str, history: list[tuple[str, str]]) -> bool:
    if not history:
        return False
    content = [w for w in words(question) if w not in STOPWORDS]
    return bool(_FOLLOW.search(question)) or len(content) < 2


def _people(text: str) -> list[str]:
    names = [m.group() for m in _NAME.finditer(text)]
    names = [n for n in names if not set(n.split()) <= _NOT_PEOPLE]
    # "Defense Minister Rustem Umerov" -> "Rustem Umerov"
    names = [" ".join(w for w in n.split() if w not in _NOT_PEOPLE) for n in names]
    singles = [m.group() for m in _SINGLE.finditer(text) if m.group() not in _NOT_PEOPLE]
    return [n for n in names + singles if n and n.split()[0].lower() not in STOPWORDS | QUESTION_WORDS]


def by_rules(question: str, history: list[tuple[str, str]]) -> Standalone:
    if not needs_context(question, history):
        return Standalone(question, question, False, "as asked")
    last_user = next((t for r, t in reversed(history) if r == "user"), "")
    last_answer = _MARKS.sub("", next((t for r, t in reversed(history) if r == "assistant"), ""))
    # after "who…?" the answer names the person; otherwise the question's subject is meant
    if re.match(r"\s*(and\s+)?(who|whom|whose)\b", last_user, re.I):
        people = _people(last_answer) or _people(last_user)
    else:
        people = _people(last_user) or _people(last_answer)
    q = question.strip()
    if people:
        who = people[0]
        q = _POSSESSIVE.sub(f"{who}'s", q, count=1)
        q = _PERSON_PRONOUN.sub(who, q, count=1)
    context_words = [w for w in re.findall(r"[\w'\u2019-]+", last_user) if w.lower() not in STOPWORDS]
    search = " ".join([q, " ".join(context_words), " ".join(people[:2])]).strip()
    shown = q if q != question.strip() else f"{q} (following: {last_user.strip()})"
    return Standalone(shown, search, True, "rules")


def accept_rewrite(rewrite: str, question: str, history: list[tuple[str, str]]) -> bool:
    """A rewrite is usable when it is one short line whose names all occur in the conversation."""
    rewrite = rewrite.strip()
    if not rewrite or "\n" in rewrite or len(rewrite) > 300 or len(rewrite) < 8:
        return False
    known = set(words(question + " " + " ".join(t for _, t in history)))
    names = [w for m in re.finditer(r"\b[A-Z][\w'-]+", rewrite) for w in words(m.group())]
    return all(n in known or n in STOPWORDS for n in names)
