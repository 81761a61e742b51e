"""`newsrag eval`: run a gold file through the engine, compare two reports, or turn the chat
page's feedback into candidate gold rows (`--from-feedback FILE --out CANDIDATES.jsonl`).

The command line (`ui.cli`, which defines the `eval` subcommand) parses the
flags and builds the Settings; `run(args, settings)` does the rest. A gold set
over another folder (`--gold FILE --source DIR`, no `--store`) gets a store of
its own under the cache folder, keyed by the folder's resolved path: built the
first time, brought up to date incrementally (a no-op while the folder is
unchanged) on every run. Exit codes: 0 fine, 1 a metric fell below
--thresholds, 2 a user mistake (raised as NewsragError, printed as one line).
"""
from __future__ import annotations

import hashlib
import json
import os
import re
import sys
from pathlib import Path

from rag import NewsragError

DEFAULT_GOLD = Path(__file__).resolve().parent / "gold.jsonl"


def _read_json(path: str) -> dict:
    try:
        with open(path, encoding="utf-8") as fh:
            value = json.load(fh)
    except FileNotFoundError:
        raise NewsragError(f"no such file: {path}") from None
    except IsADirectoryError:
        raise NewsragError(f"{path} is a folder, not a JSON file") from None
    except json.JSONDecodeError as exc:
        raise NewsragError(f"{path} is not valid JSON (line {exc.lineno}): {exc.msg}") from None
    if not isinstance(value, dict):
        raise NewsragError(f"{path} must hold a JSON object, got {type(value).__name__}")
    return value


def scratch_store_path(settings) -> Path:
    """The store a gold set over `settings.source` gets: `<cache>/eval-stores/<folder name>-<hash8>`.

    The hash covers the folder's resolved path and the chunk settings, so two
    folders of the same name, or other chunk sizes, never share a store.
    """
    folder = settings.source_path().resolve()
    key = f"{folder}\n{settings.chunk_size}\n{settings.chunk_overlap}"
    digest = hashlib.sha256(key.encode("utf-8")).hexdigest()[:8]
    return settings.cache_path() / "eval-stores" / f"{folder.name}-{digest}"


def _wants_scratch_store(args, settings) -> bool:
    """--source given and no store chosen (neither --store nor NEWSRAG_STORE)."""
    from rag import Settings

    return bool(getattr(args, "source", None)) and not getattr(args, "store", None) and \
        settings.store == Settings.store


def _refresh(engine, settings) -> None:
    """Bring the engine's scratch store in line with the folder, with the engine's own embedder:
    a full build once, then only what changed."""
    from index.errors import StoreMismatch
    from index.indexer import index_folder

    folder = settings.source_path()
    if not folder.is_dir():
        raise NewsragError(f"--source {settings.source}: no such folder")
    options = {"size": settings.chunk_size, "overlap": settings.chunk_overlap, "progress": False, "wait": 600}
    store = engine.store
    try:
        report = index_folder(folder, store, engine.embedder, **options)
    except StoreMismatch:
        # a scratch store built by another version of newsrag: it is ours to rebuild
        report = index_folder(folder, store, engine.embedder, rebuild=True, **options)
    print(f"eval store {store.spec}: {report.summary()}", file=sys.stderr)


# -- feedback -> candidate gold rows ----------------------------------------------------------------
_MARKERS = re.compile(r"\s*\[\d+\]")


def read_feedback(path: str) -> list[dict]:
    """The feedback file's records (ui.feedback writes them), the last one per answer: a
    change of mind, or a comment added, appends a newer record for the same answer."""
    try:
        with open(path, encoding="utf-8") as fh:
            lines = fh.read().splitlines()
    except FileNotFoundError:
        raise NewsragError(f"no such feedback file: {path}") from None
    except IsADirectoryError:
        raise NewsragError(f"{path} is a folder, not a feedback file") from None
    except UnicodeDecodeError:
        raise NewsragError(f"{path} is not UTF-8 text: pass the chat page's feedback.jsonl") from None
    latest: dict[str, dict] = {}
    for lineno, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            rec = json.loads(line)
        except json.JSONDecodeError as exc:
            raise NewsragError(f"{path}:{lineno}: not a JSON line ({exc.msg}): pass the chat page's "
                               "feedback.jsonl") from None
        if not isinstance(rec, dict) or not isinstance(rec.get("question"), str) \
                or rec.get("rating") not in ("up", "down", None) or not isinstance(rec.get("answer"), str):
            raise NewsragError(f"{path}:{lineno}: not a feedback record (needs question, answer and rating "
                               "up/down): pass the chat page's feedback.jsonl")
        key = str(rec.get("answer_id") or rec.get("id") or lineno)
        latest.pop(key, None)
        latest[key] = rec           # kept in the order of each answer's last record
    return [rec for rec in latest.values() if rec.get("rating")]


def candidate(rec: dict) -> dict:
    """A gold-file row (DESIGN "Gold file") from one feedback record, for a person to confirm.
    Thumbs up: the answer as it was, answerable with the sources it cited (a refusal: not
    answerable). Thumbs down: `"review": true` with the comment, the answer given and what it
    cited; the person writes the right answer (or marks it unanswerable) and drops `review`."""
    ident = str(rec.get("answer_id") or rec.get("id") or "")[:8] or hashlib.sha256(
        rec["question"].encode("utf-8")).hexdigest()[:8]
    row = {"id": f"fb-{ident}", "question": rec["question"]}
    cited = list(dict.fromkeys(c.get("source") for c in rec.get("citations") or () if c.get("source")))
    refused = bool(rec.get("refused"))
    if rec["rating"] == "up":
        answer = _MARKERS.sub("", rec["answer"]).strip()
        row.update(answers=[] if refused else [answer], sources=[] if refused else cited, answerable=not refused)
    else:
        row.update(answers=[], sources=[], answerable=True, review=True, comment=rec.get("comment") or "",
                   answer_given=rec["answer"], sources_given=cited, refused_given=refused)
    history = [list(turn) for turn in rec.get("history") or () if isinstance(turn, (list, tuple)) and len(turn) == 2]
    if history:
        row["history"] = history
    return row


def from_feedback(path: str, out: str | None) -> int:
    if not out:
        raise NewsragError("--from-feedback needs --out CANDIDATES.jsonl (where to write the rows)")
    rows = [candidate(rec) for rec in read_feedback(path)]
    text = "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows)
    target = Path(out)
    if target.is_dir():
        raise NewsragError(f"--out {out} is a folder: name a .jsonl file")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        part = target.with_name(f".{target.name}.part")
        part.write_text(text, encoding="utf-8")
        os.replace(part, target)            # never a half-written file
    except OSError as exc:
        raise NewsragError(f"cannot write {out}: {exc.strerror or exc}") from None
    review = sum(1 for row in rows if row.get("review"))
    print(f"wrote {len(rows)} candidate rows to {out} ({len(rows) - review} from thumbs up, {review} marked "
          "for review): confirm each before adding it to a gold file")
    return 0


def run(args, settings) -> int:
    from .runner import (
        check_threshold_names,
        check_thresholds,
        compare_reports,
        format_table,
        run_eval,
        write_report,
    )

    if getattr(args, "from_feedback", None):
        return from_feedback(args.from_feedback, args.out)
    if getattr(args, "out", None):
        raise NewsragError("--out goes with --from-feedback FILE")
    if args.compare:
        a, b = (_read_json(p) for p in args.compare)
        for path, report in zip(args.compare, (a, b)):
            if "per_question" not in report:
                raise NewsragError(f"{path} is not a newsrag eval report (no per_question): "
                                   "compare two files written by `newsrag eval --report`")
        print(compare_reports(a, b))
        return 0
    from rag import Engine

    from .gold import GoldError, load_gold

    thresholds = _read_json(args.thresholds) if args.thresholds else None
    try:
        if thresholds is not None:
            check_threshold_names(thresholds, settings.k)   # a typo fails now, not after the whole run
    except ValueError as exc:
        raise NewsragError(f"{args.thresholds}: {exc}") from None
    try:
        items = load_gold(args.gold or DEFAULT_GOLD)
    except GoldError as exc:
        raise NewsragError(str(exc)) from None
    scratch = _wants_scratch_store(args, settings)
    if scratch:
        settings = settings.with_(store=f"chroma:{scratch_store_path(settings)}")
    engine = Engine(settings)
    if scratch:
        _refresh(engine, settings)
    engine.warm_up()
    report = run_eval(engine, items, k=settings.k, progress=True)
    print(format_table(report))
    if args.report:
        json_path, html_path = write_report(report, args.report)
        print(f"report: {json_path} and {html_path}")
    if thresholds is not None:
        try:
            failures = check_thresholds(report, thresholds)
        except ValueError as exc:
            raise NewsragError(f"{args.thresholds}: {exc}") from None
        if failures:
            print("below thresholds:", file=sys.stderr)
            for line in failures:
                print(f"  {line}", file=sys.stderr)
            return 1
        print(f"all thresholds in {args.thresholds} met")
    return 0
