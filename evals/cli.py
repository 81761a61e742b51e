"""`newsrag eval`: run a gold file through the engine, or compare two reports.

Reads settings from the caller (rag.cli), builds the Engine, and hands it to the
runner. Exit codes: 0 fine, 1 a metric fell below --thresholds, 2 a user mistake
(raised as NewsragError, which the CLI prints as one line).
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

from rag import NewsragError

DEFAULT_GOLD = Path(__file__).resolve().parent / "gold.jsonl"


def _read_json(path: str) -> dict:
    try:
        with open(path, encoding="utf-8") as fh:
            return json.load(fh)
    except FileNotFoundError:
        raise NewsragError(f"no such file: {path}") from None
    except json.JSONDecodeError as exc:
        raise NewsragError(f"{path} is not valid JSON (line {exc.lineno}): {exc.msg}") from None


def run(args, settings) -> int:
    from .runner import check_thresholds, compare_reports, format_table, run_eval, write_report

    if args.compare:
        a, b = (_read_json(p) for p in args.compare)
        print(compare_reports(a, b))
        return 0
    from rag import Engine

    from .gold import GoldError, load_gold

    thresholds = _read_json(args.thresholds) if args.thresholds else None
    try:
        items = load_gold(args.gold or DEFAULT_GOLD)
    except GoldError as exc:
        raise NewsragError(str(exc)) from None
    engine = Engine(settings)
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
