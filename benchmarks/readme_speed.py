"""The README's speed section: the rows of benchmarks/RESULTS.md that carry issue 31's goals, rendered, never typed.

    python -m benchmarks.readme_speed     # rewrite README.md's block from RESULTS.md (run_all does it after a run)

A test checks README.md's block equals the rendering of the committed RESULTS.md.
"""
from __future__ import annotations

import re
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
RESULTS = HERE / "RESULTS.md"
README = ROOT / "README.md"
START, END = "<!-- speed -->", "<!-- /speed -->"
# what the section shows, in this order: a row is shown when its name starts with one of these
GOALS = (
    ("Every core", ("P12 ",)),
    ("Time to the decision note", ("P10 ",)),
    ("First waveform in the browser", ("P9 first waveform",)),
    ("Ray next to the local engine", ("P8 Ray engine throughput", "P8 identical")),
    ("Memory of a streamed run", ("P7s flatness",)),
    ("Batched encoders", ("P4 ",)),
)
DATE = re.compile(r"^- (?:date|updated): (\d{4}-\d\d-\d\d)", re.M)
MACHINE = re.compile(r"^- machine: (.+)$", re.M)


def table_rows(text: str) -> list[list[str]]:
    """Every benchmark row of RESULTS.md (main table and scale blocks), as its cells; the calibration and speaker
    sections are not benchmark tables and are left out."""
    body = text.split("<!-- calibration -->", 1)[0]
    rows = []
    for line in body.splitlines():
        if line.startswith("| ") and not line.startswith("| benchmark |"):
            rows.append([cell.strip() for cell in line.strip().strip("|").split(" | ")])
    return rows


def render(results_text: str) -> str:
    """The block between the README's markers."""
    rows = table_rows(results_text)
    body = results_text.split("<!-- calibration -->", 1)[0]
    dates = sorted(set(DATE.findall(body)))
    machines = sorted(set(MACHINE.findall(body)))
    lines = [f"Measured by `python -m benchmarks.run_all` (and `--scale`); every row is a ratio to a reference measured "
             f"side by side in the same run. Runs of {', '.join(dates)} on {'; '.join(machines)}. "
             "Full table and what each row measures: [benchmarks/RESULTS.md](benchmarks/RESULTS.md).", ""]
    for title, prefixes in GOALS:
        picked = [r for r in rows if r[0].startswith(prefixes) and "max |batched" not in r[0]]
        if not picked:
            continue
        lines += [f"**{title}**", "", "| benchmark | value | reference (same run) | ratio | target | result |",
                  "|---|---|---|---|---|---|", *(f"| {' | '.join(r)} |" for r in picked), ""]
    return "\n".join(lines).rstrip("\n")


def rendered_readme(readme: str, results_text: str) -> str:
    if START not in readme or END not in readme:
        raise SystemExit(f"README.md has no {START} ... {END} block")
    head, rest = readme.split(START, 1)
    tail = rest.split(END, 1)[1]
    return f"{head}{START}\n{render(results_text)}\n{END}{tail}"


def write() -> None:
    README.write_text(rendered_readme(README.read_text(encoding="utf-8"), RESULTS.read_text(encoding="utf-8")),
                      encoding="utf-8")


if __name__ == "__main__":
    write()
    print(f"{README.relative_to(ROOT)}: speed section rewritten from {RESULTS.relative_to(ROOT)}", file=sys.stderr)
