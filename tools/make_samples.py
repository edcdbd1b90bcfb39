"""Regenerate the bundled sample datasets in sample_audio/ (run from the repo root: python tools/make_samples.py).

Why generated rather than downloaded: fetched third-party recordings may only enter the project through the
project lead (steering repo, shared/ folder), so these sets are synthetic, licence-clean (CC0) stand-ins that
still exercise every page: a speech classification set with speakers as groups (spoken_digits), a
non-speech set with source recordings as groups (sounds) and sentences with reference transcripts at
mixed sample rates and channel counts (utterances).

Everything is deterministic: speech comes from espeak-ng (deterministic for a given version), non-speech from
numpy's legacy RandomState (whose streams numpy keeps stable across versions), resampling from soxr, and
samples are rounded to 16-bit PCM here rather than by the writer. Running the script twice gives
byte-identical files; a different espeak-ng version changes the speech files, so the script warns about it.

Needs: numpy, soundfile, soxr (requirements.txt) and the espeak-ng program (Debian: apt-get install espeak-ng).
"""
from __future__ import annotations

import csv
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import soundfile as sf
import soxr

ROOT = Path(__file__).resolve().parent.parent
OUT_ROOT = ROOT / "sample_audio"
SCRIPT_REL = "tools/make_samples.py"

ESPEAK = "espeak-ng"
ESPEAK_NATIVE_RATE = 22050  # espeak-ng always writes 22.05 kHz mono 16-bit
EXPECTED_ESPEAK_VERSION = "1.51"  # the version the committed files were made with
PCM_SUBTYPE = "PCM_16"

# --- spoken_digits: like the Free Spoken Digit Dataset (8 kHz mono 16-bit, trimmed words) ---------------
DIGITS_DIR = "spoken_digits"
DIGIT_WORDS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
DIGIT_VOICES = ("en-us", "en", "en+f3", "en+m3", "en-gb-x-rp")  # the "speakers"; no mbrola voices (own licence)
DIGIT_TAKES = ({"speed": 150, "pitch": 50}, {"speed": 175, "pitch": 40})  # take index = position here
DIGIT_RATE = 8000
TRIM_PAD_S = 0.030  # silence kept before and after a trimmed word, as FSDD clips have a little
TRIM_FRAME_S = 0.010
TRIM_REL_DB = -40.0  # a frame is silence when its RMS is this far below the loudest frame ...
TRIM_ABS_DB = -60.0  # ... or below this absolute level (dBFS)

# --- sounds: non-speech classes, groups = source recording ----------------------------------------------
SOUNDS_DIR = "sounds"
SOUND_CLASSES = ("hum", "white_noise", "pink_noise", "chirp", "clicks")
SOUND_RATE = 16000
CLIP_S = 1.0
SOURCES_PER_CLASS = 3
CLIPS_PER_SOURCE = 4  # consecutive 1-s cuts of one source, so clips of a source share its character
SOURCE_S = CLIP_S * CLIPS_PER_SOURCE
BASE_SEED = 20240601
LEVEL_RANGE_DB = (-30.0, -10.0)  # every clip's RMS level lies in this range, dBFS
PEAK_CEILING_DB = -1.0  # the level range is narrowed so no source peaks above this (matters for clicks)

MAINS_HZ = 50.0
HUM_HARMONICS = 8
HUM_NOISE_REL_DB = -40.0
PINK_LOW_CUT_HZ = 20.0  # like a microphone's low cut; without it 1-s cuts of 1/f noise carry a DC offset
CHIRP_BAND_LOW_HZ = (100.0, 1000.0)
CHIRP_BAND_HIGH_HZ = (2000.0, 7000.0)
CHIRP_SWEEP_S = (0.25, 0.75)
CLICK_RATE_PER_S = (10.0, 25.0)  # dense enough that 1-s clips reach -30 dBFS RMS under the peak ceiling
CLICK_RESONANCE_HZ = (1500.0, 5000.0)
CLICK_DECAY_S = (0.003, 0.008)
CLICK_BURST_S = 0.040
CLICK_FLOOR_REL_DB = -60.0  # room-noise floor so gaps between clicks are not digital silence

# --- utterances: sentences with reference transcripts ---------------------------------------------------
UTTERANCES_DIR = "utterances"
UTTERANCE_VOICES = ("en-us", "en+f3")  # alternated over the sentences
UTTERANCE_SPEED = 160
UTTERANCE_PITCH = 50
UTTERANCE_TRIM_PAD_S = 0.150  # sentences keep a natural lead-in; trimming only drops espeak's long tail
SENTENCES = (
    "The quick brown fox jumps over the lazy dog near the quiet river bank.",
    "Please remember to switch off the lights before you leave the office tonight.",
    "There are twenty five students waiting outside the library for the doors to open.",
    "Yes, Anna and Peter visited Paris, Rome and Berlin last summer; it rained every day!",
    "A gentle breeze carried the smell of fresh bread from the bakery down the street.",
    "Scientists measured the temperature of the lake every morning for three weeks in a row.",
    "If the train is late again, we will take a taxi to the airport instead.",
    "My grandmother grows tomatoes, beans and sunflowers in the small garden behind her house.",
)
STEREO_SENTENCE_INDEX = 6  # the shortest sentence is also written at 44.1 kHz stereo (resampling + downmix)
STEREO_RATE = 44100


# --- shared helpers --------------------------------------------------------------------------------------
def db_to_amp(db: float) -> float:
    return float(10.0 ** (db / 20.0))


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


def espeak_version() -> str:
    """The version line, without the data path (which differs between machines)."""
    if shutil.which(ESPEAK) is None:
        sys.exit(f"{ESPEAK} not found: install it (Debian/Ubuntu: apt-get install -y espeak-ng) and re-run")
    out = subprocess.run([ESPEAK, "--version"], check=True, capture_output=True, text=True).stdout
    return out.split("  Data at:")[0].strip()


def debian_package_version(name: str) -> str | None:
    """The Debian package version, recorded for provenance when dpkg is there."""
    try:
        out = subprocess.run(["dpkg-query", "-W", "-f=${Version}", name], capture_output=True, text=True)
    except FileNotFoundError:
        return None
    return out.stdout.strip() or None


def speak(text: str, voice: str, speed: int, pitch: int, workdir: Path) -> np.ndarray:
    """espeak-ng to a temporary WAV, returned as float mono at ESPEAK_NATIVE_RATE."""
    tmp = workdir / "speech.wav"
    subprocess.run([ESPEAK, "-v", voice, "-s", str(speed), "-p", str(pitch), "-w", str(tmp), text],
                   check=True, capture_output=True)
    x, rate = sf.read(str(tmp), dtype="float64")
    if rate != ESPEAK_NATIVE_RATE or x.ndim != 1:
        raise RuntimeError(f"{ESPEAK} wrote {rate} Hz, {x.ndim}-D audio; expected {ESPEAK_NATIVE_RATE} Hz mono")
    return x


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


def reset_dir(path: Path) -> None:
    """Remove a set this script owns before rewriting it, so renamed or dropped files do not linger."""
    if path.exists():
        shutil.rmtree(path)
    path.mkdir(parents=True)


# --- spoken_digits ---------------------------------------------------------------------------------------
def make_spoken_digits(workdir: Path) -> None:
    out = OUT_ROOT / DIGITS_DIR
    reset_dir(out)
    rows = []
    for digit, word in enumerate(DIGIT_WORDS):
        for voice in DIGIT_VOICES:
            for take, settings in enumerate(DIGIT_TAKES):
                x = speak(word, voice, settings["speed"], settings["pitch"], workdir)
                x = soxr.resample(trim_silence(x, ESPEAK_NATIVE_RATE, TRIM_PAD_S), ESPEAK_NATIVE_RATE, DIGIT_RATE)
                rel = f"{digit}/{voice}_{take}.wav"
                write_wav(out / rel, x, DIGIT_RATE)
                rows.append([rel, str(digit), voice])
    write_csv(out / "groups.csv", ["path", "label", "group"], rows)


# --- sounds ----------------------------------------------------------------------------------------------
def synth_hum(rng: np.random.RandomState, n: int) -> np.ndarray:
    """Mains hum: 50 Hz and harmonics, a slow amplitude swell (load changes) and a little broadband noise."""
    t = np.arange(n) / SOUND_RATE
    f0 = MAINS_HZ + rng.uniform(-0.05, 0.05)  # grid frequency drifts slightly between recordings
    x = np.zeros(n)
    for k in range(1, HUM_HARMONICS + 1):
        x += rng.uniform(0.3, 1.0) / k * np.sin(2 * np.pi * k * f0 * t + rng.uniform(0, 2 * np.pi))
    swell = 1.0 + rng.uniform(0.2, 0.5) * np.sin(2 * np.pi * rng.uniform(0.1, 0.5) * t + rng.uniform(0, 2 * np.pi))
    x *= swell
    noise = rng.standard_normal(n)
    return x + noise * np.sqrt(np.mean(x ** 2)) * db_to_amp(HUM_NOISE_REL_DB)


def synth_white_noise(rng: np.random.RandomState, n: int) -> np.ndarray:
    """Gaussian white noise: flat spectrum up to Nyquist."""
    return rng.standard_normal(n)


def synth_pink_noise(rng: np.random.RandomState, n: int) -> np.ndarray:
    """1/f power noise: white noise shaped by 1/sqrt(f) in the FFT domain, nothing below PINK_LOW_CUT_HZ."""
    spectrum = np.fft.rfft(rng.standard_normal(n))
    freqs = np.fft.rfftfreq(n, d=1.0 / SOUND_RATE)
    keep = freqs >= PINK_LOW_CUT_HZ
    spectrum[~keep] = 0.0
    spectrum[keep] /= np.sqrt(freqs[keep])
    return np.fft.irfft(spectrum, n)


def synth_chirp(rng: np.random.RandomState, n: int) -> np.ndarray:
    """Back-to-back linear sweeps with random start/end frequencies inside a per-source band, phase-continuous."""
    f_lo = rng.uniform(*CHIRP_BAND_LOW_HZ)
    f_hi = rng.uniform(*CHIRP_BAND_HIGH_HZ)
    inst_freq = np.empty(n)
    pos = 0
    while pos < n:
        length = int(round(rng.uniform(*CHIRP_SWEEP_S) * SOUND_RATE))
        f_start, f_end = rng.uniform(f_lo, f_hi, size=2)
        seg = np.linspace(f_start, f_end, length, endpoint=False)
        take = min(length, n - pos)
        inst_freq[pos:pos + take] = seg[:take]
        pos += take
    phase = 2 * np.pi * np.cumsum(inst_freq) / SOUND_RATE
    return np.sin(phase)


def synth_clicks(rng: np.random.RandomState, n: int) -> np.ndarray:
    """Keyboard/clock-like clicks: short decaying noise + resonance bursts at random times, >= 1 per second."""
    rate = rng.uniform(*CLICK_RATE_PER_S)
    resonance = rng.uniform(*CLICK_RESONANCE_HZ)
    decay = rng.uniform(*CLICK_DECAY_S)
    burst_n = int(round(CLICK_BURST_S * SOUND_RATE))
    tb = np.arange(burst_n) / SOUND_RATE
    envelope = np.exp(-tb / decay)
    x = np.zeros(n + burst_n)
    window = int(round(CLIP_S * SOUND_RATE))
    for win_start in range(0, n, window):  # at least one click per clip, so every clip shows the class
        count = max(1, rng.poisson(rate * CLIP_S))
        for onset in win_start + rng.randint(0, window, size=count):
            burst = 0.5 * rng.standard_normal(burst_n) + np.sin(2 * np.pi * resonance * tb + rng.uniform(0, 2 * np.pi))
            x[onset:onset + burst_n] += rng.uniform(0.3, 1.0) * envelope * burst
    x = x[:n]
    return x + rng.standard_normal(n) * np.max(np.abs(x)) * db_to_amp(CLICK_FLOOR_REL_DB)


SYNTHS = {"hum": synth_hum, "white_noise": synth_white_noise, "pink_noise": synth_pink_noise,
          "chirp": synth_chirp, "clicks": synth_clicks}


def rms_db(x: np.ndarray) -> float:
    return float(20.0 * np.log10(max(np.sqrt(np.mean(x ** 2)), 1e-12)))


def set_level(x: np.ndarray, rng: np.random.RandomState, n_clip: int) -> tuple[np.ndarray, float]:
    """Scale a source to a random RMS level, chosen so each of its clips lands in LEVEL_RANGE_DB.

    The draw range is narrowed by how far the clips' levels spread around the source level (hum swells,
    clicks are sparse) and so that the peak stays <= PEAK_CEILING_DB; where the two conflict the peak wins.
    """
    source_db = rms_db(x)
    clip_rel = [rms_db(x[i:i + n_clip]) - source_db for i in range(0, len(x), n_clip)]
    crest_db = 20.0 * np.log10(np.max(np.abs(x))) - source_db
    high = min(LEVEL_RANGE_DB[1] - max(clip_rel), PEAK_CEILING_DB - crest_db)
    low = min(LEVEL_RANGE_DB[0] - min(clip_rel), high)
    level_db = rng.uniform(low, high)
    return x * db_to_amp(level_db - source_db), float(level_db)


def sound_seed(class_index: int, source_index: int) -> int:
    return BASE_SEED + 1000 * class_index + source_index


def make_sounds() -> list[list[str]]:
    """Write the clips and groups.csv; returns per-source rows (class, source, seed, level) for ATTRIBUTION."""
    out = OUT_ROOT / SOUNDS_DIR
    reset_dir(out)
    rows, sources = [], []
    n_clip = int(round(CLIP_S * SOUND_RATE))
    for ci, name in enumerate(SOUND_CLASSES):
        for j in range(SOURCES_PER_CLASS):
            seed = sound_seed(ci, j)
            rng = np.random.RandomState(seed)
            x, level_db = set_level(SYNTHS[name](rng, n_clip * CLIPS_PER_SOURCE), rng, n_clip)
            group = f"{name}_src{j}"
            sources.append([name, group, str(seed), f"{level_db:.1f}"])
            for c in range(CLIPS_PER_SOURCE):
                k = j * CLIPS_PER_SOURCE + c
                rel = f"{name}/{name}_{k}.wav"
                write_wav(out / rel, x[c * n_clip:(c + 1) * n_clip], SOUND_RATE)
                rows.append([rel, name, group])
    write_csv(out / "groups.csv", ["path", "label", "group"], rows)
    return sources


# --- utterances ------------------------------------------------------------------------------------------
def make_utterances(workdir: Path) -> list[list[str]]:
    """Write the sentences (+ .txt references) and transcripts.csv; returns rows for ATTRIBUTION."""
    out = OUT_ROOT / UTTERANCES_DIR
    reset_dir(out)
    rows, notes = [], []
    for i, text in enumerate(SENTENCES, start=1):
        voice = UTTERANCE_VOICES[(i - 1) % len(UTTERANCE_VOICES)]
        x = trim_silence(speak(text, voice, UTTERANCE_SPEED, UTTERANCE_PITCH, workdir),
                         ESPEAK_NATIVE_RATE, UTTERANCE_TRIM_PAD_S)
        stem = f"utt{i:02d}_{voice}"
        write_wav(out / f"{stem}.wav", x, ESPEAK_NATIVE_RATE)
        (out / f"{stem}.txt").write_text(text + "\n", encoding="utf-8")
        rows.append([f"{stem}.wav", text, voice])
        notes.append([f"{stem}.wav", voice, f"{ESPEAK_NATIVE_RATE} Hz mono"])
        if i - 1 == STEREO_SENTENCE_INDEX:
            y = soxr.resample(x, ESPEAK_NATIVE_RATE, STEREO_RATE)
            stereo_stem = f"{stem}_44k_stereo"
            write_wav(out / f"{stereo_stem}.wav", np.column_stack([y, y]), STEREO_RATE)
            (out / f"{stereo_stem}.txt").write_text(text + "\n", encoding="utf-8")
            rows.append([f"{stereo_stem}.wav", text, voice])
            notes.append([f"{stereo_stem}.wav", voice,
                          f"{STEREO_RATE} Hz stereo: {stem}.wav resampled with soxr, copied to both channels"])
    write_csv(out / "transcripts.csv", ["path", "reference", "group"], rows)
    return notes


# --- ATTRIBUTION.md --------------------------------------------------------------------------------------
def md_table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(lines)


def write_attribution(version: str, sources: list[list[str]], utterances: list[list[str]]) -> None:
    """Provenance of every file, written from the same constants that made them so the two cannot drift."""
    deb = debian_package_version(ESPEAK)
    tool = f"`{version}`" + (f" (Debian package `espeak-ng` {deb})" if deb else "")
    takes = "; ".join(f"take {k}: `-s {t['speed']} -p {t['pitch']}`" for k, t in enumerate(DIGIT_TAKES))
    text = f"""# Sample audio: provenance and licence

**These are synthetic stand-ins.** Every file here was generated by this project with
`{SCRIPT_REL}`: run `python {SCRIPT_REL}` from the repository root; with the tool versions below it
rewrites these sets byte for byte.
Real recordings — Free Spoken Digit Dataset (takes >= 5), Speech Commands background noise,
LibriSpeech / LJSpeech utterances — are pending: fetched third-party data may only be added by the project
lead via the steering repo's `shared/` folder.

**Licence: CC0 1.0 Universal** (public domain dedication) for every file in `sample_audio/`.
The speech was synthesised with espeak-ng, which is GPL-3.0-or-later software; the GPL covers the program,
not the audio it outputs, which contains no part of it. Only espeak-ng's own formant voices were used — no
MBROLA voices, whose diphone databases carry their own licence. The non-speech sounds are numpy synthesis.

Tools: {tool}; numpy {np.__version__} (legacy `RandomState`), soxr {soxr.__version__}
(python-soxr, default HQ quality), soundfile {sf.__version__}. All WAV files are 16-bit PCM; samples are
rounded to 16 bits by the script (`round(x * 32767)`, clipped).

## spoken_digits/ — speech classification, speakers as groups

`<digit>/<voice>_<take>.wav`: the English words "{DIGIT_WORDS[0]}" … "{DIGIT_WORDS[-1]}" (labels 0–9) spoken by
espeak-ng, {len(DIGIT_WORDS) * len(DIGIT_VOICES) * len(DIGIT_TAKES)} files.

- Voices ("speakers", the `group` column of `groups.csv`): {", ".join(f"`-v {v}`" for v in DIGIT_VOICES)}.
- Takes: {takes}.
- Command: `espeak-ng -v VOICE -s SPEED -p PITCH -w out.wav WORD` (22 050 Hz mono).
- Leading/trailing silence trimmed by {TRIM_FRAME_S * 1000:.0f} ms-frame RMS (silence: {abs(TRIM_REL_DB):.0f} dB below
  the loudest frame or below {TRIM_ABS_DB:.0f} dBFS), keeping {TRIM_PAD_S * 1000:.0f} ms either side; then resampled to
  **{DIGIT_RATE} Hz mono 16-bit** with `soxr.resample`, like the Free Spoken Digit Dataset.
- `groups.csv`: `path,label,group` (path relative to `spoken_digits/`, group = voice).

## sounds/ — non-speech classification, source recordings as groups

`<class>/<class>_<k>.wav`: {len(SOUND_CLASSES)} classes × {SOURCES_PER_CLASS * CLIPS_PER_SOURCE} clips,
{CLIP_S:.1f} s each, **{SOUND_RATE} Hz mono 16-bit**. Each class has {SOURCES_PER_CLASS} "source recordings"
({SOURCE_S:.0f} s signals, each from its own `numpy.random.RandomState(seed)`), each cut into
{CLIPS_PER_SOURCE} consecutive {CLIP_S:.0f}-s clips: clips k = 4j … 4j+3 come from source j, whose `group` in
`groups.csv` is `<class>_src<j>`. A random split by clip therefore leaks source character between train and
test; a split by group does not.

Each source is scaled to a random RMS level (uniform draw), with the draw range narrowed so that every one
of its clips has an RMS level between {LEVEL_RANGE_DB[0]:.0f} and {LEVEL_RANGE_DB[1]:.0f} dBFS and the source peak
stays at or below {PEAK_CEILING_DB:.0f} dBFS; levels therefore differ mostly between sources. Seed = {BASE_SEED} + 1000 × class index + source index.

| class | recipe |
|---|---|
| hum | {MAINS_HZ:.0f} Hz mains (±0.05 Hz per source) and harmonics 1–{HUM_HARMONICS} (amplitude U(0.3, 1)/k, random phase), amplitude swell 1 + U(0.2, 0.5)·sin(2π·U(0.1, 0.5) Hz·t), white noise {HUM_NOISE_REL_DB:.0f} dB below the hum |
| white_noise | Gaussian white noise |
| pink_noise | Gaussian white noise shaped by 1/√f in the FFT domain over the whole source (1/f power), bins below {PINK_LOW_CUT_HZ:.0f} Hz zeroed (a microphone-like low cut, so 1-s clips carry no DC offset) |
| chirp | back-to-back linear sweeps, each {CHIRP_SWEEP_S[0]}–{CHIRP_SWEEP_S[1]} s long, random start and end frequency inside a per-source band (low edge U({CHIRP_BAND_LOW_HZ[0]:.0f}, {CHIRP_BAND_LOW_HZ[1]:.0f}) Hz, high edge U({CHIRP_BAND_HIGH_HZ[0]:.0f}, {CHIRP_BAND_HIGH_HZ[1]:.0f}) Hz), continuous phase |
| clicks | keyboard/clock-like clicks: Poisson count per second (rate U({CLICK_RATE_PER_S[0]:.0f}, {CLICK_RATE_PER_S[1]:.0f})/s, at least 1) at uniform random times; each a {CLICK_BURST_S * 1000:.0f} ms burst of noise + a per-source resonance U({CLICK_RESONANCE_HZ[0]:.0f}, {CLICK_RESONANCE_HZ[1]:.0f}) Hz under an exponential decay (τ = U({CLICK_DECAY_S[0] * 1000:.0f}, {CLICK_DECAY_S[1] * 1000:.0f}) ms), random amplitude U(0.3, 1); noise floor {CLICK_FLOOR_REL_DB:.0f} dB below the peak |

Sources:

{md_table(["class", "group", "seed", "source RMS level (dBFS)"], sources)}

## utterances/ — transcription, reference transcripts

{len(SENTENCES)} English sentences spoken by espeak-ng (`-s {UTTERANCE_SPEED} -p {UTTERANCE_PITCH}`, voices
{" and ".join(f"`-v {v}`" for v in UTTERANCE_VOICES)} alternating), kept at espeak-ng's native
**{ESPEAK_NATIVE_RATE} Hz mono 16-bit**; leading/trailing silence trimmed as above but keeping
{UTTERANCE_TRIM_PAD_S * 1000:.0f} ms either side. One sentence is also written at **{STEREO_RATE} Hz stereo**
(resampled with `soxr.resample`, the same signal in both channels) to exercise resampling and downmixing.
Each WAV has a `.txt` with the same stem holding its reference text (the exact text given to espeak-ng), and
`transcripts.csv` has `path,reference,group` (group = voice).

{md_table(["file", "voice", "format"], utterances)}
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
