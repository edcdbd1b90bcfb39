"""What every benchmark module shares: the result row, warm median timing and the markdown table.

A benchmark module is `benchmarks/bench_<topic>.py` with a `BENCHMARKS` tuple of functions; each function
takes no arguments and returns a list of `Row`s. `run_all.py` finds the modules and prints one table.
"""
from __future__ import annotations

import gc
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

REPEATS = 3  # timed runs after one warm-up; the median is reported
WARMUPS = 1


@dataclass(frozen=True)
class Row:
    """One measured figure next to its naive reference measured in the same run.

    `ratio` is value / reference_value, always; `target` says in words which way is good.
    `passed` is None for rows reported for information (no target).
    """

    name: str
    value: float
    unit: str
    reference: str  # what the reference is, e.g. "bare soundfile.info"
    reference_value: float
    target: str
    passed: bool | None

    @property
    def ratio(self) -> float:
        return self.value / self.reference_value if self.reference_value else float("nan")


def warm_median(fn: Callable[[], Any], *, repeats: int = REPEATS, warmups: int = WARMUPS) -> tuple[float, Any]:
    """Median wall time (s) of `repeats` calls after `warmups` untimed ones (imports, JIT, caches),
    and the last call's result."""
    result = None
    for _ in range(warmups):
        result = fn()
    times = []
    for _ in range(repeats):
        result = None
        gc.collect()
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def seconds_until_shown(driver, shown: Callable[[], bool], *, start: float, timeout_s: float, what: str,
                        poll_s: float = 0.05) -> float:
    """Seconds from `start` (time.perf_counter) until shown() holds in the browser, which then leaves the page
    (about:blank) so the next measurement starts from nothing. Raises RuntimeError naming `what` on timeout."""
    while time.perf_counter() - start < timeout_s:
        if shown():
            elapsed = time.perf_counter() - start
            driver.get("about:blank")
            return elapsed
        time.sleep(poll_s)
    raise RuntimeError(f"{what} did not show within {timeout_s:g} s")


def _number(x: float) -> str:
    if x != x:  # NaN
        return "—"
    if abs(x) >= 1000:
        return f"{x:,.0f}"
    if abs(x) >= 100:
        return f"{x:.0f}"
    if abs(x) >= 10:
        return f"{x:.1f}"
    return f"{x:.3g}"


def _ratio(r: float) -> str:
    if r != r:
        return "—"
    return f"1/{1 / r:,.0f}" if 0 < r < 0.1 else f"{r:.2f}×"


def _result(passed: bool | None) -> str:
    return "info" if passed is None else ("PASS" if passed else "**FAIL**")


def markdown_table(rows: Sequence[Row]) -> str:
    lines = ["| benchmark | value | reference (same run) | ratio value/ref | target | result |",
             "|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r.name} | {_number(r.value)} {r.unit} | {_number(r.reference_value)} {r.unit} "
                     f"({r.reference}) | {_ratio(r.ratio)} | {r.target} | {_result(r.passed)} |")
    return "\n".join(lines)
