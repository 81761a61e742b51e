"""The one place that wires newsrag together: Engine(settings) and ask().

condense (follow-ups) -> hybrid retrieve -> gather evidence (or refuse) ->
LLM drafts from the best few sentences -> verify sentence by sentence -> Answer.
With `extractive`, or when the LLM fails or nothing it wrote survives, the
answer is the best sentences quoted with their citations.
"""
from __future__ import annotations

import re
import threading
import time
from typing import Iterator

from index.errors import NewsragError, StoreMismatch
from index.text import fold, tokens

from . import prompts
from .condense import Standalone, accept_rewrite, by_rules, normalize_history
from .evidence import Evidence, Unit, gather, has_type, is_instruction, pick
from .llm import LLMError, LLMSpec, build_backend
from .settings import Settings
from .types import Answer, Citation, Passage
from .verify import verify

_STATE_Q = re.compile(r"^\s*(is|are|has|have|does|do|will)\b|\b(now|currently|current|status|yet|so far|still|"
                      r"latest)\b", re.I)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u200b-\u200f\u2060\ufeff]")
_SURROGATE = re.compile(r"[\ud800-\udfff]")
_MARKERS = re.compile(r"\[\d+\]")
EXTRACTIVE_MAX_CHARS = 380       # answers stay well inside the 400-character budget


class Engine:
    """newsrag's engine. Builds nothing until first use (or `warm_up()`)."""

    def __init__(self, settings: Settings | None = None):
        self.settings = settings or Settings()
        self.spec = LLMSpec.parse(self.settings.llm)
        self._store = None
        self._corpus = None
        self._retriever = None
        self._backend = None
        self._lock = threading.Lock()

    # -- wiring ----------------------------------------------------------------------------------
    @property
    def llm_name(self) -> str:
        return "extractive" if self.spec.kind == "extractive" else self.backend.name

    @property
    def backend(self):
        if self._backend is None and self.spec.kind != "extractive":
            s = self.settings
            self._backend = build_backend(self.spec, threads=s.threads, timeout=s.llm_timeout,
                                          retries=s.llm_retries, cache_dir=s.cache_path())
        return self._backend

    @property
    def store(self):
        if self._store is None:
            from index.store import ChromaStore

            self._store = ChromaStore(self.settings.store_spec(), self.settings.collection)
        return self._store

    @property
    def corpus(self):
        with self._lock:
            if self._corpus is None:
                from index.embed import MiniLM

                from .retrieve import Corpus, hybrid

                self.ensure_index()
                self._corpus = Corpus(self.store, MiniLM(), self.settings.cache_path())
                self._retriever = hybrid(self._corpus, self.settings.k)
            return self._corpus

    def ensure_index(self):
        """Build the index on first use; refuse a store built with other settings."""
        from index.embed import MODEL_NAME
        from index.indexer import index_folder

        s = self.settings
        if not self.store.exists():
            if self.store.spec.kind == "http":
                raise NewsragError(f"the Chroma server at {self.store.spec} has no collection "
                                   f"{s.collection!r}: run `newsrag index --store {self.store.spec}`")
            from index.embed import MiniLM

            index_folder(s.source_path(), self.store, MiniLM(), size=s.chunk_size, overlap=s.chunk_overlap,
                         progress=False, wait=600)
            return
        from index.store import SCHEMA

        found = self.store.manifest()
        for key, want in (("embedding_model", MODEL_NAME), ("chunk_size", s.chunk_size),
                          ("chunk_overlap", s.chunk_overlap), ("schema", SCHEMA)):
            if key in found and found[key] != want:
                raise StoreMismatch(f"the index at {self.store.spec} was built with {key}={found[key]!r} but "
                                    f"newsrag now uses {want!r}: run `newsrag index --rebuild`")

    def warm_up(self) -> "Engine":
        """Load the store, BM25, the embedder and the LLM now rather than on the first question."""
        self.corpus.sparse_index()
        self.corpus.embedder.warm_up()
        self.corpus.warm_sentences()
        if self.backend is not None and hasattr(self.backend, "warm_up"):
            self.backend.warm_up()
        return self

    def info(self) -> dict:
        """What the user may want to see: model, store, articles and chunks."""
        index = self.corpus.sparse_index()
        return {"llm": self.llm_name, "store": str(self.store.spec), "collection": self.settings.collection,
                "articles": len({c.meta.get("source") for c in index.chunks}), "chunks": index.n}

    # -- answering -------------------------------------------------------------------------------
    def ask(self, question: str, history=None) -> Answer:
        answer = None
        for event in self.stream(question, history):
            if isinstance(event, Answer):
                answer = event
        return answer

    def stream(self, question: str, history=None) -> Iterator[str | Answer]:
        """Pieces of the LLM's draft as it writes, then the verified Answer."""
        t0 = time.perf_counter()
        timings: dict[str, float] = {}
        question = self._checked(question)
        history = normalize_history(history)
        if is_instruction(question):
            yield Answer(question, prompts.REFUSAL_INSTRUCTION, True, (), (), llm=self._name_or_extractive(),
                         timings_ms={"total": _ms(t0)})
            return
        standalone = self._standalone(question, history, timings)
        t1 = time.perf_counter()
        corpus = self.corpus
        corpus.follow_writer()
        docs = self._retriever.invoke(standalone.search)
        passages = tuple(_passage(d) for d in docs)
        index = corpus.sparse_index()
        evidence = gather(standalone.question, list(passages), index.idf,
                          corpus.embed_query(fold(standalone.question)), corpus.sentence_vectors)
        timings["retrieve"] = _ms(t1)
        base = dict(question=question, passages=passages, llm=self._name_or_extractive(),
                    standalone_question=standalone.question if standalone.rewritten else None)
        if evidence.refuse or not evidence.units:
            timings["total"] = _ms(t0)
            yield Answer(text=prompts.REFUSAL, refused=True, citations=(), timings_ms=timings, **base)
            return
        if self.backend is None:
            text, cites = self._extractive(evidence, passages, question)
            timings["total"] = _ms(t0)
            yield Answer(text=text, refused=False, citations=cites, timings_ms=timings, **base)
            return
        yield from self._generate(question, standalone, evidence, passages, base, timings, t0)

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
        # The embedded 0.1-0.5B models rewrite badly and slowly (seconds per follow-up on
        # two cores); they keep the rules' result. Real LLMs rewrite, checked by accept_rewrite.
        if not rules.rewritten or self.backend is None or getattr(self.backend, "small", False):
            return rules
        t = time.perf_counter()
        try:
            convo = "\n".join(f"{'User' if r == 'user' else 'Assistant'}: {_MARKERS.sub('', x)[:300]}"
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
        units = pick(evidence.units, 2, EXTRACTIVE_MAX_CHARS)
        best = units[:1]
        # a second quotation only when it scores nearly as well and holds question terms the first lacks
        if len(units) > 1 and units[1].score >= 0.85 * units[0].score:
            first, second = set(tokens(units[0].text)), set(tokens(units[1].text))
            if any(t in second and t not in first for t in evidence.key_terms):
                best = units[:2]
        return self._compose([(u.text.strip(), [u]) for u in best], passages, question)

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
            else:
                parts.append(f"{text} {marks}")
        cites = tuple(Citation.of(passages[p], i + 1, quotes[p]) for i, p in enumerate(order))
        text = " ".join(parts)
        date = cites[0].date if cites else None
        if date and _STATE_Q.search(question):
            text = prompts.AS_OF.format(date=date) + text
        return text, cites

    def _generate(self, question, standalone, evidence, passages, base, timings, t0):
        s = self.settings
        small = getattr(self.backend, "small", False)
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
        checked = verify(draft, [u.text for u in units], standalone.question, common) if not failed else None
        kept = [(text, [units[n - 1] for n in ns]) for text, ns in checked.sentences] if checked else []
        if kept and evidence.answer_type and not any(has_type(text, evidence.answer_type) for text, _ in kept):
            kept, why = [], "no kept sentence holds the kind of answer asked for"
        else:
            why = None
        checks = tuple(c.as_dict() for c in checked.checks) if checked else ()
        if why and checks:
            checks = checks + ({"text": "", "cites": [], "kept": False, "why": why, "repaired": False},)
        timings["verify"] = _ms(t)
        if kept:
            text, cites = self._compose(kept[:3], passages, question)
            if checked.dropped:
                notice = prompts.NOTICE_PARTIAL.format(dropped=checked.dropped)
            fallback = False
        else:
            text, cites = self._extractive(evidence, passages, question)
            notice = notice or prompts.NOTICE_UNVERIFIED
            fallback = True
        timings["total"] = _ms(t0)
        yield Answer(text=text, refused=False, citations=cites, fallback=fallback, notice=notice, draft=draft,
                     checks=checks, timings_ms=timings, **base)


def _passage(doc) -> Passage:
    m = doc.metadata
    return Passage(source=m["source"], title=m.get("title", ""), date=m.get("date"), outlet=m.get("outlet"),
                   text=doc.page_content, start=int(m["start"]), end=int(m["end"]), score=float(m["score"]),
                   id=m["id"])


def _ms(t: float) -> float:
    return (time.perf_counter() - t) * 1000.0


_default: Engine | None = None
_default_lock = threading.Lock()


def ask(question: str, history=None, settings: Settings | None = None) -> Answer:
    """Answer `question` (with optional chat history); builds the index on first use."""
    global _default
    if settings is not None:
        return Engine(settings).ask(question, history)
    with _default_lock:
        if _default is None:
            _default = Engine(Settings())
    return _default.ask(question, history)
