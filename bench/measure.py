"""Small measuring tools: percentiles, a stopwatch, resident memory and targets.

Percentiles interpolate linearly between order statistics (numpy's default), so
p50 of an even count is the mean of the two middle values. Peak RSS is sampled
in a background thread (psutil), which catches peaks that the process gives
back before the end, unlike a single reading afterwards.
"""
from __future__ import annotations

import statistics
import threading
import time
from dataclasses import dataclass

from rag.stats import percentile

__all__ = ["percentile", "summary", "median", "Stopwatch", "rss_mb", "PeakRSS", "Target", "figure"]


def summary(values) -> dict:
    """n, p50, p95, mean and max of a list of latencies (same unit as given)."""
    xs = [float(v) for v in values]
    if not xs:
        return {"n": 0, "p50": None, "p95": None, "mean": None, "max": None}
    return {"n": len(xs), "p50": _r(percentile(xs, 50)), "p95": _r(percentile(xs, 95)),
            "mean": _r(statistics.fmean(xs)), "max": _r(max(xs))}


def median(values) -> float | None:
    xs = [v for v in values if v is not None]
    return _r(statistics.median(xs)) if xs else None


def _r(x: float | None, digits: int = 3) -> float | None:
    return None if x is None else round(float(x), digits)


class Stopwatch:
    """`with Stopwatch() as sw: ...` then `sw.s` (seconds) or `sw.ms`."""

    def __enter__(self) -> "Stopwatch":
        self.t0 = time.perf_counter()
        self.s = 0.0
        return self

    def __exit__(self, *exc):
        self.s = time.perf_counter() - self.t0
        return False

    @property
    def ms(self) -> float:
        return self.s * 1000.0


def rss_mb(pid: int | None = None) -> float:
    """Resident memory of a process and its children, in MB (10^6 bytes)."""
    import psutil

    proc = psutil.Process(pid)
    total = proc.memory_info().rss
    for child in proc.children(recursive=True):
        try:
            total += child.memory_info().rss
        except psutil.Error:
            pass
    return total / 1e6


class PeakRSS:
    """Highest resident memory of a process (and its children) while the block runs."""

    def __init__(self, pid: int | None = None, interval: float = 0.05):
        self.pid, self.interval = pid, interval
        self.peak_mb = 0.0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def _sample(self):
        import psutil

        while True:
            try:
                self.peak_mb = max(self.peak_mb, rss_mb(self.pid))
            except psutil.Error:
                return  # the process has ended
            if self._stop.wait(self.interval):
                return

    def __enter__(self) -> "PeakRSS":
        self._thread = threading.Thread(target=self._sample, daemon=True, name="peak-rss")
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
        return False


@dataclass(frozen=True)
class Target:
    """A figure's goal: `value <op> limit` in `unit` ("<=", ">=", "<", ">")."""

    op: str
    limit: float
    unit: str

    def met(self, value) -> bool | None:
        if value is None:
            return None
        return {"<=": value <= self.limit, ">=": value >= self.limit,
                "<": value < self.limit, ">": value > self.limit}[self.op]

    def __str__(self) -> str:
        limit = f"{self.limit:g}"
        return f"{self.op} {limit} {self.unit}".strip()


def figure(value, target: Target | None = None, unit: str | None = None) -> dict:
    """A reported figure with its target beside it: {"value", "unit", "target", "met"}."""
    value = _r(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else value
    out = {"value": value, "unit": unit or (target.unit if target else "")}
    if target is not None:
        out["target"] = str(target)
        out["met"] = target.met(value)
    return out
