"""What every benchmark module shares: the result row, warm median timing and the markdown table.

A benchmark module is `benchmarks/bench_<topic>.py` with a `BENCHMARKS` tuple of functions; each function
takes no arguments and returns a list of `Row`s. `run_all.py` finds the modules and prints one table.
"""
from __future__ import annotations

import gc
import os
import platform
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# the vector instruction sets that change floating-point results (int8 GEMM kernels, FMA, summation order), in the
# order CTranslate2, oneDNN and numpy's SIMD dispatch pick them
SIMD_FLAGS = (("avx512f", "AVX-512"), ("avx2", "AVX2"), ("avx", "AVX"), ("sse4_2", "SSE4.2"))
SIMD_EXTRAS = (("avx512_vnni", "VNNI"), ("avx512_bf16", "BF16"), ("amx_tile", "AMX"))


def _cpuinfo() -> tuple[str, set[str]]:
    """(CPU model name, flags) from /proc/cpuinfo; (platform's processor, no flags) where there is none."""
    fields: dict[str, str] = {}
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():  # the first core's lines
            key, _, value = line.partition(":")
            fields.setdefault(key.strip(), value.strip())
    except OSError:
        pass
    return fields.get("model name") or platform.processor() or platform.machine(), set(fields.get("flags", "").split())


def cpu_flags() -> set[str]:
    """This CPU's feature flags (e.g. "avx512f"); empty where /proc/cpuinfo is not there."""
    return _cpuinfo()[1]


def simd() -> str:
    """The widest vector instruction set of this CPU, with the extensions that change int8/bf16 kernels."""
    flags = cpu_flags()
    widest = next((name for flag, name in SIMD_FLAGS if flag in flags), "unknown")
    extras = [name for flag, name in SIMD_EXTRAS if flag in flags]
    return f"{widest} ({', '.join(extras)})" if extras else widest


def machine() -> str:
    """CPU model, vector instruction set, usable cores, OS and Python, in one line: every timing and every number
    from a model names the machine it came from."""
    model, _ = _cpuinfo()
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return (f"{model}, {simd()}, {usable} cores, {platform.system()} {platform.release()}, "
            f"Python {platform.python_version()}")


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
