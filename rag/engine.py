"""The one place that wires newsrag together: Engine(settings) and ask().

condense (follow-ups) -> hybrid retrieve -> gather evidence (or refuse) ->
LLM drafts from the best few sentences -> verify sentence by sentence -> Answer.
With `extractive`, or when the LLM fails or nothing it wrote survives, the
answer is the best sentences quoted with their citations.
"""
from __future__ import annotations

import copy
import re
import threading
import time
from collections import OrderedDict
from dataclasses import replace
from typing import TYPE_CHECKING, Iterator

from index.chunking import sentences
from index.text import fold, tokens, words

from . import prompts
from .condense import Standalone, accept_rewrite, by_rules, normalize_history
from .evidence import (DATE_TYPES, FIGURE_TYPES, REQUIRED_TYPES, TYPED_SHARE, Evidence, Unit, answer_type,
                       continue_list, continue_quote, figures_said, gather, has_type, is_instruction, one_event, pick,
                       pick_many)
from .markers import MARKER, marker_numbers, strip_markers
from .question import (BRIEFLY, FOLLOWING, Context, Query, answer_format, days, failed, parse, said_instead, sides,
                       two_questions, weekday_date)
from .errors import LLMError, NewsragError
from .llm import ChatBackend, LangChainChat, LLMSpec, Traced, as_backend, build_backend
from .settings import Settings
from .types import Answer, Citation, Passage, Retrieved
from .verify import answer_span, verify

if TYPE_CHECKING:       # langchain loads with the first Engine, not with `import rag.engine`
    from .retrieve import Corpus

_STATE_Q = re.compile(r"^\s*(is|are|has|have|does|do|will)\b|\b(now|currently|current|status|yet|so far|still|"
                      r"latest)\b", re.I)
_MORE = re.compile(r"\b(else|other|another|more|besides|apart from|as well|also)\b", re.I)   # beyond the last answer
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u200b-\u200f\u2060\ufeff]")
_SURROGATE = re.compile(r"[\ud800-\udfff]")
EXTRACTIVE_MAX_CHARS = 380       # answers stay well inside the 400-character budget
SAYS_MORE = 3                   # a quotation with this many more words than the LLM's draft of it says more
CLOSEST_QUOTE_CHARS = 300       # a refusal quotes this much of the closest passage
ANSWER_MAX_CHARS = 400           # ... which a quoted answer and a note on it (_weekday_note) share
MANY_MAX_CHARS = 580             # lists and summaries may take 600
MANY_UNITS = {"list": 4, "summary": 4}
SECOND_SHARE = 0.9               # a second quotation this close to the best is shown too
SECOND_ADDS = 0.85               # ... or this close, when it holds a question word or the kind of answer the first lacks
FALLBACK_MIN_SCORE = 0.6         # when no LLM sentence survives, weaker evidence than this is refused, not quoted
_DECLINED = re.compile(r"NOT_FOUND|\b(not|no)\b.{0,30}\b(mention|say|state|provide|contain|information)", re.I)
STORY_CHUNKS = 12                # chunks of the best passage's story read on from it (_read_on)
POOL_FACTOR = 4                  # passages fetched per passage kept: room to put those matching constraints first
INDEX_WAIT_S = 600               # another process building the same index is waited for, not failed
ENGINES_KEPT = 4                 # engines `ask` keeps, one per Settings: each may hold an LLM in memory


class Engine:
    """newsrag's engine, and the one place its parts are wired.

    `Engine(settings, *, store=None, embedder=None, llm=None)` builds the parts it is not
    handed, once, from `settings`: the store (`index.store.open_store`), the embedder (the
    process's one MiniLM), the LLM backend (from `settings.llm`; `llm` may instead be a
    spec, a newsrag backend or any LangChain chat model). Building loads nothing: the store
    connects, the models load and the index is checked, or built, on first use or in
    `warm_up()`. The parts are public: `store`, `embedder`, `backend`, `corpus`, and
    `retriever` (a LangChain BaseRetriever); `as_runnable()` is the engine as a Runnable.
    """

    def __init__(self, settings: Settings | None = None, *, store=None, embedder=None, llm=None):
        from index.embed import MiniLM
        from index.store import open_store

        from .retrieve import Corpus, hybrid

        settings = settings or Settings()
        if isinstance(llm, str):
            settings, llm = settings.with_(llm=llm), None
        self.settings = s = settings
        self.store = store if store is not None else open_store(s.store_spec(), s.collection)
        self.embedder = embedder if embedder is not None else MiniLM.shared()
        self.spec = LLMSpec.parse(s.llm) if llm is None else None
        self._backend = None if llm is None else _traced(as_backend(llm, timeout=s.llm_timeout,
                                                                    retries=s.llm_retries))
        self._corpus = Corpus(self.store, self.embedder, s.cache_path())
        self._retriever = hybrid(self._corpus, s.k)
        self._pool = hybrid(self._corpus, s.k * POOL_FACTOR)
        self._index_checked = False
        self._lock = threading.Lock()

    # -- wiring ----------------------------------------------------------------------------------
    @property
    def llm_name(self) -> str:
        backend = self.backend
        return "extractive" if backend is None else backend.name

    @property
    def backend(self) -> ChatBackend | None:
        """The LLM (None for extractive); built from the spec on first use."""
        if self._backend is None and self.spec is not None and self.spec.kind != "extractive":
            s = self.settings
            self._backend = _traced(build_backend(self.spec, threads=s.threads, timeout=s.llm_timeout,
                                                  retries=s.llm_retries, cache_dir=s.cache_path()))
        return self._backend

    @property
    def corpus(self) -> Corpus:
        """The store, the embedder and the BM25 twin, as the retriever reads them; the index is
        checked (or built) first."""
        self.ensure_index()
        return self._corpus

    @property
    def retriever(self):
        """The hybrid retriever, a LangChain BaseRetriever: the top k passages as Documents whose
        metadata holds the chunk's id, offsets, article metadata and fused `score`."""
        self.ensure_index()
        return self._retriever

    def ensure_index(self) -> None:
        """Once per engine: check the store's manifest against these settings (StoreMismatch says
        how to fix it), or, when the store is empty and may be built by a reader, index the
        source folder into it with the engine's own embedder."""
        from index.indexer import check_manifest, expected_manifest, index_folder

        with self._lock:
            if self._index_checked:
                return
            s = self.settings
            if self.store.exists():
                found = self.store.manifest()
                if self._rebuildable(found):
                    # newsrag's own index of the folder, built by an older embedder: made again
                    # from the folder it was built from, not refused (nothing of the user's is lost)
                    index_folder(s.source_path(), self.store, self.embedder, size=s.chunk_size,
                                 overlap=s.chunk_overlap, rebuild=True, progress=False, wait=INDEX_WAIT_S)
                else:
                    check_manifest(found, expected_manifest(None, self.embedder, s.chunk_size, s.chunk_overlap),
                                   self.store)
            elif self.store.indexes_on_first_use:
                index_folder(s.source_path(), self.store, self.embedder, size=s.chunk_size,
                             overlap=s.chunk_overlap, progress=False, wait=INDEX_WAIT_S)
            else:
                self.store.open()       # raises the store's own StoreError, saying how to index it
            self._index_checked = True

    def _rebuildable(self, found: dict) -> bool:
        """The store is one this engine builds on first use, from this settings' folder (still
        there), and the manifest check finds nothing amiss but the embedding model."""
        from pathlib import Path

        from index.errors import StoreMismatch
        from index.indexer import check_manifest, expected_manifest

        s = self.settings
        folder = s.source_path()
        if not self.store.indexes_on_first_use or not Path(folder).is_dir():
            return False
        pinned = expected_manifest(folder, self.embedder, s.chunk_size, s.chunk_overlap)
        if found.get("embedding_model") == pinned["embedding_model"] or \
                found.get("newsrag_source") != pinned["newsrag_source"]:
            return False
        try:
            check_manifest({**found, "embedding_model": pinned["embedding_model"]}, pinned, self.store)
        except StoreMismatch:
            return False
        return True

    def warm_up(self) -> "Engine":
        """Load the store, BM25, the embedder and the LLM now rather than on the first question."""
        corpus = self.corpus
        corpus.sparse_index()
        self.embedder.embed_query("warm up")        # loads the model, whatever Embeddings it is
        corpus.warm_sentences()
        if self.backend is not None:
            self.backend.warm_up()
        return self

    def info(self) -> dict:
        """What the user may want to see: model, store, the folder it was built from, articles
        and chunks."""
        index = self.corpus.sparse_index()
        return {"llm": self.llm_name, "store": str(self.store.spec), "collection": self.settings.collection,
                "source": self.store.manifest().get("newsrag_source"),
                "articles": len({c.meta.get("source") for c in index.chunks}), "chunks": index.n}

    def articles(self) -> list[dict]:
        """The indexed articles, newest first: {"source", "title", "date"} each."""
        found: dict[str, dict] = {}
        for c in self.corpus.sparse_index().chunks:
            m = c.meta
            found.setdefault(m.get("source"), {"source": m.get("source"), "title": m.get("title") or m.get("source"),
                                               "date": m.get("date")})
        return sorted(found.values(), key=lambda a: (a["date"] or "", a["title"] or ""), reverse=True)

    def as_runnable(self):
        """The engine as a LangChain Runnable over {"question", "history"}: `invoke` returns the
        Answer, `stream` yields the draft's pieces then the Answer, `batch` answers several;
        callbacks see the retrieval and the generation as children of the run."""
        from .runnable import EngineRunnable

        return EngineRunnable(self)

    def prompt_for(self, question: str, history=None, *, small: bool | None = None) -> tuple[str, str] | None:
        """The (system, user) messages this engine sends its LLM for `question`, or None when no
        LLM would be asked (refused, or answered without one). Found by running the engine's
        own path with an LLM that records its prompt instead of answering, so it is always the
        prompt sent. `small` picks the embedded models' short prompt or the full one (default:
        what the engine's backend gets; without one, the full prompt). A follow-up is read by
        rule, as for the embedded models."""
        if small is None:
            small = self.backend.small if self.backend is not None else False
        recorder = _PromptRecorder(small)
        probe = copy.copy(self)         # the same store, embedder, corpus and retriever...
        probe.spec, probe._backend = None, recorder      # ...and an LLM that only listens
        answer = None
        for event in probe.stream(question, history):
            answer = event
        if not isinstance(answer, Answer) or answer.draft is None or not recorder.prompts:
            return None
        return recorder.prompts[-1]

    # -- answering -------------------------------------------------------------------------------
    def ask(self, question: str, history=None) -> Answer:
        return _last_answer(self.stream(question, history))

    def stream(self, question: str, history=None) -> Iterator[str | Answer]:
        """Pieces of the LLM's draft as it writes, then the verified Answer."""
        for event in self.events(question, history):
            if not isinstance(event, Retrieved):
                yield event

    def events(self, question: str, history=None) -> Iterator[Retrieved | str | Answer]:
        """As `stream`, with a `Retrieved` (the passages found) as soon as retrieval is done,
        so a page can show sources while the LLM writes. The question and the passages are read
        with the name spellings learnt from the folder (Corpus.spellings), entered for each step
        of the work and left before each event is handed out."""
        inner = self._events(self._checked(question), history)     # a bad question fails before any work
        corpus = self.corpus
        while True:
            with corpus.spellings():
                try:
                    event = next(inner)
                except StopIteration:
                    return
            yield event

    def _events(self, question: str, history=None, split: bool = True,
                about: str = "") -> Iterator[Retrieved | str | Answer]:
        """`events`' work, for a question already `_checked`."""
        t0 = time.perf_counter()
        timings: dict[str, float] = {}
        history = normalize_history(history)
        if is_instruction(question):
            yield Answer(question, prompts.REFUSAL_INSTRUCTION, True, (), (), llm=self._name_or_extractive(),
                         timings_ms={"total": _ms(t0)})
            return
        # "In one sentence, what caused ...?": what is asked, without how to put the answer (the
        # answer keeps the question as typed); "Briefly, what was the row over the judges?" asks
        # for no one thing (a name, a figure, a date): a summary in short, read as one
        asked, form = answer_format(question)
        if asked != question and not (re.fullmatch(BRIEFLY, form, re.I) and answer_type(asked) is None):
            for event in self._events(asked, history, split, about):
                yield replace(event, question=question) if isinstance(event, Answer) else event
            return
        both = two_questions(question) if split else None
        if both:
            yield from self._two(question, both, history, t0)
            return
        standalone = self._standalone(question, history, timings)
        if about:       # the second of two questions asked in one is searched with the first
            standalone = replace(standalone, search=f"{standalone.search} {about}")
        if standalone.clarification:        # "he" could be either of two people: ask, don't guess
            timings["total"] = _ms(t0)
            yield Answer(question, standalone.clarification, True, (), (), llm=self._name_or_extractive(),
                         timings_ms=timings, reason="ambiguous follow-up")
            return
        t1 = time.perf_counter()
        query = parse(standalone.question)
        corpus = self.corpus
        corpus.follow_writer()
        # a follow-up the rules could only carry along ("… (following: …)") is searched as typed too
        carried = standalone.rewritten and standalone.question.endswith(")") and FOLLOWING in standalone.question
        found = self._retrieve(standalone.search, query, also=question if carried else None)
        index = corpus.sparse_index()
        # evidence reads the passages found, then the rest of the best one's story where it holds
        # the words of the question they lack; the answer shows the passages found
        passages = found + _read_on(found, index, query)
        asked = corpus.embed_query(fold(standalone.question))

        def read(passages, found=None):
            return gather(query, list(passages), index.idf, asked, corpus.sentence_vectors,
                          embed_query=corpus.embed_query, found=found)
        evidence = read(passages)
        if query.shape == "summary" and one_event(standalone.question) and evidence.units and not evidence.refuse:
            # a summary of one event is told by its whole story: the rest of the best one's, read too
            more = _whole_story(evidence.units[0].source, passages, index)
            if more:
                # (its topic still the passages' before: a story read whole does not make its
                # words the topic of the question)
                evidence = read(passages + more, found=len(passages))
                passages = passages + more
        if history and _MORE.search(question):
            evidence = _beyond(evidence, history)
        timings["retrieve"] = _ms(t1)
        yield Retrieved(found, standalone.question if standalone.rewritten else None)
        base = dict(question=question, passages=found, llm=self._name_or_extractive(),
                    standalone_question=standalone.question if standalone.rewritten else None)
        if evidence.refuse or not evidence.units:
            timings["total"] = _ms(t0)
            yield self._refusal(evidence, passages, base, timings)
            return
        if self.backend is None or query.shape != "fact" or evidence.contradicts or evidence.answer_type == "quote":
            # lists and summaries are quoted: several verified sentences from several articles;
            # so is what corrects a question's premise, and what someone said (asked for their
            # words, a small model's report of them drops the words)
            text, cites = self._extractive(evidence, passages, question)
            timings["total"] = _ms(t0)
            yield Answer(text=text, refused=False, citations=cites, timings_ms=timings, **base)
            return
        yield from self._generate(question, standalone, evidence, passages, base, timings, t0)

    def _two(self, question: str, both: tuple[str, str], history, t0) -> Iterator[Retrieved | Answer]:
        """Two questions asked in one ("Who took over, and how many games did he win?"): each
        answered on its own, the second as a follow-up of the first, and the answers joined with
        their citations numbered in order. When neither is answered, the question is answered as
        one (it may still be); when one is, it is refused, with the other's answer as the closest."""
        first = _last_answer(self._events(both[0], history, split=False))
        turn = [("user", both[0]), ("assistant", "" if first.refused else first.text)]
        second = _last_answer(self._events(both[1], [*(history or []), *turn], split=False, about=both[0]))
        if first.refused and second.refused:
            yield from self._events(question, history, split=False)
            return
        passages = first.passages + tuple(p for p in second.passages if p not in first.passages)
        yield Retrieved(passages)
        if first.refused or second.refused:
            # half a question answered does not answer it: refused, saying which half the
            # articles don't answer, with what they say of the other as the closest passage
            missing, found = (first, second) if first.refused else (second, first)
            asked = missing.question.rstrip("?")
            quote = " ".join(strip_markers(found.text).split())
            yield Answer(question, prompts.REFUSAL_HALF.format(question=asked.lower(), quote=quote[:CLOSEST_QUOTE_CHARS]),
                         True, (), passages, reason=f"the articles don't say {asked}"
                         + (f" ({missing.reason})" if missing.reason else ""),
                         closest=replace(found.citations[0], n=0) if found.citations else None,
                         fallback=found.fallback, llm=found.llm, draft=found.draft,
                         checks=first.checks + second.checks, timings_ms={"total": _ms(t0)})
            return
        cites: list[Citation] = []
        texts = []
        for a in (first, second):       # (both answered: a half refused is refused above)
            numbers = {}
            for c in a.citations:
                same = next((d for d in cites if (d.source, d.start, d.end) == (c.source, c.start, c.end)), None)
                if same is None:
                    same = replace(c, n=len(cites) + 1)
                    cites.append(same)
                numbers[c.n] = same.n
            text = MARKER.sub(lambda m: f"[{numbers[int(m.group(1))]}]", a.text)
            if texts:   # what the first answer quoted is not said again
                said = fold(strip_markers(texts[0]))
                text = " ".join(x for x in (text[c.start:c.end] for c in sentences(text))
                                if fold(strip_markers(x)).strip() not in said)
            texts.append(text)
        text = " ".join(texts)
        if len(text) > ANSWER_MAX_CHARS:        # both answers whole would not fit: each cut at a clause
            text = _shortened(text, ANSWER_MAX_CHARS)
        used = list(dict.fromkeys(marker_numbers(text)))       # in reading order
        text = MARKER.sub(lambda m: f"[{used.index(int(m.group(1))) + 1}]", text)
        cites = [replace(next(c for c in cites if c.n == n), n=i + 1) for i, n in enumerate(used)]
        yield Answer(question, text, False, tuple(cites), passages,
                     fallback=first.fallback or second.fallback, llm=first.llm,
                     draft=" ".join(a.draft for a in (first, second) if a.draft) or None,
                     checks=first.checks + second.checks, timings_ms={"total": _ms(t0)})

    def _retrieve(self, search: str, query: Query, also: str | None = None) -> tuple[Passage, ...]:
        """The top k passages for `search`; when the question has constraints (a year, an
        edition...), passages that match them come first, from a pool POOL_FACTOR times larger.
        Lists, summaries and comparisons keep twice as many passages, to gather from several
        articles (a comparison's things compared are told in stories of their own).
        `also` (a follow-up as the user typed it) is searched too and its passages interleaved,
        so what the earlier turns add to the search cannot crowd out what is asked now."""
        k = self.settings.k * (2 if query.shape != "fact" or len(sides(query)) > 1 else 1)
        retriever = self._retriever if not query.constraints and query.shape == "fact" else self._pool
        pool = [_passage(d) for d in retriever.invoke(search)]
        if also and also.strip() != search.strip():
            extra = [_passage(d) for d in retriever.invoke(also)]
            merged = [p for pair in zip(pool, extra) for p in pair] + pool[len(extra):] + extra[len(pool):]
            seen: set[str] = set()
            pool = [p for p in merged if not (p.id in seen or seen.add(p.id))]
        if retriever is self._retriever and not also:
            return tuple(pool)
        if query.constraints:
            matching = [p for p in pool if not failed(query, Context("", p.text, p.title, p.date))]
            pool = matching + [p for p in pool if p not in matching]
        return tuple(pool[:k])

    def _refusal(self, evidence: Evidence, passages, base: dict, timings) -> Answer:
        """The refusal, saying why, with the passage that came closest (not a citation)."""
        closest = None
        text = prompts.REFUSAL
        u = evidence.closest
        if u is not None:
            p = passages[u.passage]
            closest = Citation.of(p, 0, (u.start, u.end))
            if evidence.near_miss:
                quote = " ".join(u.text.split())
                miss = next((c for c in u.failed if c.kind != "subject"), evidence.query.constraints[0])
                instead = said_instead(miss, Context(u.text, p.text, p.title, p.date)) or "something else"
                text = prompts.REFUSAL_NEAR_MISS.format(asked=evidence.query.describe(p.text), instead=instead,
                                                        quote=quote[:CLOSEST_QUOTE_CHARS],
                                                        date=f" ({p.date})" if p.date else "")
        return Answer(text=text, refused=True, citations=(), timings_ms=timings, reason=evidence.reason,
                      closest=closest, **base)

    # -- pieces ----------------------------------------------------------------------------------
    def _name_or_extractive(self) -> str:
        try:
            return self.llm_name
        except NewsragError:
            return self.settings.llm

    def _checked(self, question) -> str:
        if not isinstance(question, str):
            raise NewsragError("the question must be text")
        if len(question) > self.settings.max_question_chars:
            raise NewsragError(f"the question is {len(question):,} characters; the limit is "
                               f"{self.settings.max_question_chars:,}: ask something shorter")
        question = _SURROGATE.sub("\ufffd", question)   # undecodable bytes from a shell arrive as lone surrogates
        question = _CONTROL.sub("", question).strip()
        if not question:
            raise NewsragError("the question is empty: ask something about the articles")
        return question

    def _standalone(self, question: str, history, timings) -> Standalone:
        rules = by_rules(question, history)
        if rules.clarification:
            return rules
        # The embedded 0.1-0.5B models rewrite badly and slowly (seconds per follow-up on
        # two cores); they keep the rules' result. Real LLMs rewrite, checked by accept_rewrite.
        if not rules.rewritten or self.backend is None or self.backend.small:
            return rules
        t = time.perf_counter()
        try:
            convo = "\n".join(f"{'User' if r == 'user' else 'Assistant'}: {strip_markers(x)[:300]}"
                              for r, x in history[-4:])
            rewrite = "".join(self.backend.stream(prompts.CONDENSE_SYSTEM,
                                                  prompts.CONDENSE_USER.format(history=convo, question=question),
                                                  max_tokens=48)).strip().splitlines()
            rewrite = rewrite[0].strip().strip('"') if rewrite else ""
        except LLMError:
            rewrite = ""
        finally:
            timings["condense"] = _ms(t)
        if accept_rewrite(rewrite, question, history):
            return Standalone(rewrite, f"{rewrite} {rules.search}", True, "llm")
        return rules

    def _extractive(self, evidence: Evidence, passages, question: str) -> tuple[str, tuple[Citation, ...]]:
        shape = evidence.query.shape if evidence.query else "fact"
        if shape != "fact":
            dates = {u.source: passages[u.passage].date for u in evidence.units} \
                if shape == "summary" and one_event(question) else None
            units = pick_many(evidence.units, MANY_UNITS[shape], MANY_MAX_CHARS,
                              people=shape == "list" and evidence.answer_type == "name", dates=dates)
            if shape == "list" and units:
                # the best unit grown by the sentences that carry its list on, kept first
                best = max(units, key=lambda u: u.score)
                grown = continue_list(best, passages[best.passage], MANY_MAX_CHARS)
                rest = [u for u in units if u is not best and (u.source != grown.source or u.end <= grown.start
                                                                or u.start >= grown.end)]
                units = pick([grown] + rest, MANY_UNITS[shape], MANY_MAX_CHARS)
                units.sort(key=lambda u: (u.source != grown.source, u.source, u.start))
            return self._compose([(u.text.strip(), [u]) for u in units], passages, question)
        best = _quoted(evidence)
        if evidence.answer_type == "quote" and len(best) == 1:
            best = [continue_quote(best[0], passages[best[0].passage], ANSWER_MAX_CHARS)]
        text, cites = self._compose([(u.text.strip(), [u]) for u in best], passages, question)
        if evidence.answer_type in DATE_TYPES and best:
            note = _weekday_note(text, best[0].text, passages[best[0].passage])
            if note and len(text) + len(note) > ANSWER_MAX_CHARS and len(best) > 1:
                text, cites = self._compose([(best[0].text.strip(), [best[0]])], passages, question)
            if note and len(text) + len(note) <= ANSWER_MAX_CHARS:
                text += note
        if evidence.contradicts:        # "Why did the council reject it?" "... approved the flood wall"
            text = prompts.OTHERWISE + text
        return text, cites

    def _compose(self, sentences: list[tuple[str, list[Unit]]], passages, question: str):
        """Sentences with their supporting units -> text with [n] and the citations, numbered in order."""
        order: list[int] = []
        quotes: dict[int, tuple[int, int]] = {}
        parts = []
        for text, units in sentences:
            ns = []
            for u in units:
                if u.passage not in order:
                    order.append(u.passage)
                q0, q1 = quotes.get(u.passage, (u.start, u.end))
                quotes[u.passage] = (min(q0, u.start), max(q1, u.end))
                ns.append(order.index(u.passage) + 1)
            marks = "".join(f"[{n}]" for n in dict.fromkeys(ns))
            m = re.search(r"([.!?]+)([\"'\u201d\u2019]?)$", text)
            if m and not m.group(2):
                parts.append(f"{text[:m.start()]} {marks}{m.group(1)}")
            elif text.endswith("\u2026"):
                parts.append(f"{text} {marks}.")      # a sentence quoted in part (_clipped)
            else:
                parts.append(f"{text} {marks}")
        cites = tuple(Citation.of(passages[p], i + 1, quotes[p]) for i, p in enumerate(order))
        text = " ".join(parts)
        date = cites[0].date if cites else None
        if date and _STATE_Q.search(question):
            text = prompts.AS_OF.format(date=date) + text
        return text, cites

    def _answer_in(self, draft: str, asked: str, evidence: Evidence, passages, question: str):
        """When no sentence of the draft survives, the answer it gives may still be the best
        evidence's (`verify.answer_span`): (text, citations, the answer) with the answer said
        first and the quotation after it, within ANSWER_MAX_CHARS; else None."""
        quoted = _quoted(evidence)
        if not quoted or evidence.compared:
            return None
        span = answer_span(draft, asked, " ".join(u.text for u in quoted), evidence.answer_type)
        holder = quoted[0]     # (the best evidence says it; a second sentence quoted beside it may not)
        if not span or fold(span) not in fold(holder.text):
            return None
        items = [(_sentence(span), [holder])] + [(u.text.strip(), [u]) for u in quoted]
        for n in range(len(items), 1, -1):
            text, cites = self._compose(items[:n], passages, question)
            if len(text) <= ANSWER_MAX_CHARS:
                return text, cites, span
        return None

    def _generate(self, question, standalone, evidence, passages, base, timings, t0):
        s = self.settings
        small = self.backend.small
        units = pick(evidence.units, min(s.context_sentences, 3) if small else s.context_sentences, 1400)
        lines = []
        for n, u in enumerate(units, start=1):
            p = passages[u.passage]
            text = " ".join(u.text.split())
            if small:
                lines.append(f"[{n}] {text}")
            else:
                lines.append(prompts.SOURCE_LINE.format(n=n, label=p.outlet or p.title[:60],
                                                        date=f", {p.date}" if p.date else "", text=text))
        system, template = ((prompts.ANSWER_SYSTEM_SMALL, prompts.ANSWER_USER_SMALL) if small
                            else (prompts.ANSWER_SYSTEM, prompts.ANSWER_USER))
        user = template.format(sources="\n".join(lines), question=standalone.question)
        t = time.perf_counter()
        draft, notice, failed = "", None, False
        try:
            for n_piece, piece in enumerate(self.backend.stream(system, user, max_tokens=s.max_answer_tokens)):
                if "first_token" not in timings:
                    timings["first_token"] = _ms(t0)
                draft += piece
                yield piece
                if n_piece >= 12 and not re.search(r"[A-Za-z]{3}", draft):
                    break   # looping on markers or punctuation: stop paying for it
        except LLMError as exc:
            failed, notice = True, prompts.NOTICE_LLM_FAILED.format(why=exc.why)
        except NewsragError as exc:
            failed, notice = True, prompts.NOTICE_LLM_FAILED.format(why=f"could not start ({exc})")
        timings["generate"] = _ms(t)
        t = time.perf_counter()
        common = self.corpus.sparse_index().common_terms()
        contexts = [_story_words(evidence.query, passages[u.passage]) for u in units]
        checked = verify(draft, [u.text for u in units], standalone.question, common, contexts) \
            if not failed else None
        kept = [(text, [units[n - 1] for n in ns]) for text, ns in checked.sentences] if checked else []
        # (what someone said may be reported in the LLM's own words: only facts of a kind are checked)
        why = None
        if kept and evidence.answer_type not in (None, "quote") and \
                not any(has_type(text, evidence.answer_type) for text, _ in kept):
            kept, why = [], "no kept sentence holds the kind of answer asked for"
        best_figures = set(figures_said(units[0].text, evidence.answer_type)) \
            if evidence.answer_type in FIGURE_TYPES and has_type(units[0].text, evidence.answer_type) else set()
        if kept and best_figures and not any(best_figures & set(figures_said(text, evidence.answer_type))
                                             for text, _ in kept):
            # "how many ...?" answered with a figure the best evidence does not give, when it gives
            # one of the kind: the small model picked another sentence's figure; the best is quoted
            kept, why = [], "its figure is not the one the best evidence gives"
        if kept and any(evidence.addresses(u.text) for u in units) and \
                not any(evidence.addresses(text) for text, _ in kept):
            # true to its source but not about what was asked ("who was player of the match"
            # answered with the final's score): the sources say it, the draft does not
            kept, why = [], "no kept sentence is about what the question asks"
        shorter = None
        if kept and evidence.answer_type != "name":
            # (asked who, a draft naming someone says it: "Hakan Fidan chaired the meeting")
            quoted = self._extractive(evidence, passages, question)
            if _says_less(kept, quoted[0]):
                # every word of the draft is in the quotation the engine would give, which says
                # more: the small model shortened the best evidence, and what it left out is often
                # what was asked ("adorned with the flags", the "floral centerpiece" dropped)
                kept, why, shorter = [], "it says less than the passage it came from", quoted
        checks = tuple(c.as_dict() for c in checked.checks) if checked else ()
        if why and checks:
            checks = checks + ({"text": "", "cites": [], "kept": False, "why": why, "repaired": False},)
        timings["verify"] = _ms(t)
        if kept:
            text, cites = self._compose(kept[:3], passages, question)
            if evidence.answer_type in DATE_TYPES:
                first = kept[0][1][0]
                text += _weekday_note(text, kept[0][0], passages[first.passage])
            if checked.dropped:
                notice = prompts.NOTICE_PARTIAL.format(dropped=checked.dropped)
            fallback = False
        elif not failed and not evidence.compound and not evidence.decisive and \
                evidence.units[0].score < FALLBACK_MIN_SCORE:
            # the model found nothing it could stand behind and the evidence is middling: an
            # honest refusal with the closest passage, not a quotation presented as the answer
            why = ("the LLM said the sources do not answer" if _DECLINED.search(draft)
                   else "the LLM only shortened the best passage" if shorter
                   else "nothing the LLM wrote was supported by the sources")
            u = evidence.units[0]
            timings["total"] = _ms(t0)
            yield Answer(text=prompts.REFUSAL, refused=True, citations=(), draft=draft, checks=checks,
                         timings_ms=timings, reason=f"{why}; the best passage matches only moderately",
                         closest=Citation.of(passages[u.passage], 0, (u.start, u.end)), **base)
            return
        else:
            # (a draft that only shortened the best evidence may still have said the answer first)
            spoken = None if failed else self._answer_in(draft, standalone.question, evidence, passages, question)
            if spoken is not None:
                # the draft's sentence failed, its answer did not: said first, then the quotation
                # (its check stands for the draft's first sentence, the one the answer was cut from)
                text, cites, span = spoken
                checks = ({"text": span, "cites": [1], "kept": True, "repaired": True,
                           "why": "its answer, cut from a sentence that echoes the question, is in the best evidence"},
                          ) + checks[1:]
                fallback = False
            else:
                text, cites = shorter or self._extractive(evidence, passages, question)
                notice = prompts.NOTICE_SHORTER if shorter else notice or prompts.NOTICE_UNVERIFIED
                fallback = True
        timings["total"] = _ms(t0)
        yield Answer(text=text, refused=False, citations=cites, fallback=fallback, notice=notice, draft=draft,
                     reason=notice if fallback else None,
                     checks=checks, timings_ms=timings, **base)


def _sentence(span: str) -> str:
    """A short answer as a sentence of its own: "Edwin Marlowe.", "Cut the fares by half."."""
    return (span[:1].upper() + span[1:]).rstrip(".,;:") + "."


def _says_less(kept: list[tuple[str, list]], quoted: str) -> bool:
    """The kept sentences' words are all words of `quoted`, which has SAYS_MORE more of its own."""
    said = set(tokens(fold(" ".join(text for text, _ in kept))))
    full = set(tokens(fold(strip_markers(quoted))))
    return said <= full and len(full - said) >= SAYS_MORE


def _weekday_note(answer: str, sentence: str, passage: Passage) -> str:
    """" (The article is dated 2017-06-04, so that Saturday was June 3, 2017.)" for a date answer
    whose `sentence` names only a weekday ("When did it reopen?" "... on Saturday") or a count of
    days back ("eight days ago"); "" when the answer names a calendar day or the article has no date."""
    if days(answer):
        return ""
    named = weekday_date(sentence, passage.date, passage.text)
    return " " + prompts.WEEKDAY_DATE.format(weekday=named[0], date=named[1], dated=passage.date) if named else ""


def _read_on(passages: tuple[Passage, ...], index, query: Query) -> tuple[Passage, ...]:
    """The chunks of the best passage's story that hold the words of the question which no
    passage found holds (half of them at least; up to STORY_CHUNKS, nearest it first): a news story names its
    subject in its opening and tells the details further down ("Kestrel-1 was built by
    ..."), where retrieval by all the question's words does not reach. Scored after the
    passages found (their rank prior is lowest)."""
    if not passages:
        return ()
    top = passages[0]
    asked = set(index.terms(query.plain or query.text))     # (a word no article holds counts: none supplies it)
    lacking = asked - {t for p in passages for t in index.terms(f"{p.title} {p.text}")}
    if not lacking:
        return ()
    enough = (len(lacking) + 1) // 2      # half of them: one word shared by chance is no sign
    rest = [c for c in _unread(top.source, passages, index) if len(lacking & set(index.terms(c.text))) >= enough]
    rest.sort(key=lambda c: abs(c.start - top.start))
    return tuple(rest[:STORY_CHUNKS])


def _whole_story(source: str, passages: tuple[Passage, ...], index) -> tuple[Passage, ...]:
    """The chunks of `source`'s story not among `passages`, in reading order: a summary of one
    event is told by its whole story (the women's race after the men's, who was hurt), which
    retrieval by the question's words finds only in part (its headline and lede)."""
    return tuple(sorted(_unread(source, passages, index), key=lambda c: c.start))


def _unread(source: str, passages: tuple[Passage, ...], index) -> list[Passage]:
    """The chunks of `source`'s story that are not among `passages`, as passages."""
    have = {p.id for p in passages}
    return [_passage_of(c.meta, c.text, c.id) for c in index.of_source(source) if c.id not in have]


def _passage_of(meta: dict, text: str, id: str, score: float = 0.0) -> Passage:
    """A Passage from a chunk's metadata and text (a stored chunk, or a retrieved Document)."""
    return Passage(source=meta["source"], title=meta.get("title", ""), date=meta.get("date"),
                   outlet=meta.get("outlet"), text=text, start=int(meta["start"]), end=int(meta["end"]),
                   score=score, id=id)


def _last_answer(events) -> Answer | None:
    """The Answer an engine's events end with."""
    answer = None
    for event in events:
        if isinstance(event, Answer):
            answer = event
    return answer


def _story_words(query: Query | None, p: Passage) -> str:
    """What a source's headline and date may add when its sentence is verified: only the words
    that pick the story (the question's names, years, editions: "the 2017 final" when the
    sentence says "the final"), never what the story says; and the question's names its
    passage gives ("Ilsa Marrick" named in full before the sentence says "Marrick took 38.9%"),
    not the years or editions a passage names in passing."""
    if query is None:
        return ""
    picks = set(words(fold(" ".join([*query.names, *(c.text for c in query.constraints)]))))
    headline = [w for w in words(fold(f"{p.title} {p.date or ''}")) if w in picks]
    named = sorted(set(query.names) & set(words(fold(p.text))))     # (names are folded words)
    return " ".join(dict.fromkeys([*headline, *named]))


def _beyond(evidence: Evidence, history) -> Evidence:
    """"What else did she say?": the evidence without what the last answer already quoted."""
    said = next((text for role, text in reversed(history) if role == "assistant"), "")
    said = fold(strip_markers(said))
    if not said:
        return evidence
    rest = [u for u in evidence.units if fold(u.text)[:80] not in said]
    if len(rest) == len(evidence.units):
        return evidence
    if not rest:
        return replace(evidence, units=[], refuse=True, reason="the articles found say nothing beyond the last answer")
    return replace(evidence, units=rest)


def _quoted(evidence: Evidence) -> list[Unit]:
    """The units that answer a fact question: the best, and a second when it scores nearly as
    well and holds question terms or the kind of answer the first lacks, or when the two are too
    close to tell apart (SECOND_SHARE): both are shown rather than a guess between them."""
    if evidence.compared:
        # a comparison: the best unit about each thing compared, in the question's order, each
        # cut at a clause after its figure when all of them whole would not fit
        units = evidence.units[:evidence.compared]
        if sum(len(u.text) + 5 for u in units) > EXTRACTIVE_MAX_CHARS:
            units = [_clipped(u, EXTRACTIVE_MAX_CHARS // len(units) - 5) for u in units]
        return pick(units, evidence.compared, EXTRACTIVE_MAX_CHARS)
    units = pick(evidence.units, 2, EXTRACTIVE_MAX_CHARS)
    best = units[:1]
    # a sentence stating the number asked for may answer at TYPED_SHARE of the best (gather)
    stated = evidence.answer_type in REQUIRED_TYPES and len(units) > 1 and units[1].has_type
    if len(units) > 1 and units[1].score >= (TYPED_SHARE if stated else SECOND_ADDS) * units[0].score:
        first, second = set(tokens(units[0].text)), set(tokens(units[1].text))
        if any(t in second and t not in first for t in evidence.key_terms) or \
                (evidence.answer_type and units[1].has_type and not units[0].has_type) or \
                units[1].score >= SECOND_SHARE * units[0].score:
            best = units[:2]
    return best


# where a sentence may be cut short: before a clause set off by a comma, a semicolon or a dash
_CLAUSE_END = re.compile(r",\s+(?=[a-z])|;\s+|\s+[-\u2013\u2014]\s+")
_FIGURE = re.compile(r"\d")


def _clause_cut(text: str, after: int, limit: int) -> int | None:
    """Where `text` may be cut short: its last clause break from `after` to `limit`, if any."""
    cuts = [m.start() for m in _CLAUSE_END.finditer(text) if after <= m.start() <= limit]
    return cuts[-1] if cuts else None


def _clipped(u: Unit, limit: int) -> Unit:
    """`u` quoted up to the last clause break within `limit` characters that comes after its
    first figure ("Wildfires burned about 12,400 hectares ... this summer…"), or whole when
    there is none."""
    figure = _FIGURE.search(u.text)
    cut = _clause_cut(u.text, figure.end(), limit - 1) if figure and len(u.text) > limit else None
    return u if cut is None else replace(u, text=u.text[:cut] + "\u2026", end=u.start + cut)


_CITED = re.compile(r"(?:(?<=\]\.)|(?<=\]))\s+")      # where a quoted sentence with its citation ends
_MARKED = re.compile(r"^(.*?)\s*((?:\[\d+\])+)\.?$", re.S)


def _shortened(text: str, limit: int) -> str:
    """A joined answer too long for `limit`: each quoted sentence longer than its share cut at
    its last clause break within the share (marked "…", its citation kept), where there is one
    past its first 40 characters and its first figure ("... a new plant at Skarvik, which will
    cost 210 million…", not "... a new plant at Skarvik…")."""
    pieces = [x for x in _CITED.split(text) if x]
    share = limit // len(pieces) - 2
    out = []
    for piece in pieces:
        m = _MARKED.match(piece)
        if m and len(piece) > share:
            body, marks = m.group(1), m.group(2)
            figure = _FIGURE.search(body)       # (as `_clipped` cuts: after the first figure)
            cut = _clause_cut(body, max(40, figure.end() if figure else 0), share - len(marks) - 3)
            if cut is not None:
                piece = f"{body[:cut]}\u2026 {marks}."
        out.append(piece)
    return " ".join(out)


def _passage(doc) -> Passage:
    return _passage_of(doc.metadata, doc.page_content, doc.metadata["id"], float(doc.metadata["score"]))


def _ms(t: float) -> float:
    return (time.perf_counter() - t) * 1000.0


class _PromptRecorder:
    """An LLM for `Engine.prompt_for`: notes each prompt it is sent and declines to answer."""

    name = "prompt-recorder"

    def __init__(self, small: bool):
        self.small = small
        self.prompts: list[tuple[str, str]] = []

    def warm_up(self) -> None:
        pass

    def count_tokens(self, text: str) -> int | None:
        return None

    def stream(self, system: str, user: str, *, max_tokens: int) -> Iterator[str]:
        self.prompts.append((system, user))
        raise LLMError("not sent: the prompt was only recorded")
        yield ""    # a generator, like every backend's stream


def _traced(backend: ChatBackend) -> ChatBackend:
    """The backend, reporting to LangChain callbacks; LangChain chat models report themselves."""
    return backend if isinstance(backend, LangChainChat) else Traced(backend)


_engines: OrderedDict[Settings, Engine] = OrderedDict()
_engines_lock = threading.Lock()


def ask(question: str, history=None, settings: Settings | None = None) -> Answer:
    """Answer `question` (with optional chat history); builds the index on first use. One engine
    per distinct Settings is kept (the last ENGINES_KEPT), so asking again loads nothing."""
    settings = settings if settings is not None else Settings()
    with _engines_lock:
        engine = _engines.get(settings)
        if engine is None:
            engine = _engines[settings] = Engine(settings)
            while len(_engines) > ENGINES_KEPT:
                _engines.popitem(last=False)
        else:
            _engines.move_to_end(settings)
    return engine.ask(question, history)
