"""Spelling variants of names, learnt from the folder being indexed.

Outlets transliterate one name differently (a first name written with a g in one
article and an h in another, a surname with or without an inner i). No list can
hold every such name, so the indexer learns them from the articles themselves: two
capitalised words are taken for one name written two ways when

- they look alike: the same first letter, both at least MIN_LEN letters, and a small
  weighted edit distance between them (`distance`: swaps that transliterations make,
  such as g/h or i/y, and a dropped or added vowel cost half an ordinary edit);
- no article holds both (a writer keeps to one spelling); and
- they keep the same company: the same name beside them (a first name before a
  surname, a surname after a first name), seen in articles of each spelling, and
  that name stands mostly beside these two (a first name that many surnames follow
  says little).

Different people with alike names (two first names a letter apart, each with its own
surname) share no neighbour, so they stay apart; two alike surnames after one first
name that nothing else follows would not, and no rule here can tell those apart.

What is learnt is a map from each variant to the spelling used most; the sparse index
saves it with BM25 and folds chunks and questions with it. Each word is read once and
only names that share a neighbour are compared, so the cost grows with the folder, not
with the square of its names. Not a spelling corrector: a word found in one spelling
only is never changed, and nothing here is about meaning.
"""
from __future__ import annotations

import re
from collections import Counter, defaultdict
from functools import lru_cache
from typing import Iterable, Iterator

from .text import STOPWORDS, stem, words

MIN_LEN = 5                 # shorter names differ by one letter too often (and lists handle the rest)
NEIGHBOUR_MIN_LEN = 3       # a neighbour this short is an initial or a title, not a name

# Letter swaps transliterations make (Cyrillic г as g or h, й as i, y or j, ...): half an edit.
_TWINS = frozenset(frozenset(p) for p in ("gh", "iy", "ij", "yj", "ck", "kq", "vw", "ei", "ey", "ae", "ou", "sz", "xk"))
_SOFT = frozenset("aeiouyjh")    # letters a transliteration adds or drops (ie/e, iy/y, kh/k): half an edit

_TOKEN = re.compile(r"[^\W\d_]+(?:['\u2019][^\W\d_]+)?", re.UNICODE)
_SENTENCE_END = re.compile(r"(?:^|[.!?:;\n\u2022*#>\"'\u201c\u201d(\[-])\s*$")


def distance(a: str, b: str, limit: float = 2.0, hard: float = 1.0) -> float:
    """Weighted edit distance: transliteration swaps and soft letters added or dropped cost
    0.5, any other edit `hard` (above `limit` the exact value is not worked out)."""
    if abs(len(a) - len(b)) * 0.5 > limit:
        return limit + 1

    def indel(ch: str) -> float:
        return 0.5 if ch in _SOFT else hard

    prev = [0.0]
    for ch in b:
        prev.append(prev[-1] + indel(ch))
    for x in a:
        cur = [prev[0] + indel(x)]
        for j, y in enumerate(b, start=1):
            sub = 0.0 if x == y else (0.5 if frozenset((x, y)) in _TWINS else hard)
            cur.append(min(prev[j - 1] + sub, prev[j] + indel(x), cur[j - 1] + indel(y)))
        if min(cur) > limit:
            return limit + 1
        prev = cur
    return prev[-1]


def close(a: str, b: str) -> bool:
    """Alike enough to be one name in two spellings: same first letter, and at most one edit
    (two half-edits) for names under nine letters, one and a half for longer ones, or for
    any name whose spellings differ by transliteration's half-edits alone (Yuri/Yuriy)."""
    if a == b or a[0] != b[0] or min(len(a), len(b)) < MIN_LEN or stem(a) == stem(b):
        return False     # one stem: a plural or other ending, which stemming already joins
    if distance(a, b) <= (1.0 if min(len(a), len(b)) < 9 else 1.5):
        return True
    return distance(a, b, limit=1.5, hard=9.0) <= 1.5


@lru_cache(maxsize=65536)
def _folded(token: str) -> str:
    w = words(token, {})     # the fixed rules only, whatever spellings are in force
    return w[0] if len(w) == 1 else ""


class _Seen:
    """What one pass over the articles gathers about each capitalised word."""

    def __init__(self):
        self.articles: dict[str, set[str]] = defaultdict(set)    # folded name -> sources holding it
        self.count: dict[str, int] = defaultdict(int)
        self.inside: set[str] = set()          # capitalised somewhere mid-sentence
        self.lower: set[str] = set()           # written in lower case somewhere: a word, not a name
        # (side, neighbour) -> capitalised words with that word right beside them, counted
        self.beside: dict[tuple[str, str], Counter] = defaultdict(Counter)

    def read(self, source: str, text: str):
        toks = list(_TOKEN.finditer(text))
        folded = [_folded(t.group()) for t in toks]
        caps = [t.group()[:1].isupper() for t in toks]
        for i, t in enumerate(toks):
            w = folded[i]
            if not w:
                continue
            if not caps[i]:
                self.lower.add(w)
                continue
            self.articles[w].add(source)
            self.count[w] += 1
            if t.start() > 0 and not _SENTENCE_END.search(text[max(0, t.start() - 3):t.start()]):
                self.inside.add(w)
            for j, side in ((i - 1, "left"), (i + 1, "right")):
                if 0 <= j < len(toks) and caps[j] and folded[j]:
                    gap = text[min(t.end(), toks[j].end()):max(t.start(), toks[j].start())]
                    if gap.strip() == "":       # only spaces between: one name's parts
                        self.beside[(side, folded[j])][w] += 1

    def is_name(self, w: str) -> bool:
        return w in self.inside and w not in self.lower and w not in STOPWORDS

    def company(self) -> Iterator[list[tuple[str, int]]]:
        """For each name that stands beside others (on one side), the names beside it and how
        often, most often first."""
        for (side, n), partners in sorted(self.beside.items()):
            if len(n) >= NEIGHBOUR_MIN_LEN and self.is_name(n):
                yield sorted(((w, c) for w, c in partners.items() if len(w) >= MIN_LEN and self.is_name(w)),
                             key=lambda wc: (-wc[1], wc[0]))

    def two_word_names(self) -> list[tuple[str, str]]:
        """Names written as two capitalised words side by side (a first name and a surname)."""
        return sorted((w, n) for (side, n), partners in self.beside.items()
                      if side == "right" and len(n) >= MIN_LEN and self.is_name(n)
                      for w in partners if len(w) >= MIN_LEN and self.is_name(w))


def learn(articles: Iterable[tuple[str, str]]) -> dict[str, str]:
    """{variant: the spelling to index it under}, folded (text.words) forms, from
    (source, text) pairs: several pairs may share a source (the chunks of one article)."""
    seen = _Seen()
    for source, text in articles:
        seen.read(source, text)
    pairs: set[tuple[str, str]] = set()

    def join(a: str, b: str) -> bool:
        return close(a, b) and not seen.articles[a] & seen.articles[b]

    for partners in seen.company():
        # the neighbour must be mostly theirs: a first name many surnames follow says little
        half = sum(c for _, c in partners) / 2
        for i, (a, ca) in enumerate(partners):
            for b, cb in partners[i + 1:]:
                if ca + cb < half:
                    break
                if (min(a, b), max(a, b)) not in pairs and join(a, b):
                    pairs.add((min(a, b), max(a, b)))
    # a two-word name spelt otherwise in both words (one outlet's transliteration of a first
    # name and a surname, another's): both words alike at once is the shared company
    by_shape: dict[tuple[str, str], list[tuple[str, str]]] = defaultdict(list)
    for first, second in seen.two_word_names():
        by_shape[(_skeleton(first), _skeleton(second))].append((first, second))
    for group in by_shape.values():
        for i, (a1, a2) in enumerate(group):
            for b1, b2 in group[i + 1:]:
                if a1 != b1 and a2 != b2 and join(a1, b1) and join(a2, b2):
                    pairs.update({(min(a1, b1), max(a1, b1)), (min(a2, b2), max(a2, b2))})
    return _merge(sorted(pairs), seen)


_SKELETON = str.maketrans({"g": "h", "c": "k", "q": "k", "w": "v", "z": "s", "x": "k"})


def _skeleton(w: str) -> str:
    """The letters a transliteration keeps (soft letters dropped, twins made one, doubles
    single): names with one skeleton are the ones worth comparing letter by letter."""
    rest = "".join(ch for ch in w[1:].translate(_SKELETON) if ch not in _SOFT)
    return w[0] + re.sub(r"(.)\1+", r"\1", rest)


def _merge(pairs: list[tuple[str, str]], seen: _Seen) -> dict[str, str]:
    """Join the pairs into groups (never two spellings one article holds both of) and map
    every member to the group's most used spelling."""
    group: dict[str, str] = {}

    def find(w: str) -> str:
        while group.get(w, w) != w:
            w = group[w]
        return w

    members: dict[str, set[str]] = {}
    for a, b in pairs:
        ra, rb = find(a), find(b)
        if ra == rb:
            continue
        ma, mb = members.get(ra, {ra}), members.get(rb, {rb})
        if any(seen.articles[x] & seen.articles[y] for x in ma for y in mb):
            continue
        group[rb] = ra
        members[ra] = ma | mb
        members.pop(rb, None)
    out: dict[str, str] = {}
    for root, ms in members.items():
        best = min(ms, key=lambda w: (-len(seen.articles[w]), -seen.count[w], w))
        out.update({w: best for w in sorted(ms) if w != best})
    return dict(sorted(out.items()))
