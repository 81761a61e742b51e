"""What the chat page shows: answers as safe Markdown for the chat, sources as safe HTML.

Pure functions over rag's Answer, Citation and Passage, with no Gradio in them, so they are
cheap to test. Nothing from an article or a model is trusted: the model's words are shown as
text (every ASCII punctuation mark backslash-escaped, so no HTML, image, link or autolink can
form; the only links are our own `[n]` -> `#src-n`), and article text is HTML-escaped.

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


def notes(answer) -> list[str]:
    """Plain-text lines about how the answer was checked: fallback, dropped sentences, rewrite."""
    out = []
    if answer.standalone_question:
        out.append(f"Read as: \u201c{answer.standalone_question}\u201d")
    for check in answer.checks or ():
        if check.get("kept"):
            continue
        said, why = str(check.get("text") or "").strip(), str(check.get("why") or "not supported")
        out.append(f"Dropped \u201c{said}\u201d: {why}" if said else f"Dropped: {why}")
    notice = answer.notice or ("the LLM's answer could not be verified; answer quoted from sources"
                               if answer.fallback else None)
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
def sources_html(answer) -> str:
    """The sources panel for the latest answer: each cited passage with its quote highlighted,
    anchored `src-n`; for a refusal, the closest passages."""
    if answer is None:
        return EMPTY_SOURCES
    if answer.refused:
        head = ('<div class="nr-refused"><strong>The articles don\'t answer this.</strong> '
                + ('The closest passages are below; none of them answers the question.</div>'
                   if answer.passages else 'No passage was close enough to show.</div>'))
        items = [_passage(p, f"psg-{i}", str(i)) for i, p in enumerate(answer.passages, start=1)]
        return head + "".join(items)
    cited = {(c.source, c.start, c.end) for c in answer.citations}
    parts = [f'<div class="nr-heading">Sources cited ({len(answer.citations)})</div>']
    parts += [_passage(c, f"src-{c.n}", str(c.n), (c.quote_start, c.quote_end)) for c in answer.citations]
    others = [p for p in answer.passages if (p.source, p.start, p.end) not in cited]
    if others:
        parts.append(f'<details class="nr-others"><summary>Other passages retrieved ({len(others)})</summary>')
        parts += [_passage(p, f"psg-{i}", "\u00b7") for i, p in enumerate(others, start=1)]
        parts.append("</details>")
    return "".join(parts)


def _passage(p, anchor: str, label: str, quote: tuple[int | None, int | None] = (None, None)) -> str:
    where = [p.outlet or p.source]
    if p.date:
        where.append(p.date)
    if p.outlet:
        where.append(p.source)
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
    meta = " \u00b7 ".join(escape(w) for w in where)
    return (f'<article class="nr-src" id="{escape(anchor)}">'
            f'<div class="nr-title"><span class="nr-n">{escape(label)}</span>{escape(p.title or p.source)}</div>'
            f'<div class="nr-meta">{meta}</div>'
            f'<p class="nr-text">{body}</p></article>')


def info_md(info: dict | None, error: str | None = None) -> str:
    """One line under the title: which LLM answers, which index it reads."""
    if error:
        return md_text(f"Index not available: {error}")
    if not info:
        return ""
    return (f"**LLM** {md_text(info.get('llm', '?'))} \u00b7 **Index** {md_text(info.get('store', '?'))} "
            f"\u00b7 {int(info.get('articles', 0)):,} articles, {int(info.get('chunks', 0)):,} passages")
