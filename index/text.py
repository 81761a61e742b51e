"""Text normalisation shared by the sparse index, retrieval and verification.

`fold` makes two spellings of one thing compare equal (case, accents, curly
quotes, the transliteration variants news outlets disagree on); `tokens` turns
text into stemmed search terms. Not a language model: small, explicit rules, and
the name spellings learnt from a folder (index.names) where a caller hands them in
or puts them in force for a block (`spellings`).
"""
from __future__ import annotations

import json
import re
import unicodedata
from contextlib import contextmanager
from contextvars import ContextVar
from functools import lru_cache
from pathlib import Path
from typing import Mapping

# Bump when tokens() changes, so cached BM25 indexes built with the old rules are rebuilt.
# 4: the sparse index folds names with spelling variants learnt from its folder (index.names).
# 5: short month names ("Nov", "Sept") are the month ("november").
TOKENIZER_VERSION = 5

# Spellings that differ between outlets for the same word (British and American forms,
# abbreviations, place names written two ways), kept as data in variants.json: folded
# lower-case word -> the form we index under. Names are unified by rule (`_translit`).
VARIANTS: dict[str, str] = json.loads((Path(__file__).with_name("variants.json")).read_text(encoding="utf-8"))

# Transliterated names end in -yy, -iy, -ii or -yi in one outlet and -y in another
# (Ivanovskyy/Ivanovskiy/Ivanovsky): one form for all of them.
_TRANSLIT = re.compile(r"(?<=[a-z]{4})(yy|iy|ii|yi)$")


def _translit(word: str) -> str:
    return _TRANSLIT.sub("y", word)


_QUOTES = str.maketrans({
    "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u2032": "'",
    "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u201f": '"', "\u00ab": '"', "\u00bb": '"',
    "\u2013": "-", "\u2014": "-", "\u2212": "-", "\u00a0": " ",
})

STOPWORDS = frozenset("""
a an the and or but if then than so of in on at to for from by with without about into onto over under
is are was were be been being am do does did doing done have has had having will would shall should can could
may might must it its it's this that these those there here he him his she her hers they them their theirs we us our
you your yours i me my mine who whom whose what which when where why how whats what's who's
not no nor as also just only very too any some all each both either neither other such own same
up down out off again further once more most much many few one's
tell told say said says please give name list describe explain according article articles
""".split())

# Words that only say which question is being asked: "how long", "how many".
QUESTION_WORDS = frozenset("""
who whom whose what which when where why how long many much often far old
kind type sort
""".split())

_LETTERS = re.compile(r"[^\W\d_]+", re.UNICODE)
_WORD = re.compile(r"[0-9]+(?:[.,][0-9]+)*|[^\W\d_]+(?:['\u2019][^\W\d_]+)?", re.UNICODE)


# The name spellings learnt from the folder being read (index.names: folded word -> the form
# to use), in force for one answer: set by `spellings`, read by fold/words/tokens when they
# are not handed a map. Empty outside such a block, so that text from nowhere in particular
# folds by the fixed rules alone.
_LEARNT: ContextVar[Mapping[str, str]] = ContextVar("newsrag_learnt_spellings", default={})


@contextmanager
def spellings(learnt: Mapping[str, str]):
    """Within the block (this thread or task only), text folds with `learnt` too: a question
    and the passages it is checked against meet on one spelling of each name."""
    token = _LEARNT.set(learnt)
    try:
        yield
    finally:
        _LEARNT.reset(token)


def fold(text: str, learnt: Mapping[str, str] | None = None) -> str:
    """Lower-case, accent-free, straight-quoted text with variant spellings unified (`learnt`:
    a folder's learnt name spellings; by default those in force, see `spellings`)."""
    learnt = _LEARNT.get() if learnt is None else learnt
    text = text.translate(_QUOTES)
    if text.isascii():      # most news text: nothing to decompose
        text = text.casefold()
    else:
        text = unicodedata.normalize("NFKD", text)
        text = "".join(c for c in text if not unicodedata.combining(c)).casefold()
    # dotless i and friends survive NFKD; map the ones some alphabets use
    text = text.replace("\u0131", "i")
    text = _LETTERS.sub(lambda m: _unify(m.group(), learnt), text)
    return re.sub(r"\s+", " ", text).strip()


def _unify(word: str, learnt: Mapping[str, str]) -> str:
    word = _by_rule(word)
    return learnt.get(word, word) if learnt else word


@lru_cache(maxsize=65536)
def _by_rule(word: str) -> str:
    """The word's spelling by the fixed rules: a listed variant's form, else transliterated."""
    return VARIANTS.get(word, _translit(word))


def words(text: str, learnt: Mapping[str, str] | None = None) -> list[str]:
    """Folded words and numbers, in order, variants unified, possessive 's dropped. `learnt`:
    spelling variants of names learnt from a folder (index.names), for text of that folder
    and questions about it; by default those in force (`spellings`)."""
    learnt = _LEARNT.get() if learnt is None else learnt
    out = []
    for w in _WORD.findall(fold(text, learnt)):
        if w.endswith("'s"):
            w = w[:-2]
        w = w.replace(",", "") if w[0].isdigit() else w
        w = VARIANTS.get(w, w)
        out.append(learnt.get(w, w) if learnt else w)
    return out


@lru_cache(maxsize=1)
def _stemmer():
    import Stemmer  # PyStemmer: Snowball, fast, no model

    return Stemmer.Stemmer("english")


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    return _stemmer().stemWord(word)


def tokens(text: str, *, keep_stopwords: bool = False, learnt: Mapping[str, str] | None = None) -> list[str]:
    """Stemmed search terms of `text` (stopwords dropped unless asked; `learnt` as in words)."""
    return [stem(w) for w in words(text, learnt) if keep_stopwords or w not in STOPWORDS]
