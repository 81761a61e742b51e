"""The `newsrag` command: index, ask, chat, eval, bench, serve-store (`python -m ui.cli`).

A face a person uses, like the chat page, so it lives in `ui`, the top layer: the
one module that reaches every package, each imported only when its command runs.
User mistakes print one line on stderr and exit 2; `eval --thresholds` exits 1
when a metric falls below its threshold.
"""
from __future__ import annotations

import argparse
import json
import sys
import textwrap

from rag.errors import NewsragError


def _common(p: argparse.ArgumentParser, *, answers: bool):
    p.add_argument("--source", metavar="DIR", help="folder of articles (NEWSRAG_SOURCE; default: seeds/)")
    p.add_argument("--store", metavar="SPEC", help="chroma:DIR or chroma+http://HOST:PORT (NEWSRAG_STORE)")
    p.add_argument("--collection", metavar="NAME", help="Chroma collection (NEWSRAG_COLLECTION; default newsrag)")
    if answers:
        p.add_argument("--llm", metavar="SPEC",
                       help="extractive, local, gguf:PATH, openai:MODEL[@URL], ollama:MODEL[@HOST] (NEWSRAG_LLM)")
        p.add_argument("--k", type=int, help="passages retrieved per question (default 5)")


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="newsrag", description="Answers questions about news articles, "
                                  "every answer checked against the passages it cites.")
    sub = top.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser("index", help="index the articles (incremental)", description="Index the source folder "
                       "into the store: new files added, changed files replaced, deleted files removed.")
    _common(p, answers=False)
    p.add_argument("--rebuild", action="store_true", help="drop the store's contents and index from scratch")
    p.add_argument("--wait", type=float, default=0.0, metavar="SECONDS",
                   help="wait this long for another running index to finish (default: say so and stop)")

    p = sub.add_parser("ask", help="answer one question", description="Answer a question with cited passages.")
    p.add_argument("question")
    _common(p, answers=True)
    p.add_argument("--json", action="store_true", help="print the answer as JSON")

    p = sub.add_parser("chat", help="open the chat page", description="Serve the Gradio chat page.")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=7860)
    p.add_argument("--feedback", metavar="FILE", help="where thumbs up/down are appended as JSONL "
                   "(NEWSRAG_FEEDBACK; default .newsrag/feedback.jsonl)")
    _common(p, answers=True)

    p = sub.add_parser("eval", help="score the engine on a gold set", description="Run a gold set and report "
                       "metrics, or compare two reports.")
    p.add_argument("--gold", metavar="FILE", help="gold JSONL (default evals/gold.jsonl)")
    p.add_argument("--report", metavar="FILE.json", help="write the JSON report (and FILE.html beside it)")
    p.add_argument("--thresholds", metavar="FILE", help="exit 1 when a metric falls below these minimums")
    p.add_argument("--compare", nargs=2, metavar=("A.json", "B.json"), help="compare two reports; runs nothing")
    p.add_argument("--from-feedback", metavar="FILE", help="turn the chat page's feedback file into candidate gold "
                   "rows for a person to confirm (with --out); runs nothing")
    p.add_argument("--out", metavar="CANDIDATES.jsonl", help="where --from-feedback writes the candidate rows")
    _common(p, answers=True)

    p = sub.add_parser("bench", help="measure speed, memory and scale", description="Run the benchmarks.")
    p.add_argument("--report", metavar="FILE.json", help="write the JSON report (and a PNG chart beside it)")
    p.add_argument("--quick", action="store_true", help="small sizes and few repeats (a smoke run)")
    _common(p, answers=True)

    p = sub.add_parser("serve-store", help="run a local Chroma server", description="Start `chroma run` on a "
                       "folder, for several newsrag processes to share (store spec chroma+http://HOST:PORT).")
    p.add_argument("--path", default=".newsrag/chroma-server", metavar="DIR")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000)
    return top


def settings_from(args):
    from rag import Settings

    return Settings(**{k: getattr(args, k, None) for k in ("llm", "store", "source", "k", "collection", "feedback")})


def main(argv=None) -> int:
    args = parser().parse_args(argv)
    if not args.command:
        parser().print_help()
        return 2
    try:
        return COMMANDS[args.command](args) or 0
    except NewsragError as exc:
        print(f"newsrag: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("newsrag: interrupted", file=sys.stderr)
        return 130


def cmd_index(args) -> int:
    from index.embed import MiniLM
    from index.indexer import index_folder
    from index.store import open_store

    s = settings_from(args)
    store = open_store(s.store_spec(), s.collection)
    report = index_folder(s.source_path(), store, MiniLM.shared(), size=s.chunk_size, overlap=s.chunk_overlap,
                          rebuild=args.rebuild, progress=True, wait=args.wait, cache_dir=s.cache_path())
    for skipped in report.skipped:
        print(f"warning: skipped {skipped.source}: {skipped.reason}", file=sys.stderr)
    for note in report.notes:
        print(f"note: {note}", file=sys.stderr)
    for source in report.cleaned:
        print(f"flagged: {source} held invisible or control characters; they were removed", file=sys.stderr)
    print(f"{store.spec}: {report.summary()}")
    return 0


def format_answer(a) -> str:
    lines = [textwrap.fill(a.text, 100)]
    if a.notice:
        lines.append(f"({a.notice})")
    if a.citations:
        lines.append("\nSources:")
        for c in a.citations:
            where = ", ".join(x for x in (c.outlet or c.source, c.date) if x)
            quote = c.text if c.quote_start is None else c.text[c.quote_start - c.start:c.quote_end - c.start]
            lines.append(f"[{c.n}] {c.title} ({where})")
            lines.append(textwrap.indent(textwrap.fill(f"\u201c{quote}\u201d", 96), "    "))
    elif a.refused and a.passages:
        lines.append("\nClosest passages:")
        for p in a.passages[:3]:
            lines.append(f"- {p.title} ({p.outlet or p.source}): {textwrap.shorten(p.text, 160)}")
    lines.append(f"\n[{a.llm}]")
    return "\n".join(lines)


def cmd_ask(args) -> int:
    from rag import Engine

    engine = Engine(settings_from(args))
    answer = engine.ask(args.question)
    if args.json:
        print(json.dumps(answer.to_dict(), ensure_ascii=False, indent=1))
    else:
        print(format_answer(answer))
    return 0


def cmd_chat(args) -> int:
    from .app import serve

    return serve(settings_from(args), host=args.host, port=args.port) or 0


def cmd_eval(args) -> int:
    from evals.cli import run

    return run(args, settings_from(args))


def cmd_bench(args) -> int:
    from bench.run import run

    return run(args, settings_from(args), gold=bench_gold())


def bench_gold():
    """The gold set and its answer matching, from `evals`, for the bench (which, a sibling of
    `evals` in the layers, does not import it)."""
    from bench.scale import Gold, Question
    from evals.cli import DEFAULT_GOLD
    from evals.gold import load_gold
    from evals.metrics import contains_gold

    items = load_gold(DEFAULT_GOLD)
    return Gold([Question(i.id, i.question, i.history, i.answers, i.answerable) for i in items], contains_gold)


def cmd_serve_store(args) -> int:
    import os
    import shutil
    from pathlib import Path

    exe = shutil.which("chroma") or str(Path(sys.executable).with_name("chroma"))
    if not Path(exe).exists():
        raise NewsragError("the `chroma` command is missing: run `make install`")
    Path(args.path).mkdir(parents=True, exist_ok=True)
    print(f"serving Chroma from {args.path}; use --store chroma+http://{args.host}:{args.port}", file=sys.stderr)
    os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
    os.execv(exe, [exe, "run", "--path", args.path, "--host", args.host, "--port", str(args.port)])


COMMANDS = {"index": cmd_index, "ask": cmd_ask, "chat": cmd_chat, "eval": cmd_eval, "bench": cmd_bench,
            "serve-store": cmd_serve_store}

if __name__ == "__main__":
    sys.exit(main())
