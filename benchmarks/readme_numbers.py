"""The measured tables in README.md, generated from one run so they cannot go stale.

    python -m benchmarks.readme_numbers            # measure every variant, write the JSON, patch README.md
    python -m benchmarks.readme_numbers --render   # only re-render README.md from the JSON

Every number comes from the library's own pipelines (`decide.run_classification`, `asr.transcribe_cached`,
`wer.score`) on the bundled synthetic sets and, where `../shared/sample_audio` is present, on the real
recordings there; each column names its data. README blocks sit between `<!-- numbers:NAME -->` and
`<!-- /numbers:NAME -->`; tests/test_repo.py checks that README.md equals the rendering of the committed JSON.

Numbers from a model depend on the machine's numeric path: the int8 kernels CTranslate2 picks (MKL on Intel,
oneDNN/ruy on AMD; AVX2 or AVX-512), thread counts (summation order), BLAS. Each measurement therefore runs once
per numeric VARIANT this machine can produce, each in its own process; the README shows the default run's
number with the range over the variants, names the machine, and states a verdict only where every variant
reaches it.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
if str(ROOT) not in sys.path:  # also runnable as `python benchmarks/readme_numbers.py`
    sys.path.insert(0, str(ROOT))

RESULTS_JSON = HERE / "readme_numbers.json"
DEFAULT_VARIANT = "default"
# name -> (environment, the CPU flag it needs or None). CT2_USE_MKL=0 is the path CTranslate2 takes on AMD CPUs
# (it uses MKL only on Intel): on an AVX-512 EPYC the bundled utterances measured 18.9 % / 19.0 % WER, as this
# variant does on an Intel Xeon.
THREAD_VARS = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS")
VARIANTS: dict[str, tuple[dict[str, str], str | None]] = {
    DEFAULT_VARIANT: ({}, None),
    "1 thread": ({name: "1" for name in THREAD_VARS}, None),
    "CTranslate2 without MKL (as on AMD CPUs)": ({"CT2_USE_MKL": "0"}, None),
    "CTranslate2 AVX-512 kernels": ({"CT2_FORCE_CPU_ISA": "AVX512"}, "avx512f"),
}
README = ROOT / "README.md"
REAL_AUDIO = Path(os.environ.get("AUDIODIAG_REAL_AUDIO_DIR") or ROOT.parent / "shared" / "sample_audio")
BASELINE_NAME = "spectral baseline"
ENCODERS = ("speech_embedding", "aisfx", "whisper-tiny.en-unpadded")
# (column title, where the data is): bundled sets by name, real recordings by folder
CLASSIFY_SETS = (
    ("bundled `spoken_digits` (synthetic, 120 clips, 6 speakers)", "bundled", "spoken_digits"),
    ("bundled `sounds` (synthetic, 60 clips)", "bundled", "sounds"),
    ("real FSDD digits (100 clips, 5 speakers)", "real", "spoken_digits"),
    ("real non-speech `sounds` (60 clips)", "real", "sounds"),
)
TRANSCRIBE_SETS = (
    ("bundled `utterances` (synthetic espeak-ng speech)", "bundled", "utterances"),
    ("real read speech (LibriSpeech test-clean + LJ Speech)", "real", "utterances"),
)


# ---------------------------------------------------------------- measuring

def _folder(kind: str, name: str) -> Path:
    from audiodiag.data import sample_sets

    return (sample_sets.SAMPLE_ROOT if kind == "bundled" else REAL_AUDIO) / name


def _clips(kind: str, name: str) -> list:
    from audiodiag.data import layout

    return list(layout.iter_clips(layout.load_folder(_folder(kind, name))))


def measure_classification(kind: str, name: str) -> dict:
    from audiodiag.settings import ComparisonSettings
    from audiodiag.verdict import decide

    decision = decide.run_classification(_clips(kind, name), ComparisonSettings(encoders=ENCODERS), dataset_name=name,
                                         progress=lambda m: print(f"  {name}: {m}", file=sys.stderr))
    comparison = decision.comparison
    baseline = comparison.rungs[0]
    out = {"folds": comparison.folds.n_splits, "strategy": comparison.folds.strategy, "clips": len(comparison.labels),
           "spaces": {}}
    split = baseline.split_check
    out["baseline_random_folds"] = None if split is None else split.random_accuracy
    # rungs come baseline first, then one per encoder in the order asked for; keyed by encoder id (rung.space is
    # the display name, which may change)
    for space, rung in zip((BASELINE_NAME, *ENCODERS), comparison.rungs, strict=True):
        a = rung.metrics.accuracy
        out["spaces"][space] = {"accuracy": [a.value, a.ci_low, a.ci_high], "ms_per_clip": 1000 * rung.seconds_per_clip}
    for space, pair in zip(ENCODERS, comparison.paired, strict=True):
        out["spaces"][space].update(verdict=pair.verdict, p_value=pair.p_value)
    return out


def measure_transcription(kind: str, name: str) -> dict:
    import tempfile

    from audiodiag.asr import recognisers, references, wer

    clips = _clips(kind, name)
    refs = references.folder_references(_folder(kind, name), clips)
    with tempfile.TemporaryDirectory() as cache:  # a cold run, so the speed is measured
        import time

        model = recognisers.load_transcriber(recognisers.BUNDLED_ASR)
        start = time.perf_counter()
        hyps = recognisers.transcribe_cached(model, clips, cache_dir=cache)
        seconds = time.perf_counter() - start
    audio_s = sum(c.duration_s for c in clips)
    return {"utterances": len(clips), "audio_s": audio_s, "x_real_time": audio_s / seconds,
            **{f"wer_{norm}": wer.score(refs, hyps, normalisation=norm).corpus_wer.value
               for norm in ("basic", "english")}}


def measure() -> dict:
    """Every table's numbers, measured in this process (one numeric variant: the environment it runs in)."""
    results: dict = {"classify": {}, "transcribe": {}}
    for _, kind, name in CLASSIFY_SETS:
        if _folder(kind, name).is_dir():
            print(f"classify {kind} {name} ...", file=sys.stderr)
            results["classify"][f"{kind}/{name}"] = measure_classification(kind, name)
    for _, kind, name in TRANSCRIBE_SETS:
        if _folder(kind, name).is_dir():
            print(f"transcribe {kind} {name} ...", file=sys.stderr)
            results["transcribe"][f"{kind}/{name}"] = measure_transcription(kind, name)
    return results


def variants_here() -> dict[str, dict[str, str]]:
    """The VARIANTS this CPU can run: name -> environment."""
    from benchmarks.harness import cpu_flags

    flags = cpu_flags()
    return {name: env for name, (env, needs) in VARIANTS.items() if needs is None or needs in flags}


def measure_variants() -> dict:
    """{"machine", "date", "variants": {name: {"env", "classify", "transcribe"}}}: measure() once per variant, each in
    a fresh process (thread pools and CTranslate2's kernels are chosen from that variant's environment) with an
    empty cache (cached vectors would carry one variant's numbers, and its times, into the next)."""
    import datetime
    import subprocess
    import tempfile

    from benchmarks.harness import machine

    out: dict = {"machine": machine(), "date": datetime.date.today().isoformat(), "variants": {}}
    for name, env in variants_here().items():
        print(f"variant {name!r} {env} ...", file=sys.stderr)
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "variant.json"
            subprocess.run([sys.executable, "-m", "benchmarks.readme_numbers", "--one-variant", str(path)],
                           check=True, cwd=ROOT,
                           env={**os.environ, **env, "AUDIODIAG_CACHE_DIR": str(Path(tmp) / "cache")})
            out["variants"][name] = {"env": env, **json.loads(path.read_text(encoding="utf-8"))}
    return out


# ---------------------------------------------------------------- rendering

VERDICT_WORDS = {"yes": "**beats it**", "no": "worse", "inconclusive": "inconclusive"}
# verdict -> (one encoder, several)
READ_ACROSS_WORDS = {"yes": ("beats the baseline", "beat the baseline"),
                     "no": ("is worse than the baseline", "are worse than the baseline"),
                     "inconclusive": ("inconclusive", "inconclusive")}


def _runs(results: dict, table: str, key: str) -> dict[str, dict]:
    """variant name -> that variant's result for one data set, the default variant first."""
    return {name: variant[table][key] for name, variant in results["variants"].items() if key in variant[table]}


def _spread(values: list[float], fmt: str, *, suffix: str = "") -> str:
    """" (low–high)" when the variants' values differ at the shown precision, else nothing."""
    low, high = format(min(values), fmt), format(max(values), fmt)
    return "" if low == high else f" ({low.removesuffix('%')}–{high}{suffix})"


def _p(p: float) -> str:
    return f"{p:.2g}" if p >= 1e-3 else f"{p:.0e}"


def stable_verdict(spaces: list[dict]) -> str | None:
    """The verdict every variant reached, or None where they differ (then none is claimed)."""
    verdicts = {space["verdict"] for space in spaces}
    return verdicts.pop() if len(verdicts) == 1 else None


def _cell(runs: dict[str, dict], space: str) -> str:
    spaces = [r["spaces"][space] for r in runs.values() if space in r["spaces"]]
    default = runs[DEFAULT_VARIANT]["spaces"].get(space)
    if default is None:
        return "—"
    value, low, high = default["accuracy"]
    text = f"{value:.3f} [{low:.2f}, {high:.2f}]" + _spread([s["accuracy"][0] for s in spaces], ".3f")
    if "verdict" in default:
        verdict = stable_verdict(spaces)
        if verdict is None:
            yes = sum(s["verdict"] == "yes" for s in spaces)
            text += f", inconclusive (beats it in {yes} of {len(spaces)} variants)"
        else:
            p_values = [s["p_value"] for s in spaces]
            low_p, high_p = _p(min(p_values)), _p(max(p_values))
            text += f", {VERDICT_WORDS[verdict]} (p = {low_p if low_p == high_p else f'{low_p}–{high_p}'})"
    return text


def _footnote(results: dict) -> str:
    names = list(results["variants"])
    return (f"Measured on {results['machine']}, {results['date']}. A range in parentheses is the spread of that "
            f"number over the {len(names)} numeric variants run there ({'; '.join(names)}); a verdict is stated "
            "only where every variant reaches it. Expect another CPU's model numbers within about this spread "
            "(CTranslate2 without MKL is its path on AMD CPUs), and its times to scale with its speed.")


def render_classification(results: dict) -> str:
    sets = [(title, _runs(results, "classify", f"{kind}/{name}")) for title, kind, name in CLASSIFY_SETS]
    sets = [(title, runs) for title, runs in sets if runs]
    lines = ["| space | " + " | ".join(title for title, _ in sets) + " | ms/clip |",
             "|---|" + "---|" * len(sets) + "---|"]
    for space in (BASELINE_NAME, *ENCODERS):
        ms = [r["spaces"][space]["ms_per_clip"] for _, runs in sets for r in runs.values() if space in r["spaces"]]
        lines.append(f"| {space} | " + " | ".join(_cell(runs, space) for _, runs in sets)
                     + f" | {min(ms):.1f}–{max(ms):.1f} |")
    random = []
    for _, runs in sets:
        values = [r["baseline_random_folds"] for r in runs.values() if r["baseline_random_folds"] is not None]
        default = runs[DEFAULT_VARIANT]["baseline_random_folds"]
        random.append("—" if default is None else f"{default:.3f}" + _spread(values, ".3f"))
    lines.append("| spectral baseline, **random** folds (a speaker or source may sit in training and test) | " + " | ".join(random) + " | |")
    folds = [f"{r['folds']} ({'group-aware' if r['strategy'] == 'StratifiedGroupKFold' else 'random'})"
             for _, runs in sets for r in [runs[DEFAULT_VARIANT]]]
    lines.append("| folds | " + " | ".join(folds) + " | |")
    return "\n".join(lines) + "\n\n" + _footnote(results)


def render_read_across(results: dict) -> str:
    """One line per data set: what each encoder did against the baseline, where every variant agrees."""
    lines = []
    for title, kind, name in CLASSIFY_SETS:
        runs = _runs(results, "classify", f"{kind}/{name}")
        if not runs:
            continue
        said: dict[str, list[str]] = {}
        for space in ENCODERS:
            spaces = [r["spaces"][space] for r in runs.values() if space in r["spaces"]]
            said.setdefault((stable_verdict(spaces) if spaces else None) or "inconclusive", []).append(space)
        parts = []
        for verdict, spaces in said.items():
            one, several = READ_ACROSS_WORDS[verdict]
            words = several if len(spaces) > 1 else one
            parts.append(f"{' and '.join(spaces)}{': ' if verdict == 'inconclusive' else ' '}{words}")
        lines.append(f"- {title}: " + "; ".join(parts) + ".")
    return "\n".join(lines)


def render_transcription(results: dict) -> str:
    lines = ["| data | utterances | audio | corpus WER, basic | corpus WER, english | speed |", "|---|---|---|---|---|---|"]
    for title, kind, name in TRANSCRIBE_SETS:
        runs = _runs(results, "transcribe", f"{kind}/{name}")
        if not runs:
            continue
        r = runs[DEFAULT_VARIANT]
        wer = {norm: f"{r[f'wer_{norm}']:.1%}" + _spread([v[f"wer_{norm}"] for v in runs.values()], ".1%")
               for norm in ("basic", "english")}
        speed = f"{r['x_real_time']:.1f}×" + _spread([v["x_real_time"] for v in runs.values()], ".1f", suffix="×")
        lines.append(f"| {title} | {r['utterances']} | {r['audio_s']:.0f} s | {wer['basic']} | {wer['english']} | "
                     f"{speed} real time |")
    return "\n".join(lines) + "\n\n" + _footnote(results)


BLOCKS = {"encoders": render_classification, "read-across": render_read_across,
          "transcribe": render_transcription}


def block(name: str, text: str) -> str:
    return f"<!-- numbers:{name} -->\n{text}\n<!-- /numbers:{name} -->"


def render_readme(readme: str, results: dict) -> str:
    """README text with every numbers block replaced by its rendering of `results`."""
    for name, render in BLOCKS.items():
        start, end = f"<!-- numbers:{name} -->", f"<!-- /numbers:{name} -->"
        if start not in readme or end not in readme:
            raise SystemExit(f"README.md has no {start} ... {end} block")
        before, rest = readme.split(start, 1)
        _, after = rest.split(end, 1)
        readme = before + block(name, render(results)) + after
    return readme


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--render", action="store_true", help="re-render README.md from the JSON, no measuring")
    parser.add_argument("--one-variant", metavar="JSON", help=argparse.SUPPRESS)  # measure() in this process only
    args = parser.parse_args(argv)
    if args.one_variant:
        Path(args.one_variant).write_text(json.dumps(measure()), encoding="utf-8")
        return
    if not args.render:
        RESULTS_JSON.write_text(json.dumps(measure_variants(), indent=1) + "\n", encoding="utf-8")
    results = json.loads(RESULTS_JSON.read_text(encoding="utf-8"))
    README.write_text(render_readme(README.read_text(encoding="utf-8"), results), encoding="utf-8")
    print(f"wrote {RESULTS_JSON.relative_to(ROOT)} and README.md", file=sys.stderr)


if __name__ == "__main__":
    main()
