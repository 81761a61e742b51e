"""One wiring point: Engine(settings, *, store, embedder, llm) takes the parts it is handed,
builds the others once, and is usable from LangChain (any chat model as the LLM, the engine as
a Runnable whose callbacks see retrieval and generation); `ask` keeps one engine per Settings."""
from __future__ import annotations

from pathlib import Path

import pytest
from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import AIMessage

from rag.errors import NewsragError

SEEDS = Path(__file__).resolve().parents[2] / "seeds"
QUESTION = "Who chaired the talks in Istanbul?"


class Counting:
    """The session's embedder, counting what it is asked to embed."""

    def __init__(self, inner):
        self.inner, self.name, self.documents, self.queries = inner, inner.name, 0, 0

    def embed_documents(self, texts):
        self.documents += len(texts)
        return self.inner.embed_documents(texts)

    def embed_query(self, text):
        self.queries += 1
        return self.inner.embed_query(text)


def test_parts_handed_in_are_the_parts_used(seeded_store, embedder, Scripted):
    from index.store import open_store
    from rag import Engine, Settings

    store, backend, counting = open_store(f"chroma:{seeded_store}"), Scripted("Hakan Fidan chaired it [1]."), \
        Counting(embedder)
    engine = Engine(Settings(source=str(SEEDS)), store=store, embedder=counting, llm=backend)
    assert engine.store is store and engine.embedder is counting
    a = engine.ask(QUESTION)
    assert "Fidan" in a.text and backend.calls and counting.queries >= 1
    assert a.llm == "scripted:test" and engine.llm_name == "scripted:test"


def test_one_minilm_per_process(tmp_path):
    from index.embed import MiniLM
    from rag import Engine, Settings

    one = Engine(Settings(llm="extractive", store=f"chroma:{tmp_path / 'a'}"))
    two = Engine(Settings(llm="extractive", store=f"chroma:{tmp_path / 'b'}"))
    assert one.embedder is two.embedder is MiniLM.shared()


def test_first_run_indexes_with_the_engines_own_embedder(tmp_path, seeds_copy, embedder):
    """The index built on first use is embedded by the engine's embedder: no second model."""
    from rag import Engine, Settings

    counting = Counting(embedder)
    engine = Engine(Settings(llm="extractive", store=f"chroma:{tmp_path / 'chroma'}", source=str(seeds_copy),
                             cache_dir=str(tmp_path / "cache")), embedder=counting)
    assert not engine.store.exists()
    a = engine.ask(QUESTION)
    assert "Fidan" in a.text
    assert counting.documents > 50 and counting.queries >= 1


def test_ask_keeps_one_engine_per_settings(seeded_store, monkeypatch):
    from rag import Settings, engine as engine_module

    made = []
    real = engine_module.Engine

    class Recorded(real):
        def __init__(self, *args, **kw):
            made.append(self)
            super().__init__(*args, **kw)

    monkeypatch.setattr(engine_module, "Engine", Recorded)
    settings = Settings(llm="extractive", store=f"chroma:{seeded_store}", source=str(SEEDS))
    assert "Fidan" in engine_module.ask(QUESTION, settings=settings).text
    assert "Fidan" in engine_module.ask(QUESTION, settings=Settings(llm="extractive", store=f"chroma:{seeded_store}",
                                                                     source=str(SEEDS))).text
    assert len(made) == 1                   # an equal Settings finds the same engine
    engine_module.ask(QUESTION, settings=settings.with_(k=4))
    assert len(made) == 2


def test_settings_are_hashable_and_never_print_the_password():
    from rag import Settings

    one, two = Settings(llm="extractive", auth="ann:s3cret"), Settings(llm="extractive", auth="ann:s3cret")
    assert one == two and hash(one) == hash(two) and len({one, two}) == 1
    assert "s3cret" not in repr(one)


def test_a_langchain_chat_model_is_verified_like_any_llm(engine_factory):
    chat = GenericFakeChatModel(messages=iter([AIMessage("Hakan Fidan chaired the talks [1]. "
                                                         "The talks were held in Paris [1].")]))
    engine = engine_factory(llm=chat)
    events = list(engine.stream(QUESTION))
    answer = events[-1]
    assert all(isinstance(e, str) for e in events[:-1]) and "Fidan" in "".join(events[:-1])
    assert "Fidan" in answer.text and "Paris" not in answer.text and not answer.fallback
    assert [c["kept"] for c in answer.checks] == [True, False]
    assert answer.llm == "langchain:GenericFakeChatModel"


def test_what_is_not_an_llm_is_refused_with_what_it_needs(engine_factory):
    class HalfBackend:
        name = "half"

        def stream(self, system, user, *, max_tokens):
            yield "x"

    with pytest.raises(NewsragError, match="name, small, stream, warm_up, count_tokens"):
        engine_factory(llm=HalfBackend())


def test_backends_declare_the_whole_protocol():
    from rag.llm import ChatBackend, LangChainChat, LlamaCpp, LLMSpec, Traced

    local = LlamaCpp(Path("/nonexistent.gguf"), "gguf:x", threads=1, timeout=1.0)
    remote = LangChainChat.from_spec(LLMSpec.parse("openai:m@http://127.0.0.1:9/v1"), timeout=1.0, retries=0)
    for backend in (local, remote, Traced(local), Traced(remote)):
        assert isinstance(backend, ChatBackend)
    assert local.small and not remote.small and remote.count_tokens("some words") is None


class Recorder(BaseCallbackHandler):
    def __init__(self):
        self.events: list[str] = []

    def on_chain_start(self, serialized, inputs, **kw):
        self.events.append(f"chain:{kw.get('name')}")

    def on_retriever_start(self, serialized, query, **kw):
        self.events.append("retriever")

    def on_retriever_end(self, documents, **kw):
        self.events.append(f"retrieved:{len(documents)}")

    def on_chat_model_start(self, serialized, messages, **kw):
        self.events.append("chat_model")

    def on_llm_new_token(self, token, **kw):
        self.events.append("token")

    def on_llm_end(self, response, **kw):
        self.events.append("llm_end")


def test_the_engine_as_a_runnable_reports_retrieval_and_generation(engine_factory, Scripted):
    from rag import Answer

    backend = Scripted("Hakan Fidan chaired the talks [1].")
    runnable = engine_factory(llm=backend).as_runnable()
    seen = Recorder()
    answer = runnable.invoke({"question": QUESTION}, config={"callbacks": [seen]})
    assert isinstance(answer, Answer) and "Fidan" in answer.text and not answer.fallback
    assert seen.events[0] == "chain:newsrag"
    assert "retriever" in seen.events and "retrieved:5" in seen.events      # the hybrid retriever (and its legs)
    assert seen.events.index("retriever") < seen.events.index("chat_model") < seen.events.index("llm_end")
    assert seen.events.count("token") >= 3

    streamed = list(runnable.stream({"question": QUESTION, "history": None}, config={"callbacks": [Recorder()]}))
    assert all(isinstance(e, str) for e in streamed[:-1]) and isinstance(streamed[-1], Answer)
    assert streamed[-1].text == answer.text

    both = runnable.batch([{"question": QUESTION}, {"question": "What did the delegates eat for lunch?"}])
    assert [a.refused for a in both] == [False, True]


def test_a_langchain_chat_model_reports_to_the_runs_callbacks(engine_factory):
    chat = GenericFakeChatModel(messages=iter([AIMessage("Hakan Fidan chaired the talks [1].")]))
    seen = Recorder()
    answer = engine_factory(llm=chat).as_runnable().invoke({"question": QUESTION}, config={"callbacks": [seen]})
    assert "Fidan" in answer.text
    assert "retriever" in seen.events and "chat_model" in seen.events and "llm_end" in seen.events


def test_prompt_for_is_the_prompt_the_llm_is_sent(engine_factory, Scripted):
    backend = Scripted("Hakan Fidan chaired the talks [1].")
    engine = engine_factory(llm=backend)
    engine.ask(QUESTION)
    assert engine.prompt_for(QUESTION) == backend.calls[-1]
    system, user = engine.prompt_for(QUESTION, small=True)
    assert (system, user) != backend.calls[-1] and "Question:" in user
    assert engine.prompt_for("What did the delegates eat for lunch?") is None        # refused: nothing sent
    assert engine_factory().prompt_for(QUESTION) == backend.calls[-1]               # extractive: the full prompt
