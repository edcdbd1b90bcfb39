"""The measured tables in README.md, generated from one run so they cannot go stale.

    python -m benchmarks.readme_numbers            # measure, write benchmarks/readme_numbers.json, patch README.md
    python -m benchmarks.readme_numbers --render   # only re-render README.md from the JSON

Every number comes from the library's own pipelines (`decide.run_classification`, `asr.transcribe_cached`,
`wer.score`) on the bundled synthetic sets and, where `../shared/sample_audio` is present, on the real
recordings there; each column names its data. README blocks sit between `<!-- numbers:NAME -->` and
`<!-- /numbers:NAME -->`; tests/test_repo.py checks that README.md equals the rendering of the committed JSON.
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
    from audiodiag import samples

    return (samples.SAMPLE_ROOT if kind == "bundled" else REAL_AUDIO) / name


def _clips(kind: str, name: str) -> list:
    from audiodiag import io

    return list(io.iter_clips(io.load_folder(_folder(kind, name))))


def measure_classification(kind: str, name: str) -> dict:
    from audiodiag import decide
    from audiodiag.settings import ComparisonSettings

    decision = decide.run_classification(_clips(kind, name), ComparisonSettings(encoders=ENCODERS), dataset_name=name,
                                         progress=lambda m: print(f"  {name}: {m}", file=sys.stderr))
    comparison = decision.comparison
    baseline = comparison.rungs[0]
    out = {"folds": comparison.folds.n_splits, "strategy": comparison.folds.strategy, "clips": len(comparison.labels),
           "spaces": {}}
    split = baseline.split_check
    out["baseline_random_folds"] = None if split is None else split.random_accuracy
    for rung in comparison.rungs:
        a = rung.metrics.accuracy
        out["spaces"][BASELINE_NAME if rung is baseline else rung.space] = {
            "accuracy": [a.value, a.ci_low, a.ci_high], "ms_per_clip": 1000 * rung.seconds_per_clip}
    for pair in comparison.paired:
        out["spaces"][pair.name_b].update(verdict=pair.verdict, p_value=pair.p_value)
    return out


def measure_transcription(kind: str, name: str) -> dict:
    import tempfile

    from audiodiag import asr, references, wer

    clips = _clips(kind, name)
    refs = references.folder_references(_folder(kind, name), clips)
    with tempfile.TemporaryDirectory() as cache:  # a cold run, so the speed is measured
        import time

        model = asr.load_transcriber(asr.BUNDLED_ASR)
        start = time.perf_counter()
        hyps = asr.transcribe_cached(model, clips, cache_dir=cache)
        seconds = time.perf_counter() - start
    audio_s = sum(c.duration_s for c in clips)
    return {"utterances": len(clips), "audio_s": audio_s, "x_real_time": audio_s / seconds,
            **{f"wer_{norm}": wer.score(refs, hyps, normalisation=norm).corpus_wer.value
               for norm in ("basic", "english")}}


def measure() -> dict:
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


# ---------------------------------------------------------------- rendering

def _p(p: float) -> str:
    return f"p = {p:.2g}" if p >= 1e-3 else f"p = {p:.0e}"


def _cell(space: dict | None) -> str:
    if space is None:
        return "—"
    value, low, high = space["accuracy"]
    text = f"{value:.3f} [{low:.2f}, {high:.2f}]"
    if "verdict" in space:
        verdict = {"yes": "**beats it**", "no": "worse", "inconclusive": "inconclusive"}[space["verdict"]]
        text += f", {verdict} ({_p(space['p_value'])})"
    return text


def render_classification(results: dict) -> str:
    sets = [(title, results["classify"].get(f"{kind}/{name}")) for title, kind, name in CLASSIFY_SETS]
    sets = [(title, r) for title, r in sets if r is not None]
    lines = ["| space | " + " | ".join(title for title, _ in sets) + " | ms/clip |",
             "|---|" + "---|" * len(sets) + "---|"]
    for space in (BASELINE_NAME, *ENCODERS):
        ms = [r["spaces"][space]["ms_per_clip"] for _, r in sets if space in r["spaces"]]
        lines.append(f"| {space} | " + " | ".join(_cell(r["spaces"].get(space)) for _, r in sets)
                     + f" | {min(ms):.1f}–{max(ms):.1f} |")
    random = [f"{r['baseline_random_folds']:.3f}" if r["baseline_random_folds"] is not None else "—" for _, r in sets]
    lines.append("| spectral baseline, **random** folds (leaks speaker/source) | " + " | ".join(random) + " | |")
    folds = [f"{r['folds']} ({'group-aware' if r['strategy'] == 'StratifiedGroupKFold' else 'random'})" for _, r in sets]
    lines.append("| folds | " + " | ".join(folds) + " | |")
    return "\n".join(lines)


def render_transcription(results: dict) -> str:
    lines = ["| data | utterances | audio | corpus WER, basic | corpus WER, english | speed |", "|---|---|---|---|---|---|"]
    for title, kind, name in TRANSCRIBE_SETS:
        r = results["transcribe"].get(f"{kind}/{name}")
        if r is not None:
            lines.append(f"| {title} | {r['utterances']} | {r['audio_s']:.0f} s | {r['wer_basic']:.1%} | "
                         f"{r['wer_english']:.1%} | {r['x_real_time']:.1f}× real time |")
    return "\n".join(lines)


BLOCKS = {"encoders": render_classification, "transcribe": render_transcription}


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
    args = parser.parse_args(argv)
    if not args.render:
        RESULTS_JSON.write_text(json.dumps(measure(), indent=1) + "\n", encoding="utf-8")
    results = json.loads(RESULTS_JSON.read_text(encoding="utf-8"))
    README.write_text(render_readme(README.read_text(encoding="utf-8"), results), encoding="utf-8")
    print(f"wrote {RESULTS_JSON.relative_to(ROOT)} and README.md", file=sys.stderr)


if __name__ == "__main__":
    main()
