"""`newsrag eval`: run a gold file through the engine, or compare two reports.

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


def run(args, settings) -> int:
    from .runner import (
        check_threshold_names,
        check_thresholds,
        compare_reports,
        format_table,
        run_eval,
        write_report,
    )

    if args.compare:
        a, b = (_read_json(p) for p in args.compare)
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
