"""Build the bundled sample sets (spoken_digits, sounds, utterances) from REAL recordings.

Replaces the role of tools/make_samples.py (synthetic espeak-ng/numpy stand-ins). Every input is a file at a
pinned commit of a public GitHub repository, read with `git show <commit>:<path>` from a local copy of that
repository (a bare mirror or an ordinary clone: anything `git -C DIR show` can read). Git names the content
by hash, so the pinned commit pins the bytes. Output is deterministic: integer PCM sources are copied sample
for sample; the two float steps (Vorbis decoding and soxr resampling) are rounded to 16 bits here.

    python make_real_samples.py --out sample_audio                        # mirrors under /work/.mirror
    python make_real_samples.py --out sample_audio --repo librosa/data=/path/to/clone ...

A repository is looked up as `<mirror-root>/<owner>+<name>/repo` unless `--repo owner/name=DIR` is given.
The script rewrites `<out>/spoken_digits`, `<out>/sounds`, `<out>/utterances` and `<out>/ATTRIBUTION.md`,
then checks what it wrote (counts, rates, durations, CSV paths) and exits non-zero if anything is off.

Needs: numpy, soundfile (libsndfile with Ogg/Vorbis and FLAC), soxr, git.
"""
from __future__ import annotations

import argparse
import csv
import io
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile as sf
import soxr

PCM_SUBTYPE = "PCM_16"
PCM_SCALE = 32768.0  # int16 <-> float in [-1, 1): x / 32768 and back is exact for integer samples
SCRIPT_NAME = "make_real_samples.py"


# --- sources: repository, pinned commit, dataset, licence ------------------------------------------------
@dataclass(frozen=True)
class Repo:
    name: str  # owner/name on GitHub
    commit: str


FSDD_REPO = Repo("Jakobovski/free-spoken-digit-dataset", "26eb9aaf76e81b692f806f9140c2d2777410d7a1")
SPEECH_COMMANDS_REPO = Repo("chaeyoung-lee/wids_tutorial", "7d028e7211c846244903eb59664087f1fb3e4c07")
LIBROSA_DATA_REPO = Repo("librosa/data", "450cdd8a002c98e7bdbfebb309fc1ed024001f77")
LIBRISPEECH_REPO = Repo("KennethWang1221/Speech2Text", "bf5854c5995270f29bcc625a31e0b39e545a015d")
LJSPEECH_REPO = Repo("PrernaSocity/lj_speech_dataset_part_1", "328134a60409b5d1060f411fde6fa0eb20b22150")
ALL_REPOS = (FSDD_REPO, SPEECH_COMMANDS_REPO, LIBROSA_DATA_REPO, LIBRISPEECH_REPO, LJSPEECH_REPO)

CC_BY_SA_4 = "CC BY-SA 4.0 (https://creativecommons.org/licenses/by-sa/4.0/)"
CC_BY_4 = "CC BY 4.0 (https://creativecommons.org/licenses/by/4.0/)"
NPS_PD = "Public domain, US National Park Service work (https://www.nps.gov/aboutus/disclaimer.htm)"
LJ_PD = "Public domain (https://keithito.com/LJ-Speech-Dataset; LibriVox: https://librivox.org/pages/public-domain)"

# --- spoken_digits: Free Spoken Digit Dataset ------------------------------------------------------------
DIGITS_DIR = "spoken_digits"
DIGIT_RATE = 8000
FSDD_SPEAKERS = ("george", "jackson", "nicolas", "theo", "yweweler")  # 5 of its 6; lucas (DEU) is left out
FSDD_TAKES = (5, 6)  # FSDD's README: takes 0-4 are its official test set, so two training takes are used
FSDD_SPEAKER_NOTES = {  # from metadata.py in the FSDD repository at the pinned commit
    "george": "male, accent GRC/Greek", "jackson": "male, accent USA/neutral", "nicolas": "male, accent BEL/French",
    "theo": "male, accent USA/neutral", "yweweler": "male, accent DEU/German"}

# --- sounds: Speech Commands background recordings + an NPS hydrophone recording -------------------------
SOUNDS_DIR = "sounds"
SOUND_RATE = 16000
CLIP_S = 1.0
SEGMENTS_PER_SOURCE = 3  # each source recording is split into thirds; each third is one group
CLIPS_PER_SEGMENT = 4
WINDOW_HOP_S = 0.25  # candidate 1-s windows start on this grid


@dataclass(frozen=True)
class SoundSource:
    label: str
    repo: Repo
    path: str
    dataset: str
    author: str
    licence: str
    remove_dc: bool = False  # subtract each clip's mean (only for a source with a DC offset)


SC_DATASET = "Speech Commands (v0.01/v0.02), `_background_noise_/` (Warden 2018, arXiv:1804.03209)"
SC_AUTHOR = "Pete Warden (Google); per the dataset's `_background_noise_/README.md`, recorded by him in July 2017"
SOUND_SOURCES = (
    SoundSource("cat_miaowing", SPEECH_COMMANDS_REPO, "data/_background_noise_/dude_miaowing.wav",
                SC_DATASET, SC_AUTHOR, CC_BY_4),
    SoundSource("dishes", SPEECH_COMMANDS_REPO, "data/_background_noise_/doing_the_dishes.wav",
                SC_DATASET, SC_AUTHOR, CC_BY_4),
    SoundSource("exercise_bike", SPEECH_COMMANDS_REPO, "data/_background_noise_/exercise_bike.wav",
                SC_DATASET, SC_AUTHOR, CC_BY_4),
    SoundSource("running_tap", SPEECH_COMMANDS_REPO, "data/_background_noise_/running_tap.wav",
                SC_DATASET, SC_AUTHOR, CC_BY_4),
    SoundSource("whale_song", LIBROSA_DATA_REPO, "audio/glacier-bay-humpback.hq.ogg",
                "librosa example data (`librosa.ex('humpback')`): Glacier Bay humpback whale song, 2020-11-13",
                "US National Park Service, Glacier Bay; recorded by Chris Gabriele", NPS_PD, remove_dc=True),
)

# --- utterances: LibriSpeech test-clean (speaker 1089) and LJSpeech 1.1 ----------------------------------
UTTERANCES_DIR = "utterances"
STEREO_RATE = 44100
STEREO_SUFFIX = "_44k_stereo"
LJ_METADATA = "LJSpeech-1.1/metadata.csv"


@dataclass(frozen=True)
class Utterance:
    stem: str  # output file stem; the part after the number is the speaker (= group)
    group: str
    repo: Repo
    path: str  # audio path in the repository
    utterance_id: str
    stereo_copy: bool = False


LS_DIR = "LibriSpeech/test-clean/1089"
UTTERANCES = (
    Utterance("utt01_ls1089", "ls1089", LIBRISPEECH_REPO, f"{LS_DIR}/134686/1089-134686-0001.flac",
              "1089-134686-0001"),
    Utterance("utt02_lj", "lj", LJSPEECH_REPO, "LJSpeech-1.1/wavs/LJ001-0104.wav", "LJ001-0104"),
    Utterance("utt03_ls1089", "ls1089", LIBRISPEECH_REPO, f"{LS_DIR}/134691/1089-134691-0001.flac",
              "1089-134691-0001"),
    Utterance("utt04_lj", "lj", LJSPEECH_REPO, "LJSpeech-1.1/wavs/LJ001-0170.wav", "LJ001-0170"),
    Utterance("utt05_ls1089", "ls1089", LIBRISPEECH_REPO, f"{LS_DIR}/134691/1089-134691-0000.flac",
              "1089-134691-0000", stereo_copy=True),
    Utterance("utt06_lj", "lj", LJSPEECH_REPO, "LJSpeech-1.1/wavs/LJ002-0155.wav", "LJ002-0155"),
)
LS_DATASET = "LibriSpeech ASR corpus (OpenSLR SLR12, Panayotov et al. 2015), test-clean"
LS_AUTHOR = "LibriSpeech speaker 1089 (LibriVox volunteer reader), chapters 134686 and 134691"
LJ_DATASET = "LJ Speech Dataset 1.1 (Keith Ito 2017)"
LJ_AUTHOR = "Linda Johnson (LibriVox reader); alignment and annotation by Keith Ito"


# --- helpers ---------------------------------------------------------------------------------------------
class Sources:
    """Reads files at pinned commits from local copies of the repositories."""

    def __init__(self, mirror_root: Path, overrides: dict[str, Path]):
        self.dirs = {r.name: overrides.get(r.name, mirror_root / r.name.replace("/", "+") / "repo")
                     for r in ALL_REPOS}
        missing = [f"{name} (looked in {d})" for name, d in self.dirs.items() if not d.exists()]
        if missing:
            sys.exit("missing repository copies: " + "; ".join(missing)
                     + ". Clone them (git clone https://github.com/OWNER/NAME) and pass --repo OWNER/NAME=DIR")

    def read(self, repo: Repo, path: str) -> bytes:
        cmd = ["git", "-C", str(self.dirs[repo.name]), "show", f"{repo.commit}:{path}"]
        done = subprocess.run(cmd, capture_output=True)
        if done.returncode != 0:
            sys.exit(f"{repo.name}@{repo.commit[:10]}: cannot read {path}: {done.stderr.decode().strip()}")
        return done.stdout


def read_pcm16(data: bytes, *, name: str) -> tuple[np.ndarray, int]:
    """Integer samples exactly as stored; refuses anything that is not 16-bit PCM mono."""
    info = sf.info(io.BytesIO(data))
    if info.subtype != PCM_SUBTYPE or info.channels != 1:
        sys.exit(f"{name}: expected 16-bit PCM mono, found {info.subtype} with {info.channels} channels")
    x, rate = sf.read(io.BytesIO(data), dtype="int16")
    return x, rate


def to_pcm16(x: np.ndarray) -> np.ndarray:
    """Round a float signal to 16 bits here, so files do not depend on the writer's float conversion."""
    return np.clip(np.round(x * PCM_SCALE), -32768, 32767).astype(np.int16)


def write_wav(path: Path, x: np.ndarray, rate: int) -> None:
    if x.dtype != np.int16:
        raise TypeError(f"{path}: write int16 samples, got {x.dtype}")
    path.parent.mkdir(parents=True, exist_ok=True)
    sf.write(str(path), x, rate, subtype=PCM_SUBTYPE, format="WAV")


def write_csv(path: Path, header: list[str], rows: list[list[str]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)


def reset_dir(path: Path) -> None:
    if path.exists():
        shutil.rmtree(path)
    path.mkdir(parents=True)


def md_table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def rms_dbfs(x: np.ndarray) -> float:
    x = x.astype(np.float64) / PCM_SCALE if x.dtype == np.int16 else x
    return float(20 * np.log10(np.sqrt(np.mean(np.square(x))) + 1e-12))


# --- spoken_digits ---------------------------------------------------------------------------------------
def make_spoken_digits(src: Sources, out: Path) -> list[list[str]]:
    folder = out / DIGITS_DIR
    reset_dir(folder)
    rows, table = [], []
    for digit in range(10):
        for speaker in FSDD_SPEAKERS:
            for take in FSDD_TAKES:
                source_path = f"recordings/{digit}_{speaker}_{take}.wav"
                x, rate = read_pcm16(src.read(FSDD_REPO, source_path), name=source_path)
                if rate != DIGIT_RATE:
                    sys.exit(f"{source_path}: expected {DIGIT_RATE} Hz, found {rate} Hz")
                rel = f"{digit}/{speaker}_{take}.wav"
                write_wav(folder / rel, x, DIGIT_RATE)
                rows.append([rel, str(digit), speaker])
                table.append([f"`{rel}`", f"`{source_path}`", f"{len(x) / DIGIT_RATE:.3f}"])
    write_csv(folder / "groups.csv", ["path", "label", "group"], rows)
    return table


# --- sounds ----------------------------------------------------------------------------------------------
def load_sound_source(src: Sources, s: SoundSource) -> tuple[np.ndarray, int, str]:
    """The source at SOUND_RATE: int16 when it already is 16 kHz PCM (copied exactly), else float64."""
    data = src.read(s.repo, s.path)
    info = sf.info(io.BytesIO(data))
    if info.subtype == PCM_SUBTYPE and info.samplerate == SOUND_RATE and info.channels == 1:
        x, _ = read_pcm16(data, name=s.path)
        return x, info.samplerate, f"{info.samplerate} Hz mono 16-bit PCM WAV"
    x, rate = sf.read(io.BytesIO(data), dtype="float64", always_2d=True)
    x = x.mean(axis=1)
    y = soxr.resample(x, rate, SOUND_RATE)
    return y, rate, f"{rate} Hz {info.channels}-channel {info.subtype} {info.format}"


def pick_windows(x: np.ndarray, start: int, stop: int) -> list[int]:
    """Start samples of CLIPS_PER_SEGMENT non-overlapping 1-s windows in [start, stop) with the highest
    AC RMS (mean removed), chosen greedily on a WINDOW_HOP_S grid; ties go to the earlier window."""
    n = int(CLIP_S * SOUND_RATE)
    hop = int(WINDOW_HOP_S * SOUND_RATE)
    xf = x.astype(np.float64)
    candidates = []
    for s in range(start, stop - n + 1, hop):
        w = xf[s:s + n]
        candidates.append((-float(np.mean(np.square(w - w.mean()))), s))
    chosen: list[int] = []
    for _, s in sorted(candidates):
        if all(abs(s - c) >= n for c in chosen):
            chosen.append(s)
            if len(chosen) == CLIPS_PER_SEGMENT:
                break
    if len(chosen) < CLIPS_PER_SEGMENT:
        sys.exit(f"segment [{start}, {stop}) is too short for {CLIPS_PER_SEGMENT} clips")
    return sorted(chosen)


def make_sounds(src: Sources, out: Path) -> tuple[list[list[str]], list[list[str]]]:
    folder = out / SOUNDS_DIR
    reset_dir(folder)
    n = int(CLIP_S * SOUND_RATE)
    rows, source_table, clip_table = [], [], []
    for s in SOUND_SOURCES:
        x, orig_rate, orig_format = load_sound_source(src, s)
        k = 0
        for j in range(SEGMENTS_PER_SOURCE):
            lo, hi = j * len(x) // SEGMENTS_PER_SOURCE, (j + 1) * len(x) // SEGMENTS_PER_SOURCE
            group = f"{s.label}_src{j}"
            for start in pick_windows(x, lo, hi):
                clip = x[start:start + n]
                if clip.dtype != np.int16:
                    clip = to_pcm16(clip - clip.mean() if s.remove_dc else clip)
                rel = f"{s.label}/{s.label}_{k}.wav"
                write_wav(folder / rel, clip, SOUND_RATE)
                rows.append([rel, s.label, group])
                clip_table.append([f"`{rel}`", group, f"{start / SOUND_RATE:.2f}–{(start + n) / SOUND_RATE:.2f}",
                                   f"{rms_dbfs(clip):.1f}"])
                k += 1
        changes = ("cut only (samples copied exactly)" if x.dtype == np.int16 else
                   f"decoded, resampled {orig_rate} → {SOUND_RATE} Hz with soxr, "
                   + ("each clip's mean (DC offset) subtracted, " if s.remove_dc else "") + "rounded to 16 bits")
        source_table.append([s.label, f"{s.repo.name}", f"`{s.path}`", f"`{s.repo.commit}`", s.dataset, s.author,
                             s.licence, f"{orig_format}, {len(x) / SOUND_RATE:.1f} s", changes])
    write_csv(folder / "groups.csv", ["path", "label", "group"], rows)
    return source_table, clip_table


# --- utterances ------------------------------------------------------------------------------------------
def librispeech_references(src: Sources) -> dict[str, str]:
    refs = {}
    for u in UTTERANCES:
        if u.repo is LIBRISPEECH_REPO:
            chapter_dir = u.path.rsplit("/", 1)[0]
            speaker, chapter = chapter_dir.split("/")[-2:]
            text = src.read(u.repo, f"{chapter_dir}/{speaker}-{chapter}.trans.txt").decode("utf-8")
            for line in text.splitlines():
                uid, _, words = line.strip().partition(" ")
                refs[uid] = words
    return refs


def lj_references(src: Sources) -> dict[str, tuple[str, str]]:
    """id -> (transcription, normalized transcription) from LJSpeech's metadata.csv (pipe-delimited)."""
    refs = {}
    for line in src.read(LJSPEECH_REPO, LJ_METADATA).decode("utf-8").splitlines():
        parts = line.rstrip("\r").split("|")
        if len(parts) == 3:
            refs[parts[0]] = (parts[1], parts[2])
    return refs


def make_utterances(src: Sources, out: Path) -> list[list[str]]:
    folder = out / UTTERANCES_DIR
    reset_dir(folder)
    ls_refs, lj_refs = librispeech_references(src), lj_references(src)
    rows, table = [], []
    for u in UTTERANCES:
        if u.repo is LIBRISPEECH_REPO:
            reference, note = ls_refs[u.utterance_id], "`.trans.txt` line, as is (upper case, no punctuation)"
            dataset, author, licence = LS_DATASET, LS_AUTHOR, CC_BY_4
        else:
            raw, reference = lj_refs[u.utterance_id]
            note = "normalized transcription (3rd field of `metadata.csv`)" + (
                f"; raw text: \"{raw}\"" if raw != reference else "")
            dataset, author, licence = LJ_DATASET, LJ_AUTHOR, LJ_PD
        x, rate = read_pcm16(src.read(u.repo, u.path), name=u.path)
        conversion = "FLAC → WAV" if u.path.endswith(".flac") else "WAV rewritten"
        write_wav(folder / f"{u.stem}.wav", x, rate)
        (folder / f"{u.stem}.txt").write_text(reference + "\n", encoding="utf-8")
        rows.append([f"{u.stem}.wav", reference, u.group])
        table.append([f"`{u.stem}.wav`", f"{u.repo.name}", f"`{u.path}`", f"`{u.repo.commit}`", dataset, author,
                      licence, f"{rate} Hz mono, {len(x) / rate:.2f} s",
                      f"{conversion}, samples copied exactly", note])
        if u.stereo_copy:
            y = to_pcm16(soxr.resample(x.astype(np.float64) / PCM_SCALE, rate, STEREO_RATE))
            stem = f"{u.stem}{STEREO_SUFFIX}"
            write_wav(folder / f"{stem}.wav", np.stack([y, y], axis=1), STEREO_RATE)
            (folder / f"{stem}.txt").write_text(reference + "\n", encoding="utf-8")
            rows.append([f"{stem}.wav", reference, u.group])
            table.append([f"`{stem}.wav`", "(derived)", f"`{u.stem}.wav`", "—", dataset, author, licence,
                          f"{STEREO_RATE} Hz stereo, {len(y) / STEREO_RATE:.2f} s",
                          f"DERIVED: `{u.stem}.wav` resampled {rate} → {STEREO_RATE} Hz with soxr "
                          "(default HQ), rounded to 16 bits, the same signal in both channels", "same as its source"])
    write_csv(folder / "transcripts.csv", ["path", "reference", "group"], rows)
    return table


# --- ATTRIBUTION.md --------------------------------------------------------------------------------------
def write_attribution(out: Path, digits: list[list[str]], sound_sources: list[list[str]],
                      sound_clips: list[list[str]], utterances: list[list[str]]) -> None:
    levels: dict[str, list[float]] = {}
    for row in sound_clips:
        levels.setdefault(row[0].strip("`").split("/")[0], []).append(float(row[3]))
    level_ranges = "; ".join(f"{label} {min(v):.0f} to {max(v):.0f} dBFS" for label, v in levels.items())
    source_header = ["label", "repository", "path", "commit", "dataset", "author", "licence", "original format",
                     "changes"]
    text = f"""# Sample audio: provenance and licence

**These are real recordings** from public datasets, fetched from public GitHub repositories at the pinned
commits below and rebuilt by `{SCRIPT_NAME}` (byte for byte with the versions named at the end). The
licence of each file is the licence of its dataset, named per file below; the repository is only where the
bytes were fetched from. Where a licence asks for attribution, this file is that attribution.
No non-commercial (NC) material is included.

| set | dataset | licence |
|---|---|---|
| `spoken_digits/` | Free Spoken Digit Dataset | **{CC_BY_SA_4}** — the files here are adapted material and stay under CC BY-SA 4.0 (ShareAlike) |
| `sounds/` | Speech Commands `_background_noise_` recordings; NPS humpback recording | {CC_BY_4}; public domain |
| `utterances/` | LibriSpeech test-clean; LJ Speech 1.1 | {CC_BY_4}; public domain |

All files are 16-bit PCM WAV. Changes are listed per file: "samples copied exactly" means the 16-bit
samples are identical to the source's (only the container was rewritten or the recording cut).

## spoken_digits/ — speech classification, speakers as groups

Source: Free Spoken Digit Dataset (FSDD), <https://github.com/{FSDD_REPO.name}>, commit
`{FSDD_REPO.commit}`, by Zohar Jackson (Jakobovski) and contributors; recordings by the speakers named
below. Licence: **{CC_BY_SA_4}**. The 100 files here are unchanged recordings (samples copied exactly, 8000 Hz
mono 16-bit, as in FSDD) renamed from `recordings/<digit>_<speaker>_<take>.wav` to `<digit>/<speaker>_<take>.wav`;
as a collection they are adapted material, shared under the same CC BY-SA 4.0 licence.

- Speakers (`group` in `groups.csv`): {"; ".join(f"`{s}` ({FSDD_SPEAKER_NOTES[s]})" for s in FSDD_SPEAKERS)}
  (speaker notes from FSDD's `metadata.py`). FSDD's sixth speaker, `lucas`, is not used.
- Takes {", ".join(str(t) for t in FSDD_TAKES)} of every digit 0–9: FSDD's README reserves takes 0–4 for its
  test set.
- `groups.csv`: `path,label,group` (path relative to `spoken_digits/`, label = digit, group = speaker).

{md_table(["file", "FSDD source path (commit above)", "duration (s)"], digits)}

## sounds/ — non-speech classification, source recordings as groups

`<class>/<class>_<k>.wav`: {len(SOUND_SOURCES)} classes × {SEGMENTS_PER_SOURCE * CLIPS_PER_SEGMENT} clips,
{CLIP_S:.1f} s each, **{SOUND_RATE} Hz mono 16-bit**. Only one long recording exists per class, so each
recording is split into {SEGMENTS_PER_SOURCE} equal thirds and **the groups are the thirds of one recording**
(`<class>_src<j>`, j = 0, 1, 2), not separate recordings: a split by group keeps clips from the same stretch of
the recording together, but all groups of a class still share one microphone, room and session. From each
third the {CLIPS_PER_SEGMENT} non-overlapping 1-s windows with the highest RMS (after removing the mean) are cut,
chosen greedily on a {WINDOW_HOP_S} s grid and numbered in time order (clips k = 4j … 4j+3 come from third j).
Levels are as recorded (no gain change), so they differ between classes: clip RMS {level_ranges}
(a level-only classifier could separate some classes: a real-data shortcut worth knowing about).
Speech Commands' `white_noise.wav` and `pink_noise.wav` are not used: its README says they were generated,
not recorded.

Sources:

{md_table(source_header, sound_sources)}

Speech Commands: Warden, P. (2018), "Speech Commands: A Dataset for Limited-Vocabulary Speech Recognition",
arXiv:1804.03209; dataset from <http://download.tensorflow.org/data/speech_commands_v0.02.tar.gz>; licensed
CC BY 4.0. Its `_background_noise_/README.md` says these files are covered by the same CC BY 4.0 licence and
were "collected personally by Pete Warden in July 2017" (except the generated pink and white noise).
Humpback whale: attribution from `audio/glacier-bay-humpback.txt` in librosa/data: "Glacier Bay 60-second clip
humpback whale song November 2020. Recorded by NPS - Chris Gabriele, 2020/11/13,
https://www.nps.gov/glba/learn/nature/soundclips.htm, Public domain". That source file carries a DC offset of
about +0.36 of full scale, removed here.

Clips (time range in the source recording, clip RMS level):

{md_table(["file", "group", "source time (s)", "RMS (dBFS)"], sound_clips)}

## utterances/ — transcription, reference transcripts

Read English speech by two speakers (`group` = speaker: `ls1089` = LibriSpeech speaker 1089, `lj` = LJ Speech's
single speaker) at their native rates, **16000 Hz** (LibriSpeech) and **22050 Hz** (LJ Speech) mono 16-bit,
plus one **{STEREO_RATE} Hz stereo** copy derived with soxr to exercise resampling and downmixing. Each WAV has
a `.txt` with the same stem holding its reference text, and `transcripts.csv` has `path,reference,group`.
The two datasets write references differently (LibriSpeech: upper case, no punctuation; LJ Speech: mixed
case with punctuation, numbers spelled out) — normalise text before computing WER.

LibriSpeech: Panayotov, V., Chen, G., Povey, D., Khudanpur, S. (2015), "LibriSpeech: an ASR corpus based on
public domain audio books", ICASSP; <https://www.openslr.org/12/>; {CC_BY_4}.
LJ Speech: Ito, K. (2017), The LJ Speech Dataset, <https://keithito.com/LJ-Speech-Dataset>; its README:
"All text, audio, and annotations are in the public domain" (recordings by Linda Johnson, LibriVox).
The LibriSpeech references come from the `*.trans.txt` files next to the audio in
{LIBRISPEECH_REPO.name}; the LJ Speech references from `{LJ_METADATA}` in {LJSPEECH_REPO.name} (same commits).

{md_table(["file", "repository", "path", "commit", "dataset", "speaker", "licence", "format", "changes",
           "reference text"], utterances)}

## Tools

Rebuilt with numpy {np.__version__}, soundfile {sf.__version__} (libsndfile {sf.__libsndfile_version__}),
soxr {soxr.__version__} (python-soxr, default HQ quality). Float signals (Vorbis decoding, soxr
resampling) are rounded to 16 bits by the script (`round(x * 32768)`, clipped).
"""
    (out / "ATTRIBUTION.md").write_text(text, encoding="utf-8")


# --- checks ----------------------------------------------------------------------------------------------
def check(out: Path) -> list[str]:
    """What the sets must look like; returns the problems found."""
    problems = []
    for set_dir, table in ((DIGITS_DIR, "groups.csv"), (SOUNDS_DIR, "groups.csv"),
                           (UTTERANCES_DIR, "transcripts.csv")):
        with (out / set_dir / table).open(encoding="utf-8", newline="") as f:
            listed = [row["path"] for row in csv.DictReader(f)]
        wavs = sorted(str(p.relative_to(out / set_dir)) for p in (out / set_dir).rglob("*.wav"))
        if sorted(listed) != wavs:
            problems.append(f"{set_dir}/{table} lists {len(listed)} paths but the folder has {len(wavs)} WAVs")
        for rel in wavs:
            info = sf.info(str(out / set_dir / rel))
            if info.subtype != PCM_SUBTYPE:
                problems.append(f"{set_dir}/{rel}: {info.subtype}, expected {PCM_SUBTYPE}")
            sf.read(str(out / set_dir / rel))  # decodes
            if set_dir == DIGITS_DIR and (info.samplerate, info.channels) != (DIGIT_RATE, 1):
                problems.append(f"{set_dir}/{rel}: {info.samplerate} Hz x{info.channels}, expected {DIGIT_RATE} mono")
            if set_dir == SOUNDS_DIR and (info.samplerate, info.channels, info.frames) != (
                    SOUND_RATE, 1, int(CLIP_S * SOUND_RATE)):
                problems.append(f"{set_dir}/{rel}: {info.samplerate} Hz x{info.channels} {info.frames} frames")
            if set_dir == UTTERANCES_DIR:
                text = (out / set_dir / rel).with_suffix(".txt")
                if not text.is_file():
                    problems.append(f"{set_dir}/{rel}: no reference {text.name}")
        expected = {DIGITS_DIR: 10 * len(FSDD_SPEAKERS) * len(FSDD_TAKES),
                    SOUNDS_DIR: len(SOUND_SOURCES) * SEGMENTS_PER_SOURCE * CLIPS_PER_SEGMENT,
                    UTTERANCES_DIR: len(UTTERANCES) + sum(u.stereo_copy for u in UTTERANCES)}[set_dir]
        if len(wavs) != expected:
            problems.append(f"{set_dir}: {len(wavs)} WAVs, expected {expected}")
    return problems


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, required=True, help="folder to write the sets into")
    parser.add_argument("--mirror-root", type=Path, default=Path("/work/.mirror"),
                        help="holds <owner>+<name>/repo git directories")
    parser.add_argument("--repo", action="append", default=[], metavar="OWNER/NAME=DIR",
                        help="a local copy of one repository (overrides --mirror-root for it)")
    args = parser.parse_args()
    overrides = dict((k, Path(v)) for k, v in (r.split("=", 1) for r in args.repo))
    src = Sources(args.mirror_root, overrides)
    args.out.mkdir(parents=True, exist_ok=True)
    digits = make_spoken_digits(src, args.out)
    sound_sources, sound_clips = make_sounds(src, args.out)
    utterances = make_utterances(src, args.out)
    write_attribution(args.out, digits, sound_sources, sound_clips, utterances)
    problems = check(args.out)
    if problems:
        sys.exit("checks failed:\n  " + "\n  ".join(problems))
    print(f"wrote {args.out}/: {DIGITS_DIR} (100), {SOUNDS_DIR} (60), {UTTERANCES_DIR} "
          f"({len(UTTERANCES) + sum(u.stereo_copy for u in UTTERANCES)}); all checks passed")


if __name__ == "__main__":
    main()
