"""The chat page: served on a free localhost port over the real seeded store (extractive) and
driven through gradio_client, plus the render functions and the serve guard on their own."""
from __future__ import annotations

import re
import pytest

from index.errors import NewsragError
from rag.types import Answer, Citation, Passage
from bench.servers import free_port
from ui import render


@pytest.fixture
def client(engine_factory):
    from gradio_client import Client

    from ui.app import build_app, launch

    app = build_app(engine_factory())
    port = free_port()
    launch(app, "127.0.0.1", port, block=False, quiet=True)
    try:
        yield Client(f"http://127.0.0.1:{port}/", verbose=False)
    finally:
        app.close()


def ask(client, question, chat=()):
    chat, sources, status, box = client.predict(question, list(chat), api_name="/ask")
    return chat, sources, status, box


def raw(message) -> str:
    """A chat message as the page renders it (escaped Markdown)."""
    content = message["content"]
    if isinstance(content, list):
        return "\n".join(c.get("text", "") for c in content if isinstance(c, dict))
    return str(content)


def said(message) -> str:
    """A chat message as plain text (what the engine is given as history)."""
    return render.plain_from_md(raw(message))


def test_question_gets_a_cited_answer_with_highlighted_sources(client):
    chat, sources, status, box = ask(client, "Who chaired the talks in Istanbul?")
    assert status == "" and box == ""
    assert [m["role"] for m in chat] == ["user", "assistant"]
    assert "Fidan" in said(chat[-1])
    assert "[\\[1\\]](#src-1)" in raw(chat[-1])                        # the [1] marker links to the sources panel
    assert 'id="src-1"' in sources
    assert any("Fidan" in quote for quote in re.findall(r"<mark>(.*?)</mark>", sources, re.S))


def test_follow_up_is_read_against_the_chat_history(client):
    history = [{"role": "user", "content": [{"type": "text", "text": "Who led Ukraine's delegation?"}]},
               {"role": "assistant", "content": [{"type": "text", "text": "Rustem Umerov [1]."}]}]
    chat, sources, status, _ = ask(client, "And who headed the other side?", history)
    assert status == ""
    assert len(chat) == 4 and "Medinsky" in said(chat[-1])
    assert "<mark>" in sources


def test_unanswerable_question_is_refused_with_closest_passages(client):
    chat, sources, status, _ = ask(client, "What did the delegates eat for lunch?")
    assert status == ""
    assert said(chat[-1]).startswith("The articles don't say")
    assert "don't answer this" in sources and 'id="psg-1"' in sources
    assert "<mark>" not in sources and 'id="src-' not in sources


def test_too_long_question_is_refused_before_the_engine(client):
    chat, sources, status, box = ask(client, "why " * 600)
    assert chat == [] and "limit is 2,000" in status
    assert box.startswith("why ")                     # the question stays in the box to be shortened


def test_listening_beyond_loopback_needs_auth(monkeypatch, capsys):
    from ui.cli import main
    from rag.settings import Settings
    from ui.app import serve

    monkeypatch.delenv("NEWSRAG_AUTH", raising=False)
    with pytest.raises(NewsragError, match="NEWSRAG_AUTH=user:password"):
        serve(Settings(llm="extractive"), host="0.0.0.0", port=free_port())
    assert main(["chat", "--host", "0.0.0.0", "--llm", "extractive"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "NEWSRAG_AUTH" in err and "Traceback" not in err
    monkeypatch.setenv("NEWSRAG_AUTH", "nopassword")
    with pytest.raises(NewsragError, match="user:password"):
        serve(Settings(llm="extractive"), host="0.0.0.0", port=free_port())


@pytest.mark.parametrize("host, loopback", [("127.0.0.1", True), ("localhost", True), ("::1", True),
                                            ("127.0.0.2", True), ("0.0.0.0", False), ("192.168.1.5", False),
                                            ("example.org", False)])
def test_only_loopback_hosts_go_without_auth(host, loopback):
    from ui.app import is_loopback

    assert is_loopback(host) is loopback


def test_auth_is_user_colon_password():
    from ui.app import parse_auth

    assert parse_auth(None) is None and parse_auth("") is None
    assert parse_auth("ann:s3:cret") == ("ann", "s3:cret")
    for bad in ("ann", "ann:", ":pw"):
        with pytest.raises(NewsragError, match="user:password"):
            parse_auth(bad)


# -- render functions ---------------------------------------------------------------------------
EVIL = '<img src="https://evil.example/x.png" onerror="alert(1)"><script>alert(2)</script>'


def passage(text, start=100, **kw):
    base = dict(source="x.txt", title="A <b>title</b>", date="2025-05-16", outlet="Out<let>", text=text,
                start=start, end=start + len(text), score=0.5)
    base.update(kw)
    return Passage(**base)


def test_article_html_is_escaped_and_the_quote_highlighted():
    text = f"Before. {EVIL} Fidan chaired the talks. After."
    q0 = 100 + text.index("Fidan")
    c = Citation.of(passage(text), 1, (q0, q0 + len("Fidan chaired the talks.")))
    other = passage("Another <i>passage</i>.", start=900)
    a = Answer("q", "Fidan chaired the talks [1].", False, (c,), (c, other))
    html = render.sources_html(a)
    assert "<img" not in html and "<script" not in html and "<b>" not in html and "<i>" not in html
    assert "&lt;img src=&quot;https://evil.example/x.png&quot;" in html
    assert "<mark>Fidan chaired the talks.</mark>" in html
    assert 'id="src-1"' in html and "Out&lt;let&gt;" in html and "2025-05-16" in html
    assert "Other passages retrieved (1)" in html


def test_refusal_lists_closest_passages_without_highlights():
    a = Answer("q", "The articles don't say.", True, (), (passage("One."), passage("Two.", start=500)))
    html = render.sources_html(a)
    assert "don't answer this" in html and 'id="psg-1"' in html and 'id="psg-2"' in html
    assert "<mark>" not in html and "src-" not in html


def test_model_text_is_shown_as_text_with_only_our_links():
    text = (f"{EVIL} ![x](https://evil.example/y.png) [click](https://evil.example) www.evil.example "
            "a@evil.example <https://evil.example> $$x$$ Fidan [1][2] [7].")
    md = render.md_answer(text, 2)
    assert "[\\[1\\]](#src-1)" in md and "[\\[2\\]](#src-2)" in md
    assert "(#src-7)" not in md                       # no citation 7: left as text
    links = re.findall(r"\]\(([^)]*)\)", md)
    assert links == ["#src-1", "#src-2"]
    unlinked = md.replace("[\\[1\\]](#src-1)", "").replace("[\\[2\\]](#src-2)", "")
    assert not re.search(r"(?<!\\)[<>!\[\]()]", unlinked)   # nothing else can form a tag, image or link
    assert render.plain_from_md(md) == text            # and it reads back as what the model wrote


def test_answer_notes_are_quiet_and_dropped_sentences_fold_away_with_why():
    checks = ({"text": "Fidan ate <b>lunch</b>.", "cites": [1], "kept": False, "why": "not in source [1]"},
              {"text": "Fidan chaired.", "cites": [1], "kept": True, "why": None})
    a = Answer("q", "Fidan chaired the talks [1].", False, (), (), checks=checks)
    md = render.answer_md(a)
    assert "Some sentences were dropped because the sources don't support them." in render.notes(a)
    assert "lunch" not in md                                   # the sentence itself is folded away...
    why = render.why_message(a)
    assert why["metadata"]["status"] == "done" and "Dropped from the draft (1)" in why["metadata"]["title"]
    assert "lunch" in why["content"] and "not in source" in why["content"] and "Fidan chaired" not in why["content"]
    assert not re.search(r"(?<!\\)[<>]", why["content"])      # ...shown as text, no HTML
    assert render.history_from_chat([why]) == []               # and never handed to the engine as history
    assert render.plain_from_md(md) == "Fidan chaired the talks [1]."
    assert render.why_message(Answer("q", "x", False, (), (), checks=checks[1:])) is None


def test_fallback_notice_and_reason_show_under_the_answer():
    a = Answer("q", "Fidan chaired the talks [1].", False, (), (), fallback=True, reason="the draft named no source",
               notice="the LLM's answer did not pass verification; answer quoted from sources")
    lines = render.notes(a)
    assert "Why: the draft named no source" in lines
    assert lines[-1] == "The LLM's answer did not pass verification; answer quoted from sources."
    assert not re.search(r"(?<!\\)[<>]", re.sub(r"(?m)^> ?", "", render.answer_md(a)))
    plain = Answer("q", "x", False, (), (), fallback=True)
    assert render.notes(plain) == ["Quoted because the model's answer could not be verified."]


def test_history_reads_back_from_gradio_messages():
    chat = [{"role": "user", "content": [{"type": "text", "text": render.md_text("Who led Ukraine's team?")}]},
            {"role": "assistant", "content": render.md_answer("Rustem Umerov [1].", 1) + "\n\n> Read as: x"},
            {"role": "assistant", "content": "thinking", "metadata": {"title": "tool"}}]
    assert render.history_from_chat(chat) == [("user", "Who led Ukraine's team?"),
                                               ("assistant", "Rustem Umerov [1].")]
