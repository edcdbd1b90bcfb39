"""The decision notes of the bundled sets, recorded once and compared after a change that must not alter them
(issue 32's reorganisation: "the JSON notes are identical before and after, timings aside").

    python -m tests.golden_notes            # record tests/golden_notes/*.json on this machine (commit them)

One recording per task and set, made in memory; the test checks the streamed and Ray runs write that same note.

Each note is made the way a user makes it, by the CLI in a fresh process: classification in memory (both bundled
classification sets), streamed into a run folder (local engine and Ray), retrieval, and transcription in memory
and streamed. Timings (`seconds_per_clip`, "… ms" in tables) are masked. The models' numbers depend on the CPU's
vector instructions (README: "a range in parentheses is the spread … over the numeric variants"), so a recording
names its machine, and `tests/test_golden_notes.py` compares every value only on a machine with the same vector
instruction set; elsewhere it compares what does not depend on rounding (the note's structure and verdicts).
"""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = ROOT / "tests" / "golden_notes"
TIMING_KEYS = {"seconds_per_clip"}
MS = re.compile(r"\d[\d,]*(?:\.\d+)? ms\b")
X_REAL_TIME = re.compile(r"\d[\d,]*(?:\.\d+)?× real time")

IN_MEMORY = (["--json", "{OUT}/note.json"], "note.json")
STREAMED = (["--out-dir", "{OUT}/run"], "run/note.json")
RAY = (["--out-dir", "{OUT}/run", "--engine", "ray", "--ray-cpus", "2"], "run/note.json")


def _report(data: str, task: str, how: tuple[list[str], str]) -> tuple[list[str], str]:
    """The `report` command line for `data` and `task` made `how` (IN_MEMORY, STREAMED, RAY), and its note JSON."""
    options, note = how
    return ["report", data, "--task", task, *options, "--out", "{OUT}/note.md"], note


# name -> (command arguments after `python -m audiodiag`, the note JSON it writes relative to the output folder)
NOTES: dict[str, tuple[list[str], str]] = {
    "classify_digits": _report("spoken_digits", "classify", IN_MEMORY),
    "classify_sounds": _report("sounds", "classify", IN_MEMORY),
    "classify_digits_streamed": _report("spoken_digits", "classify", STREAMED),
    "classify_digits_ray": _report("spoken_digits", "classify", RAY),
    "retrieve_sounds": _report("sounds", "retrieve", IN_MEMORY),
    "transcribe_utterances": _report("utterances", "transcribe", IN_MEMORY),
    "transcribe_utterances_streamed": _report("utterances", "transcribe", STREAMED),
}


# the recording each note must equal: a streamed run (local engine or Ray) writes the in-memory run's note
GOLDEN_OF = {name: name.removesuffix("_streamed").removesuffix("_ray") for name in NOTES}


def masked(value):
    """The note with its timings replaced by "<timing>"."""
    if isinstance(value, dict):
        return {k: "<timing>" if k in TIMING_KEYS else masked(v) for k, v in value.items()}
    if isinstance(value, list):
        return [masked(v) for v in value]
    if isinstance(value, str):
        return X_REAL_TIME.sub("<timing>× real time", MS.sub("<timing> ms", value))
    return value


def produce(name: str, out: Path, cache: Path) -> dict:
    """The masked note `name`, made now by the CLI in a fresh process (its own output folder, a shared cache)."""
    arguments, note = NOTES[name]
    out.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "AUDIODIAG_CACHE_DIR": str(cache), "HF_HUB_OFFLINE": "1"}
    done = subprocess.run([sys.executable, "-m", "audiodiag", *[a.replace("{OUT}", str(out)) for a in arguments]],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=900)
    if done.returncode not in (0, 1):
        raise RuntimeError(f"{name}: exit {done.returncode}\n{done.stderr[-3000:]}")
    return masked(json.loads((out / note).read_text(encoding="utf-8")))


def machine() -> dict:
    from benchmarks.harness import machine as described
    from benchmarks.harness import simd

    return {"simd": simd(), "machine": described()}


def record() -> None:
    import tempfile

    GOLDEN.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        for name in sorted(set(GOLDEN_OF.values())):
            print(f"recording {name} ...", file=sys.stderr, flush=True)
            note = produce(name, Path(tmp) / name, Path(tmp) / "cache")
            (GOLDEN / f"{name}.json").write_text(json.dumps(note, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    (GOLDEN / "machine.json").write_text(json.dumps(machine(), indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    record()
