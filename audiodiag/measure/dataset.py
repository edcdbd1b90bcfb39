"""Dataset-level checks: sample rates and channels against the target model, padding, duration
shortcuts, speech vs non-speech, and the per-clip warnings that depend on the rest of the dataset (loudness far
from the others; low SNR, judged only in a speech dataset). Per-clip warnings are aggregated so each names its
files once.
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from audiodiag.findings import Category, Code, in_category
from audiodiag.measure import levels, vad
from audiodiag.measure.per_clip import ClipStats, clip_findings, clip_stats
from audiodiag.represent.encoders import AISFX, DEFAULT_TARGET, EncoderSpec, get_spec, install_command
from audiodiag.represent.spaces import PaddingPolicy
from audiodiag.types import Clip, Finding, SpeechRegion

MAX_NAMED_FILES = 5  # a warning lists this many files, then "and N more"
PADDING_DOMINATES = 0.5  # warn when the mean input is more than half padding
TRUNCATION_WARN = 0.10  # warn when more than 10 % of all audio is cut away
DURATION_SHORTCUT_RATIO = 1.5  # label medians this far apart ...
DURATION_SHORTCUT_P = 0.01  # ... and significantly different (Kruskal-Wallis) -> shortcut warning
SPEECH_DATASET_MIN = levels.SPEECH_MAJORITY  # a speech encoder on a dataset with less speech gets a warning
NON_SPEECH_CLIP = 0.2  # clips with less speech than this count as non-speech
WARN_SNR_DB = 10.0  # speech less than this above the background in its pauses (levels.SNR_SPEECH), in a speech dataset


@dataclass(frozen=True)
class PaddingReport:
    clip_length_s: float
    fraction_padded: float  # clips shorter than the length
    mean_padding_fraction: float  # mean over clips of (padding / input length)
    fraction_truncated: float  # clips longer than the length
    fraction_audio_lost: float  # truncated seconds / total seconds
    most_padded: tuple[tuple[str, float], ...]  # (file, padding fraction), largest first


@dataclass(frozen=True)
class DatasetAnalysis:
    stats: tuple[ClipStats, ...]
    speech: tuple[tuple[SpeechRegion, ...], ...]
    padding: PaddingReport | None  # None: no pad/cut length in use (each clip at its own length)
    findings: tuple[Finding, ...]
    clip_findings: dict[str, tuple[Finding, ...]] = field(default_factory=dict)

    @property
    def speech_fraction(self) -> float:
        """Duration-weighted share of speech in the whole dataset."""
        return speech_share(self.stats)


def speech_share(stats: Sequence[ClipStats]) -> float:
    """Duration-weighted share of speech (VAD) in all the clips' audio."""
    total = sum(s.duration_s for s in stats)
    return sum(s.duration_s * (s.speech_fraction or 0.0) for s in stats) / total if total else 0.0


def name_files(files: Sequence[str]) -> str:
    shown = ", ".join(files[:MAX_NAMED_FILES])
    return shown + (f" and {len(files) - MAX_NAMED_FILES} more" if len(files) > MAX_NAMED_FILES else "")


def sample_rate_findings(stats: Sequence[ClipStats], spec: EncoderSpec) -> list[Finding]:
    """Clips not at the model's rate, grouped by rate; mixed rates or channel counts in one dataset."""
    out = []
    by_rate: dict[int, list[str]] = defaultdict(list)
    for s in stats:
        by_rate[s.sample_rate_hz].append(s.name)
    target = spec.sample_rate_hz
    for rate, files in sorted(by_rate.items()):
        if rate == target:
            continue
        what = f"{len(files)} clip(s) at {rate} Hz ({name_files(files)}) will be resampled from {rate} Hz to {target} Hz for {spec.name}"
        if rate < target:
            detail = (f". Upsampled, they carry no content above {rate // 2} Hz, so the model sees an empty band from "
                      f"{rate // 2} to {target // 2} Hz that it never saw in training. Fix: record at {target} Hz or "
                      "more, or compare against clips band-limited the same way")
            out.append(Finding(Code.SAMPLE_RATE_MISMATCH, "warning", what + detail, tuple(files)))
        else:
            detail = f". Content above {target // 2} Hz is discarded (expected, as the model was trained at {target} Hz)"
            out.append(Finding(Code.SAMPLE_RATE_MISMATCH, "info", what + detail, tuple(files)))
    if len(by_rate) > 1:
        counts = ", ".join(f"{rate} Hz: {len(f)}" for rate, f in sorted(by_rate.items()))
        labelled = any(s.label is not None for s in stats)
        # only rates below the model's lose a band; higher ones are resampled down to the model's own band
        below = [rate for rate in sorted(by_rate) if rate < target]
        if labelled:
            why = ("A classifier can learn the recording rate instead of the sound. Fix: check the rate per label and "
                   "resample everything to one rate")
        elif below:
            why = (f"Clips recorded below {spec.name}'s {target} Hz ({', '.join(f'{r} Hz' for r in below)}) reach "
                   f"the model without their upper band. They hold nothing above half their rate ({below[0] // 2} Hz "
                   f"for {below[0]} Hz), so scores can differ by rate rather than by content. Fix: compare results per "
                   "sample rate, or resample everything to one rate")
        else:
            why = (f"Every rate is at or above {spec.name}'s {target} Hz, so after resampling each clip reaches the "
                   f"model with the same band (up to {target // 2} Hz). If the rates mark different recording set-ups, "
                   "compare results per sample rate")
        out.append(Finding(Code.MIXED_SAMPLE_RATES, "warning" if labelled or below else "info",
                           f"the dataset mixes sample rates ({counts}). {why}", tuple(s.name for s in stats)))
    by_channels: dict[int, list[str]] = defaultdict(list)
    for s in stats:
        by_channels[s.channels].append(s.name)
    if len(by_channels) > 1:
        counts = "; ".join(f"{ch} ch: {len(f)} ({name_files(f)})" for ch, f in sorted(by_channels.items()))
        out.append(Finding(Code.MIXED_CHANNELS, "warning", f"the dataset mixes channel counts: {counts}. All are "
                           "downmixed to mono here, which lowers the level of stereo clips with opposite-phase "
                           "content. Fix: export all clips with the same channel layout", tuple(s.name for s in stats)))
    return out


def padding_report(stats: Sequence[ClipStats], *, clip_length_s: float) -> PaddingReport:
    """What padding/truncating every clip to `clip_length_s` does to this dataset."""
    durations = np.array([s.duration_s for s in stats])
    pad = np.clip(clip_length_s - durations, 0, None) / clip_length_s
    lost = np.clip(durations - clip_length_s, 0, None)
    order = np.argsort(-pad)[:MAX_NAMED_FILES]
    return PaddingReport(
        clip_length_s=clip_length_s, fraction_padded=float(np.mean(durations < clip_length_s)),
        mean_padding_fraction=float(pad.mean()), fraction_truncated=float(np.mean(durations > clip_length_s)),
        fraction_audio_lost=float(lost.sum() / durations.sum()),
        most_padded=tuple((stats[i].name, float(pad[i])) for i in order if pad[i] > 0),
    )


def padding_findings(report: PaddingReport) -> list[Finding]:
    """Warnings for an explicit pad/cut length: padding that dominates the inputs, audio lost to cutting."""
    out = []
    if report.mean_padding_fraction > PADDING_DOMINATES:
        worst = name_files([f"{n} ({p:.0%})" for n, p in report.most_padded])
        out.append(Finding(Code.PADDING_DOMINATES, "warning",
                           f"padded to {report.clip_length_s:.2f} s, the average input is "
                           f"{report.mean_padding_fraction:.0%} padding (expected < {PADDING_DOMINATES:.0%}). Most "
                           f"padded: {worst}. A model can key on how much silence there is. Fix: choose a shorter "
                           "length, or no padding (each clip at its own length; encoders then pool only the frames "
                           "of real audio)", tuple(n for n, _ in report.most_padded)))
    if report.fraction_audio_lost > TRUNCATION_WARN:
        out.append(Finding(Code.TRUNCATION, "warning",
                           f"cutting clips to {report.clip_length_s:.2f} s discards {report.fraction_audio_lost:.0%} "
                           f"of all audio ({report.fraction_truncated:.0%} of clips are cut; expected < "
                           f"{TRUNCATION_WARN:.0%} lost). Fix: use a longer length, no cutting, or split long clips "
                           "into windows"))
    return out


def fixed_input_findings(spec: EncoderSpec, stats: Sequence[ClipStats]) -> list[Finding]:
    """A model with a fixed input window (Whisper: 30 s) pads every clip to it, whatever the policy."""
    if not spec.fixed_input_s:
        return []
    median = float(np.median([s.duration_s for s in stats]))
    pad = max(0.0, 1 - median / spec.fixed_input_s)
    if pad <= PADDING_DOMINATES:
        return []
    fix = ("To see whether that matters, compare with the unpadded input mode (whisper-tiny.en-unpadded), which "
           "audiodiag also offers" if "whisper" in spec.name.lower() else
           "Fix: compare with an encoder without a fixed window (e.g. the unpadded Whisper encoder), or concatenate "
           "short clips into longer inputs")
    return [Finding(Code.FIXED_INPUT_PADDING, "warning",
                    f"{spec.name} pads every input to {spec.fixed_input_s:g} s. The median clip ({median:.2f} s) "
                    f"becomes {pad:.0%} padding, so the model sees each sound inside a window that is mostly "
                    f"silence. {fix}")]


def duration_shortcut_findings(stats: Sequence[ClipStats]) -> list[Finding]:
    """Warn when clip duration alone separates the labels: a shortcut a model can learn."""
    by_label: dict[str, list[float]] = defaultdict(list)
    for s in stats:
        if s.label is not None:
            by_label[s.label].append(s.duration_s)
    # Labels with one clip cannot enter the test, so they must not set the compared medians either.
    groups = {label: v for label, v in by_label.items() if len(v) >= 2}
    if len(groups) < 2:
        return []
    medians = {label: float(np.median(v)) for label, v in groups.items()}
    lo, hi = min(medians, key=medians.get), max(medians, key=medians.get)
    if medians[lo] <= 0 or medians[hi] / medians[lo] < DURATION_SHORTCUT_RATIO:
        return []
    try:
        from scipy import stats  # ~1 s to import: only when there are labels to test

        p = float(stats.kruskal(*groups.values()).pvalue)
    except ValueError:  # all durations identical
        return []
    if p >= DURATION_SHORTCUT_P:
        return []
    return [Finding(Code.DURATION_SHORTCUT, "warning",
                    f"clip duration differs strongly between labels: median {medians[hi]:.2f} s for '{hi}' vs "
                    f"{medians[lo]:.2f} s for '{lo}' (ratio {medians[hi] / medians[lo]:.1f}, Kruskal-Wallis "
                    f"p = {p:.1e}; expected similar durations). A model can learn the length instead of the "
                    "sound. Fix: trim silence and crop/pad every clip to one length before comparing models")]


def speech_findings(stats: Sequence[ClipStats], spec: EncoderSpec | Sequence[EncoderSpec],
                    dataset_speech: float) -> list[Finding]:
    """One finding naming every speech model in `spec` when voice activity detection finds little speech.

    It says what is known before any measurement (the model was trained on speech); whether its features still
    separate these sounds is for the comparison to show (the note adds the measured result)."""
    specs = [spec] if isinstance(spec, EncoderSpec) else list(spec)
    speech_models = [s.name for s in specs if s.speech_model]
    if not speech_models or dataset_speech >= SPEECH_DATASET_MIN:
        return []
    non_speech = [s.name for s in stats if (s.speech_fraction or 0.0) < NON_SPEECH_CLIP]
    models = (speech_models[0] if len(speech_models) == 1
              else ", ".join(speech_models[:-1]) + " and " + speech_models[-1])
    return [Finding(Code.NON_SPEECH_FOR_SPEECH_ENCODER, "warning",
                    f"{models} {'is a speech model' if len(speech_models) == 1 else 'are speech models'}. But voice "
                    f"activity detection finds speech in only {dataset_speech:.0%} of this dataset's audio (expected > "
                    f"{SPEECH_DATASET_MIN:.0%}). {len(non_speech)} of {len(stats)} clips are < {NON_SPEECH_CLIP:.0%} "
                    f"speech, e.g. {name_files(non_speech)}. Whether features trained on speech describe these sounds "
                    "has to be measured against the spectral baseline" + SOUND_ENCODER_ADVICE, tuple(non_speech))]


def sound_encoder_advice(install: str) -> str:
    """The non-speech finding's suggestion; `install`: the command aiSFX still needs here ("" when installed), so
    the install command is given only where aiSFX cannot be imported."""
    offline = f"aiSFX, `{install}`" if install else "aiSFX, installed here"
    return f". A sound encoder is the natural first try (offline: {offline}; with a model hub: AST or CLAP)"


# the non-speech finding's suggestion, the last sentence of its message: the decision note drops it where the run
# measured aiSFX itself, and the message before it still ends on a whole sentence
SOUND_ENCODER_ADVICE = sound_encoder_advice(install_command(AISFX))


def loudness_findings(stats: Sequence[ClipStats]) -> list[Finding]:
    """One finding per clip whose integrated loudness is far from the dataset's (see levels.loudness_outliers)."""
    out = []
    for name, lufs, median, low, high in levels.loudness_outliers([s.name for s in stats],
                                                                   [s.loudness_lufs for s in stats]):
        side = "quieter" if lufs < median else "louder"
        out.append(Finding(Code.LOUDNESS_OUTLIER, "warning",
                           f"{name}: integrated loudness {lufs:.1f} LUFS, {abs(lufs - median):.1f} LU {side} than "
                           f"the dataset median ({median:.1f} LUFS; expected {low:.1f} to {high:.1f} LUFS). Fix: check "
                           "its recording gain, or loudness-normalise every clip (e.g. pyloudnorm.normalize.loudness "
                           "to -23 LUFS) unless loudness is part of what its label means", (name,)))
    return out


def snr_findings(stats: Sequence[ClipStats]) -> list[Finding]:
    """Low SNR of speech clips, only in a speech dataset: on other sounds VAD can mistake a call or a tone for
    speech, and the "pauses" are then part of the sound."""
    if speech_share(stats) < SPEECH_DATASET_MIN:
        return []
    return [Finding(Code.LOW_SNR, "warning", f"{s.name}: speech is {s.snr_db:.1f} dB above the background in its pauses "
                    f"(expected at least {WARN_SNR_DB:g} dB). That is noisy for ASR and speech encoders. Fix: denoise "
                    "it, or keep it if the audio the model will meet is just as noisy", (s.name,))
            for s in stats if s.snr_method == levels.SNR_SPEECH and s.snr_db is not None and s.snr_db < WARN_SNR_DB]


def per_clip_findings(stats: Sequence[ClipStats]) -> dict[str, tuple[Finding, ...]]:
    """Every clip's warnings: its own (checks.clip_findings) and those judged against the rest of the dataset."""
    out = {s.name: list(clip_findings(s)) for s in stats}
    for f in (*loudness_findings(stats), *snr_findings(stats)):
        out[f.files[0]].append(f)
    return {name: tuple(fs) for name, fs in out.items()}


def aggregate(per_clip: dict[str, tuple[Finding, ...]]) -> list[Finding]:
    """One dataset row per warning code, naming every affected file."""
    by_code: dict[str, list[Finding]] = defaultdict(list)
    for findings in per_clip.values():
        for f in findings:
            by_code[f.code].append(f)
    out = []
    for code, items in by_code.items():
        files = [f.files[0] for f in items]
        if len(items) == 1:
            out.append(items[0])
        else:
            out.append(Finding(code, items[0].severity, f"{len(items)} clips: {items[0].message} "
                               f"(also: {name_files(files[1:])})", tuple(files)))
    return out


def measure(clips: Sequence[Clip], *, progress: Callable[[int, int], None] | None = None, loudness: bool = True,
            ) -> tuple[list[ClipStats], list[list[SpeechRegion]]]:
    """Per-clip measurements and VAD speech regions (the expensive part; independent of the target model).
    loudness: see checks.clip_stats. `workers.measure` shares the clips among processes.

    progress(clips done, clips in all) after each MEASURE_BATCH_CLIPS batch (the numbers do not depend on it).
    """
    stats: list[ClipStats] = []
    speech: list[list[SpeechRegion]] = []
    step = MEASURE_BATCH_CLIPS if progress else max(1, len(clips))
    for start in range(0, len(clips), step):
        batch = clips[start:start + step]
        regions = vad.speech_regions(batch)
        stats += [clip_stats(c, speech=r, loudness=loudness) for c, r in zip(batch, regions, strict=True)]
        speech += regions
        if progress:
            progress(len(stats), len(clips))
    return stats, speech


def check(
    stats: Sequence[ClipStats],
    speech: Sequence[Sequence[SpeechRegion]],
    *,
    spec: EncoderSpec | None,
    clip_length_s: float | None = None,
) -> DatasetAnalysis:
    """Check measured clips against the target model (cheap: re-run freely when settings change).

    spec None: no target model (`audiodiag check` without --encoder): only the checks that need none.
    clip_length_s: the length inputs are padded/cut to; None (default): no padding or cutting, so no padding
    warnings (a model with a fixed input window is still checked).
    """
    if not stats:
        raise ValueError("no clips to check; upload files or pick a sample dataset")
    per_clip = per_clip_findings(stats)
    padding = padding_report(stats, clip_length_s=clip_length_s) if clip_length_s else None
    report = DatasetAnalysis(tuple(stats), tuple(tuple(r) for r in speech), padding, (), per_clip)
    model = ([] if spec is None else sample_rate_findings(stats, spec)
             + speech_findings(stats, spec, report.speech_fraction))
    findings = (model + (padding_findings(padding) if padding else [])
                + ([] if spec is None else fixed_input_findings(spec, stats))
                + duration_shortcut_findings(stats) + aggregate(per_clip))
    return DatasetAnalysis(report.stats, report.speech, padding, tuple(findings), per_clip)


def analyse(
    clips: Sequence[Clip],
    *,
    spec: EncoderSpec | None = None,
    clip_length_s: float | None = None,
    progress: Callable[[float, str], None] | None = None,
    measure_batch: Callable[[Sequence[Clip]], tuple[list[ClipStats], list[list[SpeechRegion]]]] | None = None,
) -> DatasetAnalysis:
    """Measure every clip (VAD included) in batches, then check the dataset against the target model.

    spec: the target model the data is checked against (None: the default target, encoders.DEFAULT_TARGET).
    measure_batch: replaces `measure` for each batch (the app passes a cached version).
    """
    spec = spec or get_spec(DEFAULT_TARGET)
    if not clips:
        raise ValueError("analyse() needs at least one clip; upload files or pick a sample dataset")
    stats: list[ClipStats] = []
    speech: list[list[SpeechRegion]] = []
    for start in range(0, len(clips), MEASURE_BATCH_CLIPS):
        if progress:
            end = min(len(clips), start + MEASURE_BATCH_CLIPS)
            progress(start / len(clips), f"Measuring clips {start + 1}-{end} of {len(clips)} (VAD, levels)")
        s, r = (measure_batch or measure)(clips[start:start + MEASURE_BATCH_CLIPS])
        stats += s
        speech += r
    return check(stats, speech, spec=spec, clip_length_s=clip_length_s)


MEASURE_BATCH_CLIPS = 64  # clips measured together (VAD batches them); progress updates between batches


MODEL_INPUT_FINDINGS = in_category(Category.MODEL_INPUT)  # the Inspect warnings that matter to a comparison


def model_input_findings(stats: Sequence[ClipStats], speech: Sequence[Sequence[SpeechRegion]],
                         specs: Sequence[EncoderSpec], *, padding: PaddingPolicy) -> list[Finding]:
    """The Inspect warnings that matter for a comparison, checked against every chosen encoder.

    Sample rate, speech vs non-speech (one finding naming every speech model), padding (only for a pad/cut
    length the comparison uses, and for fixed-input models) and the duration-vs-label shortcut; each distinct
    message once.
    """
    seen, out = set(), []
    for spec in specs or [None]:  # no encoder (the baseline alone): the checks that need no model still run
        report = check(stats, speech, spec=spec, clip_length_s=padding.length_s)
        for f in report.findings:
            if f.code in MODEL_INPUT_FINDINGS and f.code != Code.NON_SPEECH_FOR_SPEECH_ENCODER and f.message not in seen:
                seen.add(f.message)
                out.append(f)
    if stats:  # after the sample-rate finding, as on Inspect
        out[1:1] = speech_findings(stats, specs, speech_share(stats))
    return out
