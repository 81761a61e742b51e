"""What the page renders for the new states: passages found before the answer, refusals with
their reason and closest passage, follow-ups understood, and the Markdown export."""
from __future__ import annotations

import re

from rag.types import Answer, Citation, Passage
from ui import render

EVIL = '<img src=x onerror="alert(1)"><script>alert(2)</script>'


def passage(text, start=100, source="x.txt", date="2025-05-16", **kw):
    base = dict(source=source, title=f"Title of {source}", date=date, outlet=None, text=text, start=start,
                end=start + len(text), score=0.5)
    base.update(kw)
    return Passage(**base)


def test_passages_found_are_listed_as_retrieved_not_yet_cited():
    found = (passage(f"One {EVIL}."), passage("Two.", start=500, source="y.txt"))
    html = render.retrieved_html(found)
    assert "Passages found (2)" in html
    assert html.count("retrieved, not yet cited") == 3        # the heading and each passage
    assert 'id="psg-1"' in html and 'id="psg-2"' in html and html.index("One") < html.index("Two.")
    assert "<mark>" not in html and 'id="src-' not in html    # nothing is cited yet
    assert "<img" not in html and "<script" not in html and "&lt;script&gt;" in html
    assert "No passage was found" in render.retrieved_html(())


def test_refusal_shows_reason_and_closest_passage_with_its_date_the_rest_folded():
    near = passage("The 2019 final was played in Ostby.", source="cup_2019.txt", date="2019-06-02")
    other = passage("Unrelated.", start=900, source="z.txt")
    closest = Citation.of(near, 0)
    a = Answer("Who won in 2020?", "The articles don't say.", True, (), (near, other),
               reason="no passage is about 2020 <b>", closest=closest)
    html = render.sources_html(a)
    assert "don't answer this" in html and "Why: no passage is about 2020 &lt;b&gt;" in html
    card = re.search(r'<article class="nr-src nr-closest" id="closest">.*?</article>', html, re.S).group(0)
    assert "closest, does not answer" in card and "2019-06-02" in card and "Ostby" in card
    folded = html[html.index("<details"):]
    assert "Unrelated." in folded and "Ostby" not in folded       # the closest one is not listed twice
    assert html.index('id="closest"') < html.index("<details")
    lines = render.notes(a)
    assert "Why: no passage is about 2020 <b>" in lines
    assert any(line.startswith("Closest, does not answer:") and "2019-06-02" in line for line in lines)
    undated = Answer("q", "x", True, (), (near,), closest=Citation.of(passage("A.", date=None), 0))
    assert "closest, does not answer \u00b7 undated" in render.sources_html(undated)


def test_refusal_without_a_closest_passage_lists_what_was_retrieved():
    a = Answer("q", "The articles don't say.", True, (), (passage("One."),))
    html = render.sources_html(a)
    assert "none of them answers" in html and 'id="psg-1"' in html and "closest, does not answer" not in html
    assert "Why:" not in html


def test_follow_up_answer_says_how_it_was_understood():
    a = Answer("And the other side?", "Medinsky [1].", False, (), (),
               standalone_question="Who headed Russia's delegation?")
    md = render.answer_md(a)
    assert "Understood as" in md and "Russia" in md
    assert render.plain_from_md(md) == "Medinsky [1]."


def test_answer_replaces_the_pending_list_cited_first_with_spans():
    text = "Intro. Fidan chaired the talks. More."
    p = passage(text)
    q0 = 100 + text.index("Fidan")
    c = Citation.of(p, 1, (q0, q0 + len("Fidan chaired the talks.")))
    other = passage("Other.", start=700, source="o.txt")
    html = render.sources_html(Answer("q", "Fidan [1].", False, (c,), (other, p)))
    assert html.index('id="src-1"') < html.index("<details") < html.index("Other.")
    assert "<mark>Fidan chaired the talks.</mark>" in html and "not yet cited" not in html


def test_conversation_exports_as_markdown_with_source_date_and_quoted_span():
    text = "Intro. Fidan chaired the talks. More."
    q0 = 100 + text.index("Fidan")
    c = Citation.of(passage(text, source="a.txt"), 1, (q0, q0 + len("Fidan chaired the talks.")))
    first = Answer("Who chaired?", "Fidan chaired [1].", False, (c,), (c,), llm="extractive")
    near = Citation.of(passage("The 2019 final.", source="cup.txt", date="2019-06-02"), 0)
    second = Answer("Who won in 2020?", "The articles don't say.", True, (), (), reason="no 2020 passage",
                    closest=near, checks=({"text": "Bad <b>claim</b>.", "kept": False, "why": "unsupported"},))
    md = render.conversation_md([("Who chaired?", first), ("Who won in 2020?", second)], "2026-01-01 10:00 UTC")
    assert md.startswith("# newsrag conversation")
    assert "## 1. Who chaired?" in md and "## 2. Who won in 2020?" in md
    assert "[1] Title of a.txt (a.txt, 2025-05-16)" in md and "> Fidan chaired the talks." in md
    assert "Intro." not in md                                    # the quoted span, not the whole passage
    assert "Why: no 2020 passage" in md and "Closest, does not answer" in md and "2019-06-02" in md
    assert "dropped from the draft" in md and "claim" in md
    assert not re.search(r"(?<!\\)<", md)                        # no tag a Markdown viewer would render
