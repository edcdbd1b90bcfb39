"""`python -m benchmarks.calibration`: run the grid, write RESULTS.md's block, the JSON and README's headline."""
from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from benchmarks.calibration.grid import calibrate
from benchmarks.calibration.readme import render_readme
from benchmarks.calibration.scenarios import SCENARIOS, Scenario, smoke_scenarios
from benchmarks.calibration.settings import (
    BLOCK_START,
    HEADLINE_START,
    N_BOOT,
    N_DATASETS,
    README,
    RESULTS_JSON,
    RESULTS_MD,
    ROOT,
    SMOKE,
)
from benchmarks.calibration.tables import render_markdown, write_block

OUTPUT_OPTIONS = ("--results-md", "--results-json", "--readme")  # where results go does not change them: not shown
FLAGS_NOT_SHOWN = ("--with-records",)


def shown_command(argv: Sequence[str]) -> str:
    """The command that reproduces the numbers: argv without the output options (their paths are this machine's).

    >>> shown_command(["--jobs", "1", "--results-md", "/x/RESULTS.md", "--with-records"])
    'python -m benchmarks.calibration --jobs 1'
    """
    kept, skip = [], False
    for arg in argv:
        if skip:
            skip = False
        elif arg in OUTPUT_OPTIONS:
            skip = True
        elif arg not in FLAGS_NOT_SHOWN and not arg.startswith(tuple(f"{o}=" for o in OUTPUT_OPTIONS)):
            kept.append(arg)
    return " ".join(["python -m benchmarks.calibration", *kept])


def json_ready(value):
    """`value` with numpy scalars as Python numbers, NaN as null and tuples as lists."""
    if isinstance(value, dict):
        return {str(k): json_ready(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_ready(v) for v in value]
    if isinstance(value, (np.floating, float)):
        return None if value != value else float(value)
    if isinstance(value, (np.integer, np.bool_)):
        return value.item()
    return value


def write_readme(path: Path, results: dict) -> None:
    path.write_text(render_readme(path.read_text(encoding="utf-8"), results), encoding="utf-8")


def parser() -> argparse.ArgumentParser:
    out = argparse.ArgumentParser(prog="python -m benchmarks.calibration", description=(
        "How often is a verdict wrong, and do the intervals cover? Simulated datasets with a known truth through "
        "the library's own rules. The full grid writes RESULTS.md's calibration block, the JSON of every rate and "
        "README's headline; --smoke and --scenario runs write only the files named."))
    out.add_argument("--n-datasets", type=int, default=N_DATASETS,
                     help=f"datasets across the whole grid, shared by the scenarios by weight (default {N_DATASETS})")
    out.add_argument("--smoke", action="store_true", help="a few small datasets per claim kind (under a minute)")
    out.add_argument("--jobs", type=int, default=len(os.sched_getaffinity(0)), help="processes (default: all cores)")
    out.add_argument("--n-boot", type=int, default=None,
                     help=f"bootstrap resamples (default {N_BOOT}; smoke {SMOKE['n_boot']})")
    out.add_argument("--scenario", action="append", default=None, metavar="NAME",
                     help="run only this scenario (repeatable); names: " + ", ".join(s.name for s in SCENARIOS))
    out.add_argument("--results-md", type=Path, default=None,
                     help=f"Markdown file whose {BLOCK_START} block is written (default "
                          f"{RESULTS_MD.relative_to(ROOT)})")
    out.add_argument("--results-json", type=Path, default=None,
                     help=f"JSON of every rate, the truths and the settings (default {RESULTS_JSON.relative_to(ROOT)})")
    out.add_argument("--readme", type=Path, default=None,
                     help=f"README whose {HEADLINE_START} block is rendered (default {README.relative_to(ROOT)})")
    out.add_argument("--with-records", action="store_true",
                     help="also put every dataset's record (each interval, truth and verdict) in the JSON (large)")
    out.add_argument("--render", type=Path, default=None, metavar="JSON",
                     help="simulate nothing: render the Markdown again from a results JSON this command wrote")
    out.add_argument("--render-readme", action="store_true",
                     help="simulate nothing: rewrite README's headline block from the results JSON")
    return out


def main(argv: Sequence[str] | None = None) -> int:
    p = parser()
    args = p.parse_args(argv)
    if args.render_readme or args.render is not None:
        source = args.render or args.results_json or RESULTS_JSON
        saved = json.loads(source.read_text(encoding="utf-8"))
        if args.render is not None:
            markdown = render_markdown(saved["summary"], saved["meta"],
                                       [Scenario(**s) for s in saved["meta"]["scenarios"]])
            print(markdown)
            if args.results_md is not None:
                write_block(args.results_md, markdown)
        if args.render_readme:
            write_readme(args.readme or README, saved)
            print(f"rendered the headline of {args.readme or README} from {source}", file=sys.stderr)
        return 0
    scenarios = smoke_scenarios() if args.smoke else SCENARIOS
    if args.scenario:
        unknown = sorted(set(args.scenario) - {s.name for s in SCENARIOS})
        if unknown:
            p.error(f"unknown scenario(s) {', '.join(unknown)}; pick from {', '.join(s.name for s in SCENARIOS)}")
        scenarios = tuple(s for s in SCENARIOS if s.name in args.scenario)
    out = calibrate(smoke=args.smoke, n_datasets=args.n_datasets, jobs=args.jobs, n_boot=args.n_boot,
                    scenarios=scenarios, command=shown_command(argv if argv is not None else sys.argv[1:]),
                    progress=lambda message: print(message, file=sys.stderr, flush=True))
    print(out["markdown"])
    full = not args.smoke and not args.scenario  # only the whole grid replaces the committed results
    md = args.results_md or (RESULTS_MD if full else None)
    js = args.results_json or (RESULTS_JSON if full else None)
    readme = args.readme or (README if full else None)
    content = json_ready({"meta": out["meta"], "summary": out["summary"]})
    if md is not None:
        write_block(md, out["markdown"])
    if js is not None:
        full_content = {**content, "records": json_ready(out["records"])} if args.with_records else content
        js.write_text(json.dumps(full_content, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    if readme is not None:
        write_readme(readme, content)
    return 0
