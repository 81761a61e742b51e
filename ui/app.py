"""The chat page: Gradio Blocks over one `rag.Engine`, and `serve` for `newsrag chat`.

`build_app(engine)` lays out the page (chat, sources panel, examples, feedback, adding
articles, export) and wires it to `engine.events` (or `engine.stream`, for an engine without
it): the passages found fill the sources panel as soon as retrieval is done, the draft
streams into the chat, and the verified answer replaces both. `launch(app, ...)` starts it
with newsrag's choices (bounded queue, no analytics, no share link, styling); `serve(settings,
host, port)` is the command's entry: it refuses to listen beyond loopback without a sign-in
(`settings.auth`, from NEWSRAG_AUTH), builds and warms the engine, then serves until
interrupted. The example questions come from the indexed folder (`example_questions`), never
from code. Articles added on the page (`add_articles`) are copied into the indexed folder and
indexed incrementally, with `newsrag index`'s limits; this is refused when the page does not
own the store (a Chroma server) or is served beyond loopback without a sign-in. Nothing here
builds an engine or loads a model at import; what the page shows is rendered by the pure
functions in `ui.render`, and feedback is written by `ui.feedback`.
"""
from __future__ import annotations

import ipaddress
import json
import logging
import os
import tempfile
import uuid
from datetime import datetime, timezone
from pathlib import Path

from rag import Answer, NewsragError, Retrieved

from . import render
from .feedback import FeedbackLog, record

log = logging.getLogger("newsrag.ui")

EXAMPLES_FILE = "examples.json"   # beside the articles: a JSON list of example questions for this folder
EXAMPLES_SHOWN = 5       # a row the page can show without scrolling
QUEUE_SIZE = 32          # waiting requests beyond this get Gradio's "busy, try again" message
CONCURRENCY = 1          # one answer at a time: the local LLM uses every core it is given
UPLOAD_INDEX_WAIT_S = 60  # how long an upload waits for another indexer before giving up
GENERIC_FAILURE = "Something went wrong while answering; the details are in the server's log. Please try again."
FINDING_SOURCES = '<div class="nr-empty">Finding the passages\u2026</div>'

STYLES = Path(__file__).resolve().parent    # page.css (the page) and sources.css (the sources panel)


def stylesheet(name: str) -> str:
    return (STYLES / name).read_text(encoding="utf-8")


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


# -- adding articles ---------------------------------------------------------------------------
def upload_refusal(engine, host: str = "127.0.0.1", auth=None) -> str | None:
    """Why this page may not add articles, or None when it may: not when anyone who reaches
    the page could (served beyond loopback without a sign-in), and not into a Chroma server,
    whose articles belong to whoever runs `newsrag index` against it."""
    spec = getattr(getattr(engine, "store", None), "spec", None)
    if getattr(spec, "kind", None) == "http":
        return (f"Adding articles is off here: the index is a Chroma server ({spec}) that this page does not "
                "own; add files to its folder and run `newsrag index` against it.")
    if auth is None and not is_loopback(host):
        return ("Adding articles is off here: the page is served beyond this machine without a sign-in; "
                "set NEWSRAG_AUTH=user:password to allow it.")
    return None


def indexed_folder(engine) -> Path:
    """The folder the store was built from (its manifest), else the settings' source."""
    try:
        recorded = engine.store.manifest().get("newsrag_source")
    except NewsragError:
        recorded = None
    return Path(recorded) if recorded else engine.settings.source_path()


def add_articles(engine, files) -> str:
    """Copy uploaded files (paths whose names are the names the user gave them) into the
    indexed folder and index it incrementally, as `newsrag index` would. Returns one line for
    the user: what was added, what was refused and why. A file of the same name but other
    bytes is refused (rename it), never overwritten; nothing is copied when indexing fails."""
    from index.articles import SUFFIXES, read_article
    from index.indexer import index_folder

    folder = indexed_folder(engine)
    if not folder.is_dir():
        raise NewsragError(f"the indexed folder {folder} is missing: articles cannot be added to it")
    refused, accepted, same = [], [], []
    for raw in files or ():
        path = Path(raw)
        name = path.name.lstrip(".") or "article.txt"
        if path.suffix.lower() not in SUFFIXES:
            refused.append(f"{name}: only .txt, .md and .html files are indexed")
            continue
        try:
            read_article(path, name)          # the same limits and checks as `newsrag index`
        except (OSError, ValueError) as exc:
            refused.append(f"{name}: {exc}")
            continue
        target = folder / name
        if target.exists():
            if target.read_bytes() == path.read_bytes():
                same.append(name)
            else:
                refused.append(f"{name}: another article of that name is already indexed; rename the file")
            continue
        accepted.append((path, target))
    copied = []
    try:
        for path, target in accepted:
            part = target.with_name(f".{target.name}.{uuid.uuid4().hex[:8]}.part")   # hidden: never indexed
            part.write_bytes(path.read_bytes())
            os.replace(part, target)
            copied.append(target)
        report = None
        if copied:
            s = engine.settings
            report = index_folder(folder, engine.store, engine.embedder, size=s.chunk_size,
                                  overlap=s.chunk_overlap, progress=False, wait=UPLOAD_INDEX_WAIT_S)
    except Exception:
        for target in copied:
            target.unlink(missing_ok=True)
        raise
    corpus = getattr(engine, "corpus", None)
    if copied and hasattr(corpus, "follow_writer"):
        corpus.follow_writer()          # the engine reads the new version now, not at the next question
    parts = []
    if copied:
        names = ", ".join(t.name for t in copied)
        n = report.chunks_written
        parts.append(f"Added {len(copied)} article{'s' * (len(copied) != 1)} ({n} passage{'s' * (n != 1)} "
                     f"indexed in {report.seconds:.1f}s): {names}.")
    if same:
        parts.append(f"Already indexed, unchanged: {', '.join(same)}.")
    if refused:
        parts.append("Not added: " + "; ".join(refused) + ".")
    return " ".join(parts) or "Choose .txt, .md or .html files to add."


# -- the page ----------------------------------------------------------------------------------
def _turn_for(turns: list[dict], index) -> dict | None:
    """The answered turn a chat message belongs to (a like may land on the answer or its
    folded why-block)."""
    i = index[0] if isinstance(index, (list, tuple)) else index
    for turn in reversed(turns or ()):
        if isinstance(i, int) and turn["first"] <= i <= turn["last"]:
            return turn
    return None


def _rating(liked) -> str | None:
    """Gradio's LikeData.liked: True (thumbs up), False (down); anything else takes the vote back."""
    return "up" if liked is True else "down" if liked is False else None


def export_file(turns: list[dict], folder: Path) -> str | None:
    """The conversation as a Markdown file in `folder`; its path, or None before any answer."""
    if not turns:
        return None
    when = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    text = render.conversation_md([(t["question"], t["answer"]) for t in turns], when)
    path = folder / uuid.uuid4().hex[:12] / "newsrag-conversation.md"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return str(path)


def build_app(engine, *, feedback: FeedbackLog | None = None, host: str = "127.0.0.1", auth=None):
    """The chat page over `engine` (an Engine, or anything with `events` or `stream`, `info`,
    `articles` and `settings`). Feedback goes to `feedback` (default: the settings' feedback
    file); `host` and `auth` say how the page will be served, which decides whether it may
    add articles."""
    gr = _gradio()
    settings = engine.settings
    limit = settings.max_question_chars
    feedback = feedback or FeedbackLog(settings.feedback_path())
    no_upload = upload_refusal(engine, host, auth)
    answer_events = getattr(engine, "events", None) or engine.stream
    exports = Path(tempfile.mkdtemp(prefix="newsrag-export-"))

    def header():
        try:
            info = engine.info()
            return render.info_md(info), example_questions(info.get("source") or settings.source_path(),
                                                           engine.articles())
        except NewsragError as exc:
            return render.info_md(None, str(exc)), []

    header_info, examples_shown = header()

    def respond(question, chat, turns):
        """One turn: the passages found, the draft as the LLM writes it, then the verified answer
        and its sources. Yields (chat, sources, status, question box, turns)."""
        question = question or ""
        chat, turns = list(chat or []), list(turns or [])
        if not question.strip():
            yield chat, gr.skip(), "Type a question about the articles first.", question, turns
            return
        if len(question) > limit:
            yield (chat, gr.skip(), f"The question is {len(question):,} characters; the limit is {limit:,}. "
                   "Please ask something shorter.", question, turns)
            return
        history = render.history_from_chat(chat)
        turn = chat + [{"role": "user", "content": render.md_text(question)},
                       {"role": "assistant", "content": render.SEARCHING_MD}]
        yield turn, FINDING_SOURCES, "", "", turns
        answer, draft = None, ""
        try:
            for event in answer_events(question, history):
                if isinstance(event, str):
                    draft += event
                    turn[-1] = {"role": "assistant", "content": render.draft_md(draft)}
                    yield turn, gr.skip(), "", "", turns
                elif isinstance(event, Retrieved):
                    yield turn, render.retrieved_html(event.passages), "", "", turns
                elif isinstance(event, Answer):
                    answer = event
        except NewsragError as exc:
            yield chat, render.EMPTY_SOURCES, render.md_text(str(exc)), question, turns
            return
        except Exception:
            log.exception("answering %r failed", question[:200])
            yield chat, render.EMPTY_SOURCES, GENERIC_FAILURE, question, turns
            return
        if answer is None:
            log.error("the engine finished without an answer for %r", question[:200])
            yield chat, render.EMPTY_SOURCES, GENERIC_FAILURE, question, turns
            return
        turn[-1] = {"role": "assistant", "content": render.answer_md(answer)}
        why = render.why_message(answer)
        if why:
            turn.append(why)
        turns.append({"id": uuid.uuid4().hex, "question": question, "history": history, "answer": answer,
                      "first": len(chat) + 1, "last": len(turn) - 1})
        yield turn, render.sources_html(answer), "", "", turns

    def on_like(turns, comment, data: gr.LikeData):
        """A thumbs up or down: one record appended to the feedback file (with the comment, if
        one was typed). Returns (status, done line, the rated answer, comment row)."""
        turn = _turn_for(turns, data.index)
        if turn is None:
            return "That message is not an answer to rate.", "", None, gr.skip()
        rating = _rating(data.liked)
        try:
            feedback.append(record(turn["answer"], turn["history"], rating, answer_id=turn["id"],
                                   settings=settings, comment=comment))
        except NewsragError as exc:
            return render.md_text(str(exc)), "", None, gr.skip()
        done = {"up": "Thanks: marked as a good answer.",
                "down": "Thanks: marked as wrong. Say what was wrong below, if you like.",
                None: "Rating taken back."}[rating]
        rated = {"id": turn["id"], "rating": rating} if rating else None
        return "", done, rated, gr.update(visible=rating == "down")

    # Gradio finds the LikeData argument by its annotation, which this module's postponed
    # annotations leave as a string it cannot resolve (gradio is imported lazily): give it the class.
    on_like.__annotations__["data"] = gr.LikeData

    def on_comment(turns, comment, rated):
        """The "what was wrong" line for the answer last rated: another record for it (the last
        record for an answer is the one that counts)."""
        comment = (comment or "").strip()
        if not comment:
            return "Type what was wrong first.", "", comment, gr.skip()
        turn = next((t for t in turns or () if rated and t["id"] == rated["id"]), None)
        if turn is None:
            return "Rate an answer with the thumbs first, then say what was wrong.", "", comment, gr.skip()
        try:
            feedback.append(record(turn["answer"], turn["history"], rated["rating"], answer_id=turn["id"],
                                   settings=settings, comment=comment))
        except NewsragError as exc:
            return render.md_text(str(exc)), "", comment, gr.skip()
        return "", "Thanks: your note was saved with the rating.", "", gr.update(visible=False)

    def on_upload(files):
        """Add the uploaded articles. Returns (status, done line, header line, uploader)."""
        if no_upload:
            return render.md_text(no_upload), "", gr.skip(), None
        try:
            said = add_articles(engine, files)
        except NewsragError as exc:
            return render.md_text(str(exc)), "", gr.skip(), None
        except Exception:
            log.exception("adding articles failed")
            return "Adding the articles failed; the details are in the server's log.", "", gr.skip(), None
        return "", render.md_text(said), header()[0], None

    def on_export(turns):
        path = export_file(turns, exports)
        return gr.update(value=path, visible=path is not None)

    def clear():
        return ([], render.EMPTY_SOURCES, "", "", [], None, "", gr.update(value=None, visible=False),
                gr.update(visible=False))

    with gr.Blocks(title="newsrag", analytics_enabled=False) as app:
        turns = gr.State([])
        rated = gr.State(None)
        gr.Markdown("# newsrag\nAsk about the news articles. Every answer is checked against the passages "
                    "it cites, shown on the right.", elem_id="nr-header")
        info_line = gr.Markdown(header_info, elem_id="nr-info")
        with gr.Row(equal_height=False):
            with gr.Column(scale=3, min_width=360):
                chat = gr.Chatbot(label="Conversation", elem_id="nr-chat", height=480, latex_delimiters=[],
                                  sanitize_html=True, allow_tags=False, render_markdown=True,
                                  feedback_options=("Like", "Dislike"), buttons=["copy"],
                                  allow_file_downloads=False,
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
                done = gr.Markdown(label="done", elem_id="nr-done")
                with gr.Row(equal_height=True, visible=False) as comment_row:
                    comment = gr.Textbox(label="what was wrong", show_label=False, lines=1, max_lines=1,
                                         max_length=500, scale=6, elem_id="nr-comment",
                                         placeholder="What was wrong? (optional, one line)")
                    send = gr.Button("Send", size="sm", scale=1, min_width=70, elem_id="nr-send")
                examples = gr.Examples([[q] for _, q in examples_shown] or [[""]], inputs=[question],
                                       example_labels=[label for label, _ in examples_shown] or None,
                                       label="Examples", elem_id="nr-examples", visible=bool(examples_shown))
                with gr.Row(equal_height=True):
                    upload = gr.File(label="Add articles (.txt, .md, .html)", file_count="multiple",
                                     file_types=[".txt", ".md", ".html", ".htm"], elem_id="nr-upload",
                                     height=120, scale=3)
                    download = gr.DownloadButton("Export conversation (Markdown)", visible=False, size="sm",
                                                 scale=1, elem_id="nr-export")
                gr.Markdown(render.md_text(no_upload) if no_upload else
                            "Added files are copied into the indexed folder and indexed at once.",
                            elem_id="nr-upload-note")
            with gr.Column(scale=2, min_width=320):
                sources = gr.HTML(render.EMPTY_SOURCES, label="Sources", show_label=False, elem_id="nr-sources",
                                  css_template=stylesheet("sources.css"), max_height=680, container=False)

        on_ask = dict(fn=respond, inputs=[question, chat, turns], outputs=[chat, sources, status, question, turns],
                      concurrency_id="engine", concurrency_limit=CONCURRENCY, show_progress="minimal",
                      show_progress_on=[status])
        then_export = dict(fn=on_export, inputs=[turns], outputs=[download], queue=False, api_visibility="private")
        question.submit(**on_ask, api_name="ask").then(**then_export)
        ask.click(**on_ask, api_visibility="private").then(**then_export)
        examples.load_input_event.then(**on_ask, api_visibility="private").then(**then_export)
        chat.like(on_like, inputs=[turns, comment], outputs=[status, done, rated, comment_row], queue=False,
                  api_visibility="private")
        on_send = dict(fn=on_comment, inputs=[turns, comment, rated], outputs=[status, done, comment, comment_row],
                       queue=False, api_visibility="private")
        send.click(**on_send)
        comment.submit(**on_send)
        upload.upload(on_upload, inputs=[upload], outputs=[status, done, info_line, upload],
                      concurrency_id="engine", concurrency_limit=CONCURRENCY, api_visibility="private")
        outs = [chat, sources, status, question, turns, rated, done, download, comment_row]
        clear_btn.click(clear, outputs=outs, queue=False, api_visibility="private")
        chat.clear(clear, outputs=outs, queue=False, api_visibility="private")
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
                          theme=gr.themes.Default(primary_hue="blue", neutral_hue="slate"),
                          css_paths=[STYLES / "page.css"],
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
    launch(build_app(engine, host=host, auth=auth), host, port, auth=auth)
    return 0
