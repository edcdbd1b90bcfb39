"""Regenerate the bundled sample datasets in sample_audio/ (run from the repo root: python tools/make_samples.py).

The project ships only audio it makes itself: real recordings live in ../shared/sample_audio/ for tests and
benchmarks and are never committed. These three sets are synthetic, CC0, and small, but each keeps the story
the app has to tell on it:

- spoken_digits: "zero" ... "nine" by six synthetic speakers (espeak-ng voices with their own pitch, rate,
  vocal-tract length, room and noise), speakers as groups: random folds (the other take of the same speaker
  is in training) score higher than speaker-held-out folds, and a speech encoder beats the spectral baseline.
- sounds: five non-speech classes (engine, rain, birdsong, bell, footsteps) whose clip levels and durations
  are drawn from the same distributions for every class, so neither loudness nor duration separates them;
  groups are source recordings. A speech target model on this set triggers the non-speech warning.
- utterances: sentences written for this project, with reference transcripts, at 22.05 kHz mono plus one
  copy at 44.1 kHz stereo and one at 8 kHz (telephone band), for transcription.

Everything is deterministic: speech comes from espeak-ng (deterministic for a given version), noise from
numpy's legacy RandomState (whose streams numpy keeps stable), resampling from soxr, and samples are rounded
to 16-bit PCM here rather than by the writer. Running the script twice gives byte-identical files; another
espeak-ng version changes the speech files, so the script warns about it.

Needs: numpy, scipy, soundfile, soxr (requirements.txt) and espeak-ng (Debian: apt-get install espeak-ng).
"""
from __future__ import annotations

import csv
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import scipy.signal
import soundfile as sf
import soxr

ROOT = Path(__file__).resolve().parent.parent
OUT_ROOT = ROOT / "sample_audio"
SCRIPT_REL = "tools/make_samples.py"

ESPEAK = "espeak-ng"
ESPEAK_NATIVE_RATE = 22050  # espeak-ng always writes 22.05 kHz mono 16-bit
EXPECTED_ESPEAK_VERSION = "1.51"  # the version the committed files were made with
PCM_SUBTYPE = "PCM_16"
BASE_SEED = 20261128


# --- shared helpers --------------------------------------------------------------------------------------
def db_to_amp(db: float) -> float:
    return float(10.0 ** (db / 20.0))


def rms_db(x: np.ndarray) -> float:
    return float(20.0 * np.log10(max(np.sqrt(np.mean(x ** 2)), 1e-12)))


def to_pcm16(x: np.ndarray) -> np.ndarray:
    """Round to 16-bit ourselves so the files do not depend on the writer's float conversion."""
    return np.clip(np.round(x * 32767.0), -32768, 32767).astype(np.int16)


def write_wav(path: Path, x: np.ndarray, rate: int) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    sf.write(str(path), to_pcm16(x), rate, subtype=PCM_SUBTYPE, format="WAV")


def write_csv(path: Path, header: list[str], rows: list[list[str]]) -> None:
    """Fixed "\\n" line endings so the table is byte-identical on every OS."""
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)


def reset_dir(path: Path) -> None:
    """Remove a set this script owns before rewriting it, so renamed or dropped files do not linger."""
    if path.exists():
        shutil.rmtree(path)
    path.mkdir(parents=True)


def espeak_version() -> str:
    """The version line, without the data path (which differs between machines)."""
    if shutil.which(ESPEAK) is None:
        sys.exit(f"{ESPEAK} not found: install it (Debian/Ubuntu: apt-get install -y espeak-ng) and re-run")
    out = subprocess.run([ESPEAK, "--version"], check=True, capture_output=True, text=True).stdout
    return out.split("  Data at:")[0].strip()


def speak(text: str, voice: str, speed: int, pitch: int, workdir: Path) -> np.ndarray:
    """espeak-ng to a temporary WAV, returned as float mono at ESPEAK_NATIVE_RATE."""
    tmp = workdir / "speech.wav"
    subprocess.run([ESPEAK, "-v", voice, "-s", str(speed), "-p", str(pitch), "-w", str(tmp), text],
                   check=True, capture_output=True)
    x, rate = sf.read(str(tmp), dtype="float64")
    if rate != ESPEAK_NATIVE_RATE or x.ndim != 1:
        raise RuntimeError(f"{ESPEAK} wrote {rate} Hz, {x.ndim}-D audio; expected {ESPEAK_NATIVE_RATE} Hz mono")
    return x


TRIM_FRAME_S = 0.010
TRIM_REL_DB = -40.0  # a frame is silence when its RMS is this far below the loudest frame ...
TRIM_ABS_DB = -60.0  # ... or below this absolute level (dBFS)


def trim_silence(x: np.ndarray, rate: int, pad_s: float) -> np.ndarray:
    """Cut leading/trailing silence by frame RMS, keeping pad_s either side (espeak adds ~0.4 s of tail)."""
    frame = int(round(TRIM_FRAME_S * rate))
    n_frames = len(x) // frame
    rms = np.sqrt(np.mean(x[:n_frames * frame].reshape(n_frames, frame) ** 2, axis=1))
    level = 20.0 * np.log10(np.maximum(rms, 1e-12))
    active = np.nonzero((level > level.max() + TRIM_REL_DB) & (level > TRIM_ABS_DB))[0]
    if active.size == 0:
        return x
    pad = int(round(pad_s * rate))
    start = max(0, active[0] * frame - pad)
    stop = min(len(x), (active[-1] + 1) * frame + pad)
    return x[start:stop]


def room_impulse_response(rng: np.random.RandomState, rate: int, rt60_s: float) -> np.ndarray:
    """A direct path plus exponentially decaying noise (-60 dB after rt60_s): a plain synthetic room."""
    if rt60_s <= 0:
        return np.array([1.0])
    n = int(round(rt60_s * rate))
    t = np.arange(n) / rate
    tail = rng.standard_normal(n) * np.exp(-6.9078 * t / rt60_s) * 0.25
    tail[: int(0.003 * rate)] = 0.0  # first reflection after 3 ms
    rir = tail
    rir[0] = 1.0
    return rir / np.sqrt(np.sum(rir ** 2))


def band_pass(x: np.ndarray, rate: int, low_hz: float, high_hz: float, *, gentle: bool = False) -> np.ndarray:
    """Steep (4th order, forward-backward: a channel's band) or gentle (2nd order: a room's colour, which rolls
    off smoothly instead of ending at an edge)."""
    sos = scipy.signal.butter(2 if gentle else 4, [low_hz, min(high_hz, 0.45 * rate)], btype="bandpass", fs=rate,
                              output="sos")
    return scipy.signal.sosfilt(sos, x) if gentle else scipy.signal.sosfiltfilt(sos, x)


def scale_to(x: np.ndarray, level_db: float) -> np.ndarray:
    return x * db_to_amp(level_db - rms_db(x))


# --- spoken_digits ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Speaker:
    """One synthetic speaker: an espeak-ng voice and variant, its prosody, vocal tract and recording channel."""
    name: str
    voice: str  # espeak-ng -v (language + variant; no MBROLA voices, which carry their own licence)
    pitch: int  # espeak-ng -p, 0-99
    speed: int  # espeak-ng -s, words per minute
    tract: float  # playback-rate factor: > 1 shortens the vocal tract (higher formants and pitch), < 1 lengthens
    rt60_s: float  # room reverberation time; 0 = dry
    band_hz: tuple[float, float]  # the microphone/channel band
    noise_db: float  # background noise level relative to the speech RMS


DIGITS_DIR = "spoken_digits"
DIGIT_WORDS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
SPEAKERS = (
    Speaker("ava", "en-us+f3", 62, 160, 1.08, 0.0, (80.0, 3800.0), -45.0),
    Speaker("bram", "en-gb-x-rp+m3", 38, 145, 0.94, 0.35, (80.0, 3800.0), -38.0),
    Speaker("cleo", "en-029+f2", 70, 175, 1.12, 0.15, (300.0, 3400.0), -40.0),
    Speaker("dev", "en-gb-scotland+m7", 45, 150, 0.97, 0.25, (120.0, 3600.0), -32.0),
    Speaker("eli", "en-us-nyc+m1", 50, 140, 1.0, 0.5, (80.0, 3800.0), -42.0),
    Speaker("fay", "en+f4", 55, 165, 1.04, 0.1, (200.0, 3000.0), -35.0),
)
DIGIT_TAKES = ({"speed": -10, "pitch": -4}, {"speed": 10, "pitch": 4})  # offsets from the speaker's own
DIGIT_RATE = 8000
DIGIT_LEVEL_DB = (-26.0, -16.0)  # speech RMS of a clip, uniform per clip
DIGIT_TRIM_PAD_S = 0.060  # silence kept before and after a trimmed word, as real digit recordings have a little


def speaker_clip(word: str, speaker: Speaker, take: int, rng: np.random.RandomState, workdir: Path) -> np.ndarray:
    offsets = DIGIT_TAKES[take]
    x = speak(word, speaker.voice, speaker.speed + offsets["speed"], speaker.pitch + offsets["pitch"], workdir)
    x = trim_silence(x, ESPEAK_NATIVE_RATE, DIGIT_TRIM_PAD_S)
    # vocal-tract length: read the samples as if recorded at tract x the rate, then bring back to the native rate
    x = soxr.resample(x, ESPEAK_NATIVE_RATE, ESPEAK_NATIVE_RATE / speaker.tract)
    x = np.convolve(x, room_impulse_response(rng, ESPEAK_NATIVE_RATE, speaker.rt60_s))[: len(x) + int(
        0.3 * speaker.rt60_s * ESPEAK_NATIVE_RATE)]
    x = band_pass(x, ESPEAK_NATIVE_RATE, *speaker.band_hz)
    x = scale_to(x, rng.uniform(*DIGIT_LEVEL_DB))
    x = x + rng.standard_normal(len(x)) * db_to_amp(rms_db(x) + speaker.noise_db)
    return soxr.resample(x, ESPEAK_NATIVE_RATE, DIGIT_RATE)


def make_spoken_digits(workdir: Path) -> None:
    out = OUT_ROOT / DIGITS_DIR
    reset_dir(out)
    rows = []
    for digit, word in enumerate(DIGIT_WORDS):
        for si, speaker in enumerate(SPEAKERS):
            for take in range(len(DIGIT_TAKES)):
                rng = np.random.RandomState(BASE_SEED + 100 * digit + 10 * si + take)
                rel = f"{digit}/{speaker.name}_{take}.wav"
                write_wav(out / rel, speaker_clip(word, speaker, take, rng, workdir), DIGIT_RATE)
                rows.append([rel, str(digit), speaker.name])
    write_csv(out / "groups.csv", ["path", "label", "speaker"], rows)


# --- sounds ----------------------------------------------------------------------------------------------
SOUNDS_DIR = "sounds"
SOUND_CLASSES = ("engine", "rain", "birdsong", "bell", "footsteps")
SOUND_RATE = 16000
SOURCES_PER_CLASS = 3
CLIPS_PER_SOURCE = 4
CLIP_S = (0.6, 1.2)  # every clip's duration is uniform in this range, for every class alike
LEVEL_DB = (-34.0, -14.0)  # every clip's RMS level is uniform in this range, for every class alike
PEAK_CEILING_DB = -1.0  # a clip whose peak would pass this is scaled down to it (and its level recorded)
ROOM_TONE_DB = (-40.0, -25.0)  # each source's background noise, relative to the clip's foreground


def synth_engine(rng: np.random.RandomState, n: int) -> np.ndarray:
    """An idling engine: firing-rate pulses (f0 U(25, 45) Hz) through a body resonance, plus rumble."""
    t = np.arange(n) / SOUND_RATE
    f0 = rng.uniform(25.0, 45.0) * (1 + 0.03 * np.sin(2 * np.pi * rng.uniform(0.2, 1.0) * t))
    phase = 2 * np.pi * np.cumsum(f0) / SOUND_RATE
    x = sum(rng.uniform(0.3, 1.0) / k ** 0.7 * np.sin(k * phase + rng.uniform(0, 2 * np.pi)) for k in range(1, 16))
    rumble = band_pass(rng.standard_normal(n), SOUND_RATE, 40.0, rng.uniform(300.0, 700.0))
    return x + 0.5 * rumble / np.std(rumble) * np.std(x)


def synth_rain(rng: np.random.RandomState, n: int) -> np.ndarray:
    """Rain: a broadband hiss plus dense drops (short decaying high-frequency blips)."""
    hiss = band_pass(rng.standard_normal(n), SOUND_RATE, 500.0, 7500.0)
    drops = np.zeros(n + 400)
    for onset in rng.randint(0, n, size=int(rng.uniform(60, 160) * n / SOUND_RATE)):
        length = rng.randint(80, 400)
        f = rng.uniform(2000.0, 6000.0)
        tb = np.arange(length) / SOUND_RATE
        drops[onset:onset + length] += rng.uniform(0.2, 1.0) * np.exp(-tb / 0.004) * np.sin(2 * np.pi * f * tb)
    return 0.4 * hiss / np.std(hiss) + drops[:n] / max(np.std(drops), 1e-9)


def synth_birdsong(rng: np.random.RandomState, n: int) -> np.ndarray:
    """Birdsong: phrases of fast frequency-modulated whistles (2-7 kHz) with a weak second harmonic, gaps."""
    x = np.zeros(n)
    centre = rng.uniform(2500.0, 5000.0)
    pos = int(rng.uniform(0.0, 0.1) * SOUND_RATE)
    while pos < n:
        length = int(rng.uniform(0.04, 0.18) * SOUND_RATE)
        tb = np.arange(length) / SOUND_RATE
        f = centre * (1 + rng.uniform(-0.35, 0.35) * np.sin(2 * np.pi * rng.uniform(10, 40) * tb)
                      + rng.uniform(-0.3, 0.3) * tb / max(tb[-1], 1e-9))
        phase = 2 * np.pi * np.cumsum(f) / SOUND_RATE
        note = (np.sin(phase) + 0.2 * np.sin(2 * phase)) * np.hanning(length)
        take = min(length, n - pos)
        x[pos:pos + take] += rng.uniform(0.4, 1.0) * note[:take]
        pos += length + int(rng.uniform(0.02, 0.25) * SOUND_RATE)
    return x


BELL_RATIOS = (1.0, 2.76, 5.40, 8.93, 13.34)  # a struck bar/bell: inharmonic partials


def synth_bell(rng: np.random.RandomState, n: int) -> np.ndarray:
    """Bells: strikes of inharmonic partials over a per-source fundamental, every 0.3-0.6 s, each decaying."""
    f0 = rng.uniform(300.0, 900.0)
    decay = rng.uniform(0.3, 0.9)
    x = np.zeros(n)
    onsets = np.cumsum(rng.uniform(0.3, 0.6, size=int(n / SOUND_RATE / 0.3) + 1) * SOUND_RATE).astype(int)
    for onset in rng.randint(0, SOUND_RATE // 10) + np.r_[0, onsets[onsets < n - SOUND_RATE // 10]]:
        tb = np.arange(n - onset) / SOUND_RATE
        strike = sum(rng.uniform(0.3, 1.0) / (k + 1) * np.exp(-tb * (k + 1) / decay)
                     * np.sin(2 * np.pi * f0 * r * tb + rng.uniform(0, 2 * np.pi))
                     for k, r in enumerate(BELL_RATIOS) if f0 * r < 0.45 * SOUND_RATE)
        x[onset:] += rng.uniform(0.5, 1.0) * strike
    return x


def synth_footsteps(rng: np.random.RandomState, n: int) -> np.ndarray:
    """Footsteps: heel-toe thumps (decaying 60-200 Hz resonance + a scuff of noise) at 1.5-3 steps/s."""
    resonance = rng.uniform(60.0, 200.0)
    x = np.zeros(n + SOUND_RATE // 4)
    step = rng.uniform(0.33, 0.66)
    t0 = rng.uniform(0.0, step)
    while t0 * SOUND_RATE < n:
        for part, gain in ((0.0, 1.0), (rng.uniform(0.05, 0.09), 0.5)):
            onset = int((t0 + part) * SOUND_RATE)
            tb = np.arange(SOUND_RATE // 4) / SOUND_RATE
            thump = np.exp(-tb / 0.03) * np.sin(2 * np.pi * resonance * tb)
            scuff = np.exp(-tb / 0.01) * rng.standard_normal(len(tb)) * 0.3
            x[onset:onset + len(tb)] += gain * (thump + scuff)
        t0 += step * rng.uniform(0.9, 1.1)
    return x[:n]


SYNTHS = {"engine": synth_engine, "rain": synth_rain, "birdsong": synth_birdsong, "bell": synth_bell,
          "footsteps": synth_footsteps}


def make_sounds() -> list[list[str]]:
    """Write the clips and groups.csv; returns one row per source (class, group, seed, room tone) for ATTRIBUTION.

    A source is one "recording": a background room tone of its own under a foreground that keeps the
    source's character (engine pitch, bell tuning, bird's range ...). Its clips are cuts of that recording,
    so a random split leaks the source between train and test and a split by group does not.
    """
    out = OUT_ROOT / SOUNDS_DIR
    reset_dir(out)
    rows, sources = [], []
    for ci, name in enumerate(SOUND_CLASSES):
        for j in range(SOURCES_PER_CLASS):
            seed = BASE_SEED + 1000 * ci + j
            rng = np.random.RandomState(seed)
            lengths = [int(rng.uniform(*CLIP_S) * SOUND_RATE) for _ in range(CLIPS_PER_SOURCE)]
            foreground = SYNTHS[name](rng, sum(lengths))
            room_db = rng.uniform(*ROOM_TONE_DB)
            room = band_pass(rng.standard_normal(sum(lengths)), SOUND_RATE, 50.0, rng.uniform(2000.0, 7000.0),
                             gentle=True)
            group = f"{name}_src{j}"
            sources.append([name, group, str(seed), f"{room_db:.1f}"])
            start = 0
            for c, length in enumerate(lengths):
                fg = foreground[start:start + length]
                clip = fg + room[start:start + length] / np.std(room) * np.std(foreground) * db_to_amp(room_db)
                clip = scale_to(clip, rng.uniform(*LEVEL_DB))
                clip *= min(1.0, db_to_amp(PEAK_CEILING_DB) / np.max(np.abs(clip)))
                k = j * CLIPS_PER_SOURCE + c
                rel = f"{name}/{name}_{k}.wav"
                write_wav(out / rel, clip, SOUND_RATE)
                rows.append([rel, name, group])
                start += length
    write_csv(out / "groups.csv", ["path", "label", "source"], rows)
    return sources


# --- utterances ------------------------------------------------------------------------------------------
UTTERANCES_DIR = "utterances"
UTTERANCE_SPEAKERS = (SPEAKERS[0], SPEAKERS[4])  # alternated over the sentences
UTTERANCE_TRIM_PAD_S = 0.150  # sentences keep a natural lead-in; trimming only drops espeak's long tail
UTTERANCE_LEVEL_DB = -20.0
UTTERANCE_RATE = 16000  # espeak-ng's 22.05 kHz output resampled: the rate most ASR models expect
SENTENCES = (  # written for this project
    "The quick brown fox jumps over the lazy dog near the quiet river bank.",
    "Please remember to switch off the lights before you leave the office tonight.",
    "There are twenty five students waiting outside the library for the doors to open.",
    "Yes, Anna and Peter visited Paris, Rome and Berlin last summer; it rained every day!",
    "A gentle breeze carried the smell of fresh bread from the bakery down the street.",
    "Scientists measured the temperature of the lake every morning for three weeks in a row.",
    "If the train is late again, we will take a taxi to the airport instead.",
    "My grandmother grows tomatoes, beans and sunflowers in the small garden behind her house.",
)
STEREO_SENTENCE_INDEX = 6  # also written at 44.1 kHz stereo (resampling + downmix)
STEREO_RATE = 44100
PHONE_SENTENCE_INDEX = 1  # also written at 8 kHz, telephone band (an upsampling warning under a 16 kHz model)
PHONE_RATE = 8000


def make_utterances(workdir: Path) -> list[list[str]]:
    """Write the sentences (+ .txt references) and transcripts.csv; returns rows for ATTRIBUTION."""
    out = OUT_ROOT / UTTERANCES_DIR
    reset_dir(out)
    rows, notes = [], []

    def add(stem: str, x: np.ndarray, rate: int, text: str, speaker: Speaker, how: str) -> None:
        write_wav(out / f"{stem}.wav", x, rate)
        (out / f"{stem}.txt").write_text(text + "\n", encoding="utf-8")
        rows.append([f"{stem}.wav", text, speaker.name])
        notes.append([f"{stem}.wav", speaker.name, how])

    for i, text in enumerate(SENTENCES, start=1):
        speaker = UTTERANCE_SPEAKERS[(i - 1) % len(UTTERANCE_SPEAKERS)]
        x = trim_silence(speak(text, speaker.voice, speaker.speed, speaker.pitch, workdir),
                         ESPEAK_NATIVE_RATE, UTTERANCE_TRIM_PAD_S)
        x = scale_to(x, UTTERANCE_LEVEL_DB)
        stem = f"utt{i:02d}_{speaker.name}"
        add(stem, soxr.resample(x, ESPEAK_NATIVE_RATE, UTTERANCE_RATE), UTTERANCE_RATE, text, speaker,
            f"{UTTERANCE_RATE} Hz mono")
        if i - 1 == STEREO_SENTENCE_INDEX:
            y = soxr.resample(x, ESPEAK_NATIVE_RATE, STEREO_RATE)
            add(f"{stem}_44k_stereo", np.column_stack([y, y]), STEREO_RATE, text, speaker,
                f"{STEREO_RATE} Hz stereo: the {ESPEAK_NATIVE_RATE} Hz speech of {stem}.wav resampled with soxr, the same signal in both channels")
        if i - 1 == PHONE_SENTENCE_INDEX:
            y = soxr.resample(band_pass(x, ESPEAK_NATIVE_RATE, 300.0, 3400.0), ESPEAK_NATIVE_RATE, PHONE_RATE)
            add(f"{stem}_8k_phone", y, PHONE_RATE, text, speaker,
                f"{PHONE_RATE} Hz mono: the speech of {stem}.wav band-passed to 300-3400 Hz and resampled with soxr")
    write_csv(out / "transcripts.csv", ["path", "reference", "speaker"], rows)
    return notes


# --- ATTRIBUTION.md --------------------------------------------------------------------------------------
def md_table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(lines)


def write_attribution(version: str, sources: list[list[str]], utterances: list[list[str]]) -> None:
    """Provenance of every file, written from the same constants that made them so the two cannot drift."""
    speakers = [[s.name, f"`{s.voice}`", str(s.pitch), str(s.speed), f"{s.tract:.2f}", f"{s.rt60_s:.2f}",
                 f"{s.band_hz[0]:.0f}-{s.band_hz[1]:.0f}", f"{s.noise_db:.0f}"] for s in SPEAKERS]
    takes = "; ".join(f"take {k}: speed {t['speed']:+d}, pitch {t['pitch']:+d}" for k, t in enumerate(DIGIT_TAKES))
    text = f"""# Sample audio: provenance and licence

Every file in `sample_audio/` was made by this project with `{SCRIPT_REL}` (run `python {SCRIPT_REL}` from the
repository root; with the tool versions below it rewrites these sets byte for byte). Nothing here is a
recording or text from anywhere else. Real recordings for tests and benchmarks are kept outside the repository
(`../shared/sample_audio/`, each file's source and licence in its own ATTRIBUTION.md).

**Licence: CC0 1.0 Universal** (public domain dedication) for every file in `sample_audio/`.
The speech was synthesised with espeak-ng, which is GPL-3.0-or-later software; the GPL covers the program,
not the audio it outputs. Only espeak-ng's own formant voices were used — no MBROLA voices, whose diphone
databases carry their own licence. The non-speech sounds are numpy synthesis. The sentences were written for
this project.

Tools: `{version}`; numpy {np.__version__} (legacy `RandomState`), scipy {scipy.__version__}, soxr
{soxr.__version__} (default HQ quality), soundfile {sf.__version__}. All WAV files are 16-bit PCM; samples are
rounded to 16 bits by the script (`round(x * 32767)`, clipped).

## spoken_digits/ — speech classification, speakers as groups

`<digit>/<speaker>_<take>.wav`: the words "{DIGIT_WORDS[0]}" … "{DIGIT_WORDS[-1]}" (labels 0–9) from
{len(SPEAKERS)} synthetic speakers × {len(DIGIT_TAKES)} takes = {len(DIGIT_WORDS) * len(SPEAKERS) * len(DIGIT_TAKES)}
files, **{DIGIT_RATE} Hz mono 16-bit**. `groups.csv` has `path,label,speaker`.

Each speaker is an espeak-ng voice and variant with its own pitch and rate, a vocal-tract length (the 22.05 kHz
output is resampled by 1/tract and read at the native rate: formants and pitch scale by `tract`), a synthetic
room (direct path + exponentially decaying noise reaching −60 dB after RT60), a channel band (4th-order
Butterworth band-pass) and white background noise at a level relative to the speech:

{md_table(["speaker", "espeak-ng -v", "-p", "-s", "tract", "RT60 (s)", "band (Hz)", "noise (dB re speech)"], speakers)}

Takes: {takes}. Leading/trailing silence is trimmed by {TRIM_FRAME_S * 1000:.0f} ms-frame RMS (silence:
{abs(TRIM_REL_DB):.0f} dB below the loudest frame or below {TRIM_ABS_DB:.0f} dBFS), keeping {DIGIT_TRIM_PAD_S * 1000:.0f} ms
either side; each clip's speech is scaled to an RMS level uniform in {DIGIT_LEVEL_DB[0]:.0f} … {DIGIT_LEVEL_DB[1]:.0f} dBFS
before the noise is added, then resampled to {DIGIT_RATE} Hz with soxr. Seed per file: {BASE_SEED} + 100 × digit +
10 × speaker index + take.

## sounds/ — non-speech classification, source recordings as groups

`<class>/<class>_<k>.wav`: {len(SOUND_CLASSES)} classes × {SOURCES_PER_CLASS * CLIPS_PER_SOURCE} clips,
**{SOUND_RATE} Hz mono 16-bit**. Each class has {SOURCES_PER_CLASS} "source recordings" (one
`numpy.random.RandomState(seed)` each: its own engine pitch, bell tuning, bird range, step rate …, under a
background room tone of its own: white noise through a gentle 2nd-order band-pass from 50 Hz to 2–7 kHz,
{ROOM_TONE_DB[0]:.0f} … {ROOM_TONE_DB[1]:.0f} dB relative to the foreground), cut into
{CLIPS_PER_SOURCE} consecutive clips: clips k = 4j … 4j+3 come from source j, whose `source` in `groups.csv` is
`<class>_src<j>`. A random split by clip therefore leaks source character between train and test; a split by
source does not.

**Neither loudness nor duration separates the classes**: for every class alike, each clip's duration is
uniform in {CLIP_S[0]} … {CLIP_S[1]} s and its RMS level uniform in {LEVEL_DB[0]:.0f} … {LEVEL_DB[1]:.0f} dBFS (a clip whose peak
would pass {PEAK_CEILING_DB:.0f} dBFS is scaled down to that peak). Seed = {BASE_SEED} + 1000 × class index + source index.

| class | recipe |
|---|---|
| engine | firing-rate harmonics 1–15 of f0 U(25, 45) Hz with a slow ±3 % wobble, plus band-passed rumble (40 Hz … U(300, 700) Hz) |
| rain | band-passed hiss (500–7,500 Hz) plus 60–160 drops per second (5–25 ms decaying 2–6 kHz blips) |
| birdsong | phrases of 40–180 ms frequency-modulated whistles around a per-source centre U(2.5, 5) kHz (10–40 Hz vibrato, glide, 2nd harmonic at −14 dB), 20–250 ms gaps |
| bell | a strike every 0.3–0.6 s of inharmonic partials {", ".join(f"{r:g}" for r in BELL_RATIOS)} × f0 U(300, 900) Hz, each partial decaying faster than the one below |
| footsteps | heel + toe thumps (a decaying U(60, 200) Hz resonance and a noise scuff) every 0.33–0.66 s |

{md_table(["class", "source (group)", "seed", "room tone (dB re foreground)"], sources)}

## utterances/ — transcription, reference transcripts

{len(SENTENCES)} English sentences written for this project, spoken by espeak-ng with the voices of speakers
{" and ".join(f"`{s.name}` (`-v {s.voice} -p {s.pitch} -s {s.speed}`)" for s in UTTERANCE_SPEAKERS)} alternating, dry,
scaled to {UTTERANCE_LEVEL_DB:.0f} dBFS RMS, resampled from espeak-ng's {ESPEAK_NATIVE_RATE} Hz to **{UTTERANCE_RATE} Hz mono 16-bit**; leading/trailing
silence trimmed as above but keeping {UTTERANCE_TRIM_PAD_S * 1000:.0f} ms either side. One sentence is also written at
**{STEREO_RATE} Hz stereo** (resampling and downmixing) and one at **{PHONE_RATE} Hz**, telephone band (a rate
mismatch under a 16 kHz model). Each WAV has a `.txt` with the same stem holding its reference (the exact text
given to espeak-ng), and `transcripts.csv` has `path,reference,speaker`.

{md_table(["file", "speaker", "format"], utterances)}
"""
    (OUT_ROOT / "ATTRIBUTION.md").write_text(text, encoding="utf-8")


def main() -> None:
    version = espeak_version()
    if EXPECTED_ESPEAK_VERSION not in version:
        print(f"warning: {version!r} is not espeak-ng {EXPECTED_ESPEAK_VERSION}; the speech files will differ "
              "from the committed ones", file=sys.stderr)
    OUT_ROOT.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        make_spoken_digits(workdir)
        sources = make_sounds()
        utterances = make_utterances(workdir)
    write_attribution(version, sources, utterances)
    print(f"wrote {OUT_ROOT.relative_to(ROOT)}/ ({version})")


if __name__ == "__main__":
    main()
