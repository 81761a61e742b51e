"""What the chat page shows: answers as safe Markdown for the chat, sources as safe HTML.

Pure functions over rag's Answer, Citation and Passage, with no Gradio in them, so they are
cheap to test. Nothing from an article or a model is trusted: the model's words are shown as
text (every ASCII punctuation mark backslash-escaped, so no HTML, image, link or autolink can
form; the only links are our own `[n]` -> `#src-n`), and article text is HTML-escaped.

The export (`conversation_md`) is a Markdown file for the user to keep: plain text, with
no tag from an article or a model that a Markdown viewer would render.

The chat doubles as the conversation history: `history_from_chat` reads the displayed
messages back into the plain `[(role, text), ...]` the engine takes, so what the user sees
is what the engine is given, and clearing the chat clears the history.
"""
from __future__ import annotations

import re
from html import escape

# Every ASCII punctuation character: CommonMark lets each be backslash-escaped, and escaping
# all of them (not a chosen few) also defeats autolinks such as www.x.com or a@b.org.
_PUNCT = re.compile(r"([!-/:-@\[-`{-~])")
_UNESCAPE = re.compile(r"\\([!-/:-@\[-`{-~])")
_MARKER = re.compile(r"\\\[(\d+)\\\]")                  # an escaped [n]
_LINKED = re.compile(r"\[\\\[(\d+)\\\]\]\(#src-\d+\)")  # [n] as we link it
_NOTES = "\n\n> "      # notes follow the answer as a blockquote; escaped text never holds an unescaped ">"

EMPTY_SOURCES = ('<div class="nr-empty">Ask a question: the passages the answer rests on appear here, '
                 'with the quoted words highlighted.</div>')


# -- the chat (Markdown) -----------------------------------------------------------------------
def md_text(text: str) -> str:
    """Untrusted text as Markdown that renders as exactly that text."""
    lines = (line.strip() for line in str(text).replace("\r", "").split("\n"))
    return _PUNCT.sub(r"\\\1", "\n".join(lines)).strip()


def md_answer(text: str, n_citations: int) -> str:
    """The answer as text, its `[n]` markers linked to the sources panel (`#src-n`)."""
    def link(m: re.Match) -> str:
        n = int(m.group(1))
        return f"[\\[{n}\\]](#src-{n})" if 1 <= n <= n_citations else m.group(0)

    return _MARKER.sub(link, md_text(text))


def dropped(answer) -> list[tuple[str, str]]:
    """The draft sentences verification dropped, each with why: [(sentence, why), ...]."""
    out = []
    for check in answer.checks or ():
        if not check.get("kept"):
            out.append((str(check.get("text") or "").strip(), str(check.get("why") or "not supported by its source")))
    return out


def notes(answer) -> list[str]:
    """Plain-text lines under the answer: how a follow-up was understood, why it refused (or fell
    back) and what came closest, and one quiet notice about the checking. The dropped sentences
    themselves go in the folded `why_message`."""
    out = []
    if answer.standalone_question:
        out.append(f"Understood as: \u201c{answer.standalone_question}\u201d")
    reason = getattr(answer, "reason", None)
    if reason and (answer.refused or answer.fallback):
        out.append(f"Why: {reason}")
    closest = getattr(answer, "closest", None)
    if answer.refused and closest is not None:
        out.append(f"Closest, does not answer: \u201c{closest.title or closest.source}\u201d ({_where(closest)})")
    notice = answer.notice
    if not notice and answer.fallback:
        notice = "quoted because the model's answer could not be verified"
    if not notice and dropped(answer):
        notice = "some sentences were dropped because the sources don't support them"
    if notice:
        out.append(notice[:1].upper() + notice[1:].rstrip(".") + ".")
    return out


def answer_md(answer) -> str:
    """An assistant turn: the verified answer with linked markers, then its notes."""
    body = md_answer(answer.text, len(answer.citations))
    lines = notes(answer)
    if not lines:
        return body
    return body + _NOTES + "\n>\n> ".join(md_text(line) for line in lines)


def why_message(answer) -> dict | None:
    """The folded block under an answer (a Gradio chat message with a metadata title): each
    draft sentence verification dropped, and why. None when nothing was dropped."""
    gone = dropped(answer)
    if not gone:
        return None
    items = [f"- \u201c{md_text(said)}\u201d: {md_text(why)}" if said else f"- {md_text(why)}" for said, why in gone]
    return {"role": "assistant", "content": "\n".join(items),
            "metadata": {"title": f"Dropped from the draft ({len(gone)}): why", "status": "done"}}


def draft_md(draft: str) -> str:
    """The LLM's draft while it writes (its [n] are not yet ours, so they are not linked)."""
    note = "_Draft: being checked against the sources\u2026_"
    return (md_text(draft) + " \u258d" + _NOTES + note) if draft.strip() else ("\u2026" + _NOTES + note)


SEARCHING_MD = "\u2026" + _NOTES + "_Finding the passages and drafting an answer\u2026_"


def plain_from_md(md) -> str:
    """The text behind a chat message we rendered (or typed by a client): notes dropped,
    links and escapes undone."""
    md = _content_text(md)
    if md.startswith("> "):
        return ""
    md = md.split(_NOTES, 1)[0]
    md = _LINKED.sub(lambda m: f"[{m.group(1)}]", md)
    return _UNESCAPE.sub(r"\1", md).strip()


def history_from_chat(messages) -> list[tuple[str, str]]:
    """The chat's messages (Gradio's dicts, or ChatMessage-like objects) as [(role, text), ...]."""
    out = []
    for m in messages or ():
        role = m.get("role") if isinstance(m, dict) else getattr(m, "role", None)
        content = m.get("content") if isinstance(m, dict) else getattr(m, "content", None)
        meta = m.get("metadata") if isinstance(m, dict) else getattr(m, "metadata", None)
        if role not in ("user", "assistant") or (meta and meta.get("title")):
            continue
        text = plain_from_md(content)
        if text:
            out.append((role, text))
    return out


def _content_text(content) -> str:
    """A message's text, whichever shape Gradio hands it over in."""
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    if isinstance(content, dict):
        return str(content.get("text") or "") if content.get("type", "text") == "text" else ""
    if isinstance(content, (list, tuple)):
        return "\n".join(t for t in (_content_text(c) for c in content) if t)
    return ""


# -- the sources panel (HTML) ------------------------------------------------------------------
PENDING_TAG = "retrieved, not yet cited"
CLOSEST_TAG = "closest, does not answer"


def retrieved_html(passages) -> str:
    """The sources panel as soon as retrieval is done, while the answer is written: every
    passage found, best first, each marked as retrieved and not yet cited."""
    passages = tuple(passages or ())
    if not passages:
        return '<div class="nr-empty">No passage was found for this question.</div>'
    parts = [f'<div class="nr-heading">Passages found ({len(passages)}) '
             f'<span class="nr-sub">\u00b7 {PENDING_TAG}; the answer is being written</span></div>']
    parts += [_passage(p, f"psg-{i}", "\u00b7", tag=PENDING_TAG, cls="nr-pending")
              for i, p in enumerate(passages, start=1)]
    return "".join(parts)


def sources_html(answer) -> str:
    """The sources panel for the latest answer: each cited passage with its quote highlighted,
    anchored `src-n`, the other passages folded away; for a refusal, the reason, the closest
    passage (which does not answer) and the rest folded."""
    if answer is None:
        return EMPTY_SOURCES
    if answer.refused:
        return _refusal_html(answer)
    cited = {(c.source, c.start, c.end) for c in answer.citations}
    parts = [f'<div class="nr-heading">Sources cited ({len(answer.citations)})</div>']
    parts += [_passage(c, f"src-{c.n}", str(c.n), (c.quote_start, c.quote_end)) for c in answer.citations]
    others = [p for p in answer.passages if (p.source, p.start, p.end) not in cited]
    parts.append(_folded(others))
    return "".join(parts)


def _refusal_html(answer) -> str:
    reason = getattr(answer, "reason", None)
    closest = getattr(answer, "closest", None)
    why = f' <span class="nr-reason">Why: {escape(reason)}</span>' if reason else ""
    if closest is not None:
        lead = "What came closest is below; it does not answer the question."
    elif answer.passages:
        lead = "The closest passages are below; none of them answers the question."
    else:
        lead = "No passage was close enough to show."
    parts = [f'<div class="nr-refused"><strong>The articles don\'t answer this.</strong>{why} '
             f'<span class="nr-lead">{lead}</span></div>']
    if closest is None:
        parts += [_passage(p, f"psg-{i}", str(i)) for i, p in enumerate(answer.passages, start=1)]
        return "".join(parts)
    tag = f"{CLOSEST_TAG} \u00b7 {closest.date or 'undated'}"
    parts.append(_passage(closest, "closest", "\u2248", (closest.quote_start, closest.quote_end), tag=tag,
                          cls="nr-closest"))
    key = (closest.source, closest.start, closest.end)
    parts.append(_folded([p for p in answer.passages if (p.source, p.start, p.end) != key]))
    return "".join(parts)


def _folded(others) -> str:
    if not others:
        return ""
    items = "".join(_passage(p, f"psg-{i}", "\u00b7") for i, p in enumerate(others, start=1))
    return (f'<details class="nr-others"><summary>Other passages retrieved ({len(others)})</summary>'
            f'{items}</details>')


def _where(p) -> str:
    return " \u00b7 ".join(x for x in (p.outlet or p.source, p.date, p.source if p.outlet else None) if x)


def _passage(p, anchor: str, label: str, quote: tuple[int | None, int | None] = (None, None), *,
             tag: str | None = None, cls: str = "") -> str:
    text = p.text
    q0, q1 = quote
    if q0 is not None and q1 is not None:
        a, b = max(0, q0 - p.start), min(len(text), q1 - p.start)
    else:
        a = b = 0
    if a < b:
        body = f"{escape(text[:a])}<mark>{escape(text[a:b])}</mark>{escape(text[b:])}"
    else:
        body = escape(text)
    badge = f'<span class="nr-tag">{escape(tag)}</span>' if tag else ""
    return (f'<article class="nr-src {escape(cls)}" id="{escape(anchor)}">'
            f'<div class="nr-title"><span class="nr-n">{escape(label)}</span>{escape(p.title or p.source)}</div>'
            f'<div class="nr-meta">{escape(_where(p))}{badge}</div>'
            f'<p class="nr-text">{body}</p></article>')


# -- export (Markdown file) --------------------------------------------------------------------
def conversation_md(turns, when: str = "") -> str:
    """The conversation as a Markdown document: each question, its answer and notes, and the
    sources it cites (title, source, date and the quoted span). `turns` is [(question, Answer)]."""
    out = ["# newsrag conversation", ""]
    if when:
        out += [f"Exported {when}.", ""]
    for i, (question, a) in enumerate(turns, start=1):
        out += [f"## {i}. {_one_line(question)}", "", _one_line(a.text), ""]
        out += [f"_{line}_" for line in notes(a)] + ([""] if notes(a) else [])
        for said, why in dropped(a):
            out.append(f"- dropped from the draft: \u201c{_one_line(said)}\u201d ({_one_line(why)})")
        if dropped(a):
            out.append("")
        if a.citations:
            out += ["Sources:", ""]
            for c in a.citations:
                quote = c.text if c.quote_start is None else c.text[c.quote_start - c.start:c.quote_end - c.start]
                meta = ", ".join(x for x in (c.outlet, c.source, c.date or "undated") if x)
                out += [f"[{c.n}] {_one_line(c.title or c.source)} ({meta})", "",
                        f"> {_one_line(quote)}", ""]
        closest = getattr(a, "closest", None)
        if a.refused and closest is not None:
            meta = ", ".join(x for x in (closest.outlet, closest.source, closest.date or "undated") if x)
            out += [f"Closest, does not answer: {_one_line(closest.title or closest.source)} ({meta})", "",
                    f"> {_one_line(closest.text)}", ""]
        out.append(f"_answered by {_one_line(a.llm)}_")
        out.append("")
    return "\n".join(out).rstrip() + "\n"


def _one_line(text) -> str:
    """Untrusted text on one line, with no tag a Markdown viewer could render."""
    return " ".join(str(text or "").split()).replace("<", "\\<")


def info_md(info: dict | None, error: str | None = None) -> str:
    """One line under the title: which LLM answers, which index it reads."""
    if error:
        return md_text(f"Index not available: {error}")
    if not info:
        return ""
    return (f"**LLM** {md_text(info.get('llm', '?'))} \u00b7 **Index** {md_text(info.get('store', '?'))} "
            f"\u00b7 {int(info.get('articles', 0)):,} articles, {int(info.get('chunks', 0)):,} passages")
