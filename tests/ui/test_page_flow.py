"""The page's turn, served for real and driven through gradio_client: passages reach the
sources panel before the draft, the draft streams, the verified answer replaces both; an
engine without `events` still answers through `stream`. A real engine over the seeded store,
with a scripted LLM (the test is about orchestration: what the page shows, in which order)."""
from __future__ import annotations

import pytest

from bench.servers import free_port
from ui import render


@pytest.fixture
def serve_page(tmp_path):
    from gradio_client import Client

    from ui.app import build_app, launch
    from ui.feedback import FeedbackLog

    apps = []

    def serve(engine):
        app = build_app(engine, feedback=FeedbackLog(tmp_path / "feedback.jsonl"))
        port = free_port()
        launch(app, "127.0.0.1", port, block=False, quiet=True)
        apps.append(app)
        return Client(f"http://127.0.0.1:{port}/", verbose=False)

    yield serve
    for app in apps:
        app.close()


def steps(client, question, chat=()):
    """Every update the page sent for one question: [(chat, sources, status, box), ...]."""
    job = client.submit(question, list(chat), api_name="/ask")
    job.result(timeout=120)
    return [tuple(out) for out in job.outputs()]


class StreamOnly:
    """An engine as older callers built it: `stream` but no `events`."""

    def __init__(self, engine):
        self._engine = engine
        self.settings, self.store = engine.settings, engine.store

    def info(self):
        return self._engine.info()

    def articles(self):
        return self._engine.articles()

    def stream(self, question, history=None):
        return self._engine.stream(question, history)


def _last_text(chat) -> str:
    content = chat[-1]["content"] if chat else ""
    if isinstance(content, list):
        return "\n".join(c.get("text", "") for c in content if isinstance(c, dict))
    return str(content)


def test_passages_show_before_the_draft_then_the_cited_answer(serve_page, engine_factory, Scripted):
    llm = Scripted("Hakan Fidan chaired the talks in Istanbul [1].", delay=0.05)
    client = serve_page(engine_factory(llm=llm))
    updates = steps(client, "Who chaired the talks in Istanbul?")
    sources = [s for _, s, _, _ in updates]
    pending = next(i for i, s in enumerate(sources) if isinstance(s, str) and "retrieved, not yet cited" in s)
    drafting = [i for i, (chat, *_ ) in enumerate(updates) if "Draft" in _last_text(chat)]
    assert drafting and pending < drafting[0]          # the panel filled before the first draft piece
    assert 'id="psg-1"' in sources[pending] and "<mark>" not in sources[pending]
    final_chat, final_sources, status, box = updates[-1]
    assert status == "" and box == ""
    assert "<mark>" in final_sources and "not yet cited" not in final_sources
    assert "Fidan" in render.plain_from_md(_last_text(final_chat))


def test_an_engine_without_events_answers_through_stream(serve_page, engine_factory):
    client = serve_page(StreamOnly(engine_factory()))
    updates = steps(client, "Who chaired the talks in Istanbul?")
    assert not any(isinstance(s, str) and "not yet cited" in s for _, s, _, _ in updates)
    chat, sources, status, _ = updates[-1]
    assert status == "" and "<mark>" in sources and "Fidan" in _last_text(chat)


class ScriptedEngine:
    """An orchestration fake handed to build_app: retrieval, a draft, then a fixed Answer."""

    def __init__(self, settings, answer):
        self.settings, self.answer = settings, answer

    def info(self):
        return {"llm": "scripted", "store": "none", "articles": 1, "chunks": 1, "source": None}

    def articles(self):
        return []

    def events(self, question, history=None):
        from rag import Retrieved

        yield Retrieved(self.answer.passages)
        yield "A draft "
        yield self.answer


def test_refusal_reason_closest_and_dropped_sentences_reach_the_page(serve_page, tmp_path):
    from rag import Settings
    from rag.types import Answer, Citation, Passage

    near = Passage("cup_2019.txt", "Harlow Vale win the 2019 cup", "2019-06-02", None, "The 2019 final.", 0, 15, 0.1)
    answer = Answer("Who won in 2020?", "The articles don't say.", True, (), (near,), reason="no passage is about 2020",
                    closest=Citation.of(near, 0), draft="Harlow Vale won in 2020 [1].",
                    checks=({"text": "Harlow Vale won in 2020 [1].", "cites": [1], "kept": False,
                             "why": "source [1] is about 2019"},))
    client = serve_page(ScriptedEngine(Settings(llm="extractive", feedback=str(tmp_path / "fb.jsonl")), answer))
    updates = steps(client, "Who won in 2020?")
    chat, sources, status, _ = updates[-1]
    assert status == ""
    assert "Why: no passage is about 2020" in sources and 'id="closest"' in sources and "2019-06-02" in sources
    why = chat[-1]
    assert why["metadata"]["title"].startswith("Dropped from the draft (1)") and "about 2019" in _last_text([why])
    answer_text = render.plain_from_md(_last_text(chat[:-1]))
    assert answer_text == "The articles don't say."
    assert "Closest\\, does not answer" in _last_text(chat[:-1])      # escaped Markdown, shown as text
