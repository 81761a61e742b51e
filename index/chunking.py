"""Sentence-aware chunking that keeps character offsets into the article text.

Sentences are found by rule (end punctuation, then a capital, quote or digit;
paragraph breaks always end one), never split inside "U.S." or "Lt. Gen.".
A chunk is a run of whole sentences up to `size` characters; consecutive chunks
share `overlap` sentences so that an answer straddling a boundary is whole in
one of them. Every chunk's text is exactly `article.text[start:end]`.
"""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from .articles import Article

_DATE_MARK = re.compile(r"^\s*date\s+\d{4}-\d{2}-\d{2}\s+")
_END = re.compile(r"[.!?\u2026]+[\"'\u201d\u2019)\]]*(?=\s+[\"'\u201c\u2018(\[]?[A-Z0-9\u0130\u00c0-\u024f])")
ABBREVIATION = re.compile(r"(?:\b(?:Mr|Mrs|Ms|Dr|Prof|Gen|Lt|Col|Maj|Capt|Sgt|St|Jr|Sr|No|vs|etc|Inc|Ltd|Co|Corp|Gov|Sen|Rep|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)|\b[A-Z]|\b(?:[A-Z]\.)+[A-Z])\.$")


@dataclass(frozen=True)
class Sentence:
    start: int
    end: int


@dataclass(frozen=True)
class Chunk:
    id: str
    source: str
    text: str
    start: int
    end: int
    seq: int             # position of the chunk in its article
    title: str
    date: str | None
    outlet: str | None
    sha256: str          # of the article file this came from
    n_chunks: int        # how many chunks the article has (to detect half-indexed files)


def chunk_id(source: str, text: str, start: int) -> str:
    return hashlib.sha256(f"{source}\x00{start}\x00{text}".encode()).hexdigest()[:32]


def sentences(text: str, start: int = 0, end: int | None = None) -> list[Sentence]:
    """Sentence spans in text[start:end], whitespace trimmed, in order."""
    end = len(text) if end is None else end
    out: list[Sentence] = []
    for para in re.finditer(r"[^\n]+", text[start:end]):
        p0 = start + para.start()
        body = para.group()
        cut = 0
        for m in _END.finditer(body):
            if ABBREVIATION.search(body[: m.start() + 1]):
                continue
            out.append(Sentence(p0 + cut, p0 + m.end()))
            cut = m.end()
        out.append(Sentence(p0 + cut, p0 + len(body)))
    trimmed = []
    for s in out:
        piece = text[s.start:s.end]
        lead = len(piece) - len(piece.lstrip())
        trail = len(piece) - len(piece.rstrip())
        if piece.strip():
            trimmed.append(Sentence(s.start + lead, s.end - trail))
    return trimmed


# A sentence that opens with a pronoun or names its speaker by role leans on the one before
# ("He said the talks ..."): the evidence step scores it together with that one.
_PRONOUN_START = re.compile(r"^[\"'\u201c\u2018]?(he|she|they|it|his|her|their|this|that|these|those|such)\b", re.I)
_LEANS_BACK = re.compile(r"\b(he|she)\b|\b(the|this|[A-Z]\w+'s) (special |chief |top )?(official|minister|envoy|"
                         r"spokesman|spokesperson|source|aide|adviser|advisor|negotiator)\b")
# a quotation that does not say who spoke: its speaker is in the sentence before
OPENS_QUOTE = re.compile(r"^[\"\u201c]")
_SPEECH = re.compile(r"\b(said|says|told|tells|added|adds|asked|wrote|according to)\b")


def leans_back(sentence: str) -> bool:
    """Whether a sentence leans on the one before it (a pronoun, a speaker named by role, a
    quotation that does not say who spoke)."""
    return bool(_PRONOUN_START.match(sentence) or _LEANS_BACK.search(sentence)
                or (OPENS_QUOTE.match(sentence) and not _SPEECH.search(sentence)))


def passage_sentences(text: str) -> list[str]:
    """The units the evidence step scores by meaning in a passage (a chunk's text): each
    sentence, and each sentence that leans back together with the one before. What the
    indexer embeds beside the chunk, so that no question has to."""
    sents = sentences(text)
    out = []
    for i, s in enumerate(sents):
        piece = text[s.start:s.end]
        out.append(piece)
        if i > 0 and leans_back(piece):
            out.append(text[sents[i - 1].start:s.end])
    return out


def story_sentences(article: Article) -> list[Sentence]:
    """The sentences of the story: after the date marker, before the boilerplate."""
    m = _DATE_MARK.match(article.text)
    return sentences(article.text, m.end() if m else 0, article.story_end)


def chunk_article(article: Article, size: int, overlap: int) -> list[Chunk]:
    """Whole sentences packed into chunks of at most `size` characters (a longer
    sentence stands alone), each sharing `overlap` sentences with the previous."""
    if size < 50 or overlap < 0:
        raise ValueError("chunk size must be at least 50 characters and overlap at least 0 sentences")
    sents = story_sentences(article)
    groups: list[list[Sentence]] = []
    i = 0
    while i < len(sents):
        group = [sents[i]]
        j = i + 1
        while j < len(sents) and sents[j].end - group[0].start <= size:
            group.append(sents[j])
            j += 1
        groups.append(group)
        if j >= len(sents):
            break
        i = max(i + 1, j - overlap)
    chunks = []
    for seq, group in enumerate(groups):
        start, end = group[0].start, group[-1].end
        text = article.text[start:end]
        chunks.append(Chunk(chunk_id(article.source, text, start), article.source, text, start, end, seq,
                            article.title, article.date, article.outlet, article.sha256, len(groups)))
    return chunks
