"""The `[n]` citation marker: one pattern for every module that reads or removes markers.

An answer cites passage n as `[n]` (1..99); `strip_markers` removes markers, runs of them
(`[1][2]`, `[1, 2]`) and the space before them, leaving the prose.
"""
from __future__ import annotations

import re

MARKER = re.compile(r"\[(\d{1,2})\]")
_RUN = re.compile(r"\s*\[\d{1,2}(?:\s*,\s*\d{1,2})*\](?:\s*\[\d{1,2}(?:\s*,\s*\d{1,2})*\])*")


def strip_markers(text: str) -> str:
    """`text` without its citation markers: "Lund chaired [1][2]." -> "Lund chaired."."""
    return _RUN.sub("", text)


def marker_numbers(text: str) -> list[int]:
    """The numbers of the markers in `text`, in order of appearance (repeats kept)."""
    return [int(m.group(1)) for m in MARKER.finditer(text)]
