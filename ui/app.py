"""The chat page: Gradio Blocks over one `rag.Engine`, and `serve` for `newsrag chat`.

`build_app(engine)` lays out the page (chat, sources panel, examples) and wires it to
`engine.stream`; `launch(app, ...)` starts it with newsrag's choices (bounded queue, no
analytics, no share link, styling); `serve(settings, host, port)` is the command's entry:
it refuses to listen beyond loopback without a sign-in (`settings.auth`, from NEWSRAG_AUTH),
builds and warms the engine, then serves until interrupted. The example questions come from
the indexed folder (`example_questions`), never from code. Nothing here builds an engine or
loads a model at import; what the page shows is rendered by the pure functions in `ui.render`.
"""
from __future__ import annotations

import ipaddress
import json
import logging
import os
from pathlib import Path

from rag import NewsragError

from . import render

log = logging.getLogger("newsrag.ui")

EXAMPLES_FILE = "examples.json"   # beside the articles: a JSON list of example questions for this folder
EXAMPLES_SHOWN = 5       # a row the page can show without scrolling
QUEUE_SIZE = 32          # waiting requests beyond this get Gradio's "busy, try again" message
CONCURRENCY = 1          # one answer at a time: the local LLM uses every core it is given
GENERIC_FAILURE = "Something went wrong while answering; the details are in the server's log. Please try again."

CSS = """
.gradio-container { max-width: 1280px !important; margin: 0 auto !important; }
#nr-header h1 { margin: 0 0 2px 0; font-size: 1.6rem; }
#nr-header p { margin: 0; color: var(--body-text-color-subdued); }
#nr-info { font-size: 0.85rem; color: var(--body-text-color-subdued); }
#nr-info p { margin: 0; }
#nr-status p { margin: 4px 2px; color: var(--error-text-color, #b91c1c); }
#nr-chat blockquote { font-size: 0.85em; color: var(--body-text-color-subdued); margin: 0.6em 0 0 0;
                      padding-left: 0.7em; border-left: 3px solid var(--border-color-primary); }
#nr-chat a[href^="#src-"] { text-decoration: none; font-size: 0.85em; font-weight: 600;
                            color: var(--color-accent) !important; }
"""

SOURCES_CSS = """
.nr-empty { color: var(--body-text-color-subdued); padding: 12px 4px; font-size: 0.95rem; }
.nr-heading { font-weight: 600; font-size: 0.95rem; margin: 2px 0 8px 2px; }
.nr-refused { background: var(--background-fill-secondary); border-left: 4px solid #d97706;
              padding: 10px 12px; margin-bottom: 10px; border-radius: 6px; font-size: 0.95rem; }
.nr-src { border: 1px solid var(--border-color-primary); border-radius: 8px; padding: 10px 12px;
          margin-bottom: 10px; background: var(--background-fill-primary); scroll-margin-top: 12px; }
.nr-src:target { box-shadow: 0 0 0 2px var(--color-accent); }
.nr-title { font-weight: 600; font-size: 0.95rem; line-height: 1.35; }
.nr-n { display: inline-block; min-width: 1.5em; padding: 0 6px; margin-right: 6px; border-radius: 10px;
        background: var(--color-accent-soft); color: var(--color-accent); text-align: center; font-size: 0.8rem; }
.nr-meta { color: var(--body-text-color-subdued); font-size: 0.8rem; margin: 3px 0 6px 0; }
.nr-text { font-size: 0.9rem; line-height: 1.5; white-space: pre-line; margin: 0; }
.nr-text mark { background: #fde68a; color: inherit; padding: 0 1px; border-radius: 2px; }
.nr-others summary { cursor: pointer; color: var(--body-text-color-subdued); font-size: 0.9rem; margin: 6px 0; }
"""


def _gradio():
    """Gradio, imported with its analytics off (the variable must be set before the import)."""
    os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"
    import gradio

    return gradio


def example_questions(folder: Path | None, articles: list[dict], n: int = EXAMPLES_SHOWN) -> list[tuple[str, str]]:
    """(label, question) pairs for the page, from the indexed folder: the questions listed in
    its `examples.json` when it has one, else one question per article (newest first), shown
    as "Ask about: TITLE"."""
    path = Path(folder) / EXAMPLES_FILE if folder else None
    if path is not None and path.is_file():
        try:
            listed = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            log.warning("ignoring %s: %s", path, exc)
            listed = None
        if isinstance(listed, list):
            questions = [q.strip() for q in listed if isinstance(q, str) and q.strip()]
            return [(q, q) for q in questions[:n]]
    titles = [a["title"] for a in articles if a.get("title")]
    return [(f"Ask about: {t}", f"What do the articles report about {t.rstrip('.?!')}?") for t in titles[:n]]


def build_app(engine):
    """The chat page over `engine` (an Engine, or anything with `stream`, `info`, `articles`
    and `settings`)."""
    gr = _gradio()
    limit = engine.settings.max_question_chars
    try:
        info = engine.info()
        header_info = render.info_md(info)
        examples_shown = example_questions(info.get("source") or engine.settings.source_path(), engine.articles())
    except NewsragError as exc:
        header_info = render.info_md(None, str(exc))
        examples_shown = []

    def respond(question, chat):
        """One turn: the draft as the LLM writes it, then the verified answer and its sources.
        Yields (chat, sources, status, question box)."""
        question = question or ""
        chat = list(chat or [])
        if not question.strip():
            yield chat, gr.skip(), "Type a question about the articles first.", question
            return
        if len(question) > limit:
            yield (chat, gr.skip(), f"The question is {len(question):,} characters; the limit is {limit:,}. "
                   "Please ask something shorter.", question)
            return
        history = render.history_from_chat(chat)
        turn = chat + [{"role": "user", "content": render.md_text(question)},
                       {"role": "assistant", "content": render.SEARCHING_MD}]
        yield turn, gr.skip(), "", ""
        answer, draft = None, ""
        try:
            for event in engine.stream(question, history):
                if isinstance(event, str):
                    draft += event
                    turn[-1] = {"role": "assistant", "content": render.draft_md(draft)}
                    yield turn, gr.skip(), "", ""
                else:
                    answer = event
        except NewsragError as exc:
            yield chat, gr.skip(), render.md_text(str(exc)), question
            return
        except Exception:
            log.exception("answering %r failed", question[:200])
            yield chat, gr.skip(), GENERIC_FAILURE, question
            return
        if answer is None:
            log.error("the engine finished without an answer for %r", question[:200])
            yield chat, gr.skip(), GENERIC_FAILURE, question
            return
        turn[-1] = {"role": "assistant", "content": render.answer_md(answer)}
        yield turn, render.sources_html(answer), "", ""

    def clear():
        return [], render.EMPTY_SOURCES, "", ""

    with gr.Blocks(title="newsrag", analytics_enabled=False) as app:
        gr.Markdown("# newsrag\nAsk about the news articles. Every answer is checked against the passages "
                    "it cites, shown on the right.", elem_id="nr-header")
        gr.Markdown(header_info, elem_id="nr-info")
        with gr.Row(equal_height=False):
            with gr.Column(scale=3, min_width=360):
                chat = gr.Chatbot(label="Conversation", elem_id="nr-chat", height=480, latex_delimiters=[],
                                  sanitize_html=True, allow_tags=False, render_markdown=True,
                                  feedback_options=None, buttons=["copy"], allow_file_downloads=False,
                                  placeholder="Answers appear here, with [n] markers that point to the "
                                              "sources on the right.")
                with gr.Row(equal_height=True):
                    question = gr.Textbox(label="question", show_label=False, lines=1,
                                          placeholder="Ask a question about the articles\u2026", max_lines=4,
                                          scale=6, autofocus=True, elem_id="nr-question")
                    ask = gr.Button("Ask", variant="primary", scale=1, min_width=80, elem_id="nr-ask")
                    clear_btn = gr.Button("Clear", variant="secondary", size="sm", scale=0, min_width=70,
                                          elem_id="nr-clear")
                status = gr.Markdown(label="status", elem_id="nr-status")
                examples = gr.Examples([[q] for _, q in examples_shown] or [[""]], inputs=[question],
                                       example_labels=[label for label, _ in examples_shown] or None,
                                       label="Examples", elem_id="nr-examples", visible=bool(examples_shown))
            with gr.Column(scale=2, min_width=320):
                sources = gr.HTML(render.EMPTY_SOURCES, label="Sources", show_label=False, elem_id="nr-sources",
                                  css_template=SOURCES_CSS, max_height=680, container=False)

        on_ask = dict(fn=respond, inputs=[question, chat], outputs=[chat, sources, status, question],
                      concurrency_id="engine", concurrency_limit=CONCURRENCY, show_progress="minimal",
                      show_progress_on=[status])
        question.submit(**on_ask, api_name="ask")
        ask.click(**on_ask, api_visibility="private")
        examples.load_input_event.then(**on_ask, api_visibility="private")
        clear_btn.click(clear, outputs=[chat, sources, status, question], queue=False, api_visibility="private")
        chat.clear(clear, outputs=[chat, sources, status, question], queue=False, api_visibility="private")
    app.queue(max_size=QUEUE_SIZE, default_concurrency_limit=CONCURRENCY)
    return app


def launch(app, host: str = "127.0.0.1", port: int = 7860, *, auth: tuple[str, str] | None = None,
           block: bool = True, quiet: bool = False):
    """Start `app` the way newsrag serves it: no share link, no analytics, no run history kept in
    the browser, no server-side rendering (which would need Node)."""
    gr = _gradio()
    try:
        return app.launch(server_name=host, server_port=port, auth=auth, prevent_thread_lock=not block,
                          share=False, show_error=False, quiet=quiet, footer_links=[], run_history=False,
                          ssr_mode=False, mcp_server=False, pwa=False, enable_monitoring=False,
                          theme=gr.themes.Default(primary_hue="blue", neutral_hue="slate"), css=CSS,
                          auth_message="newsrag: sign in with the user and password set in NEWSRAG_AUTH.")
    except OSError as exc:
        raise NewsragError(f"cannot listen on {host}:{port} ({exc}): pass another --port") from None


def is_loopback(host: str) -> bool:
    if host.strip().lower() in ("localhost", "localhost.localdomain"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def parse_auth(raw: str | None) -> tuple[str, str] | None:
    """"user:password" (Settings.auth, from NEWSRAG_AUTH) -> (user, password); unset -> None."""
    if raw is None or raw == "":
        return None
    user, sep, password = raw.partition(":")
    if not sep or not user or not password:
        raise NewsragError("NEWSRAG_AUTH must look like user:password (both parts non-empty)")
    return user, password


def serve(settings, host: str = "127.0.0.1", port: int = 7860) -> int:
    """`newsrag chat`: serve the chat page until interrupted. Beyond loopback, a password is required."""
    auth = parse_auth(settings.auth)
    if auth is None and not is_loopback(host):
        raise NewsragError(f"listening on {host} makes the chat reachable from other machines: set "
                           "NEWSRAG_AUTH=user:password to require a sign-in, or use --host 127.0.0.1")
    from rag import Engine

    engine = Engine(settings)
    engine.warm_up()
    launch(build_app(engine), host, port, auth=auth)
    return 0
