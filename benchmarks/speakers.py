"""Inferred voices against known speakers, and the estimated leakage against the measured one.

    python -m benchmarks.speakers            # measure, print, and write RESULTS.md's <!-- speakers --> block

On the bundled synthetic digits (6 espeak-ng speakers) and, where ../shared/sample_audio is present, the real FSDD
digits (5 speakers), with the speaker column removed:
- agreement of `speakers.estimate_speakers`' voices with the true speakers (ARI, purity, inverse purity) at the
  library's cut, next to the same clustering of the spectral baseline's features (a naive reference: no speaker
  encoder);
- the cut swept (why `speakers.VOICE_DISTANCE` is what it is: the best mean ARI over the two sets);
- per space, accuracy with random folds, with folds on the true speakers (measured) and with folds on the inferred
  voices (estimated): how far the estimate is from the measurement.
The cut was chosen on these same two sets, so the agreement here is not a held-out estimate.
"""
from __future__ import annotations

import datetime as dt
import sys
import time
from dataclasses import replace
from importlib.metadata import version
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
if str(ROOT) not in sys.path:  # also runnable as `python benchmarks/speakers.py`
    sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

from benchmarks.calibration.tables import replace_block  # noqa: E402
from benchmarks.harness import machine  # noqa: E402
from benchmarks.readme_numbers import REAL_AUDIO  # noqa: E402

RESULTS = HERE / "RESULTS.md"
BLOCK_START, BLOCK_END = "<!-- speakers -->", "<!-- /speakers -->"
SWEEP = (0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.9)
ENCODERS = ("whisper-tiny.en-unpadded", "speech_embedding")  # compared in the leakage table beside the baseline
SETS = (("bundled synthetic digits (espeak-ng, 120 clips)", ROOT / "sample_audio" / "spoken_digits"),
        ("real FSDD digits (100 clips)", REAL_AUDIO / "spoken_digits"))
N_BOOT = 200  # bootstrap resamples of compare()'s macro-F1 intervals (not reported here)


def _load(folder: Path):
    from audiodiag.data.layout import load_folder
    from audiodiag.types import Clip

    return [c for c in load_folder(folder) if isinstance(c, Clip)]


def measure(folder: Path) -> dict:
    """Everything the block reports for one set of digits."""
    from audiodiag.evaluation import compare
    from audiodiag.measure import dataset, speakers
    from audiodiag.represent import spaces

    clips = _load(folder)
    truth = [c.group for c in clips]
    ungrouped = [replace(c, group=None) for c in clips]
    stats, _ = dataset.measure(clips)
    share = dataset.speech_share(stats)
    speakers.speaker_encoder()  # load the model outside the timing
    started = time.perf_counter()
    voices = speakers.speaker_vectors(clips, cache_dir=_fresh_cache())  # computed, not read from a cache
    per_clip_s = (time.perf_counter() - started) / len(clips)
    estimate = speakers.estimate_speakers(ungrouped, speech_share=share, vectors=voices)
    found = speakers.agreement(truth, estimate.voices)
    baseline = spaces.space_vectors(clips, spaces.BASELINE)
    naive = speakers.agreement(truth, speakers.cluster_voices(baseline.vectors))
    sweep = {d: speakers.agreement(truth, speakers.cluster_voices(voices, distance=d)) for d in SWEEP}
    spaces_ = [baseline, *(spaces.space_vectors(clips, name) for name in ENCODERS)]
    estimated = compare.compare(ungrouped, spaces_, speakers=estimate, n_boot=N_BOOT)
    measured = compare.compare(clips, spaces_, n_boot=N_BOOT)
    leakage = [(r.space, r.metrics.accuracy.value, m.split_check.group_accuracy,
                None if r.estimated_split_check is None else r.estimated_split_check.group_accuracy)
               for r, m in zip(estimated.rungs, measured.rungs)]
    return {"n_clips": len(clips), "speech_share": share, "status": estimate.status, "agreement": found,
            "label_ami": estimate.label_ami, "naive": naive, "sweep": sweep, "per_clip_s": per_clip_s,
            "leakage": leakage, "claim": _claim(estimated)}


def _fresh_cache() -> str:
    import tempfile

    return tempfile.mkdtemp(prefix="bench-speakers-")


def _claim(comparison) -> str:
    from audiodiag import verdict

    claims = verdict.classification_claims(verdict.classification_evidence(comparison))
    return next(c.text for c in claims if c.kind is verdict.Kind.LEAKAGE_ESTIMATED)


def render(results: dict[str, dict], seconds: float) -> str:
    from audiodiag.measure import speakers

    out = ["## Speakers inferred from voices (`python -m benchmarks.speakers`)", "",
           f"- date: {dt.datetime.now(dt.timezone.utc):%Y-%m-%d %H:%M} UTC",
           f"- machine: {machine()}",
           f"- packages: resemblyzer {version('resemblyzer')} (weights only), torch {version('torch')}, "
           f"librosa {version('librosa')}, scikit-learn {version('scikit-learn')}",
           f"- command: `python -m benchmarks.speakers` (whole run {seconds:.0f} s)",
           f"- rule: voice vectors centred on the dataset's mean, {speakers.VOICE_LINKAGE}-linkage clustering on "
           f"cosine distance cut at {speakers.VOICE_DISTANCE:g} (`audiodiag.measure.speakers`); the speaker column "
           "removed "
           "first. The cut was chosen on these two sets (the sweep below): the agreement is not held out.",
           "- purity: share of clips whose inferred voice's most common speaker is theirs (1 = no voice mixes "
           "speakers); inverse purity: share of clips in their speaker's most common voice (1 = no speaker split). "
           "For the leakage check a merge is cautious (held-out folds get harder), a split lets a speaker leak.", "",
           "| data | speakers | inferred voices | ARI | purity | inverse purity | voices vs labels (AMI) | "
           "naive: the same clustering of the spectral baseline's features (voices, ARI) | speaker encoder per clip |",
           "|---|---|---|---|---|---|---|---|---|"]
    for name, r in results.items():
        a, n = r["agreement"], r["naive"]
        out.append(f"| {name} | {a.n_speakers} | {a.n_voices} | {a.ari:.2f} | {a.purity:.2f} | {a.inverse_purity:.2f} "
                   f"| {r['label_ami']:+.2f} | {n.n_voices}, {n.ari:.2f} | {r['per_clip_s'] * 1e3:.1f} ms |")
    names = list(results)
    out += ["", "Cut swept (inferred voices, ARI):", "",
            "| cosine distance | " + " | ".join(names) + " | mean ARI |", "|---|" + "---|" * (len(names) + 1)]
    for d in SWEEP:
        cells = [f"{results[n]['sweep'][d].n_voices} voices, {results[n]['sweep'][d].ari:.2f}" for n in names]
        mean = np.mean([results[n]["sweep"][d].ari for n in names])
        mark = " (the library's cut)" if d == speakers.VOICE_DISTANCE else ""
        out.append(f"| {d:g}{mark} | " + " | ".join(cells) + f" | {mean:.2f} |")
    out += ["", "Accuracy by fold rule (5 folds, seed 0; the same classifier in every space):", "",
            "| data | space | random folds | true speakers held out (measured) | inferred voices held out (estimated) "
            "| estimated − measured |", "|---|---|---|---|---|---|"]
    for name, r in results.items():
        for space, random_acc, measured_acc, estimated_acc in r["leakage"]:
            est = "—" if estimated_acc is None else f"{estimated_acc:.3f}"
            diff = "—" if estimated_acc is None else f"{estimated_acc - measured_acc:+.3f}"
            out.append(f"| {name} | {space} | {random_acc:.3f} | {measured_acc:.3f} | {est} | {diff} |")
    out += ["", "What the note says without the speaker column:", ""]
    out += [f"- {name}: {r['claim']}" for name, r in results.items()]
    return "\n".join(out) + "\n"


def main() -> int:
    started = time.perf_counter()
    results = {}
    for name, folder in SETS:
        if not folder.is_dir():
            print(f"{name}: {folder} not found, left out", file=sys.stderr)
            continue
        print(f"measuring {name} ...", file=sys.stderr, flush=True)
        results[name] = measure(folder)
    block = render(results, time.perf_counter() - started)
    print(block)
    RESULTS.write_text(replace_block(RESULTS.read_text(encoding="utf-8"), block, BLOCK_START, BLOCK_END, append=True),
                       encoding="utf-8")
    print(f"written to {RESULTS.relative_to(ROOT)}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
