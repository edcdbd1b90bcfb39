"""Reference speaker embeddings from resemblyzer's own code, for tests/test_speakers.py's known-answer test.

Run ONCE in a throwaway environment (never the project's .venv: the package imports webrtcvad, which audiodiag
does not install, and the deprecated scipy.ndimage.morphology). Exactly how tests/speaker_reference.json was made::

    REF=$(mktemp -d)/venv && python3.11 -m venv $REF    # Python 3.11.7
    $REF/bin/pip install torch==2.13.0 librosa==0.11.0 numpy==2.4.6 scipy==1.17.1 soundfile==0.14.0
                                                        # torch's CPU wheel (a local wheel folder, --find-links)
    $REF/bin/pip install --no-deps resemblyzer==0.1.4   # its `typing` requirement is a Python 2 backport
    $REF/bin/pip install webrtcvad==2.0.10 "setuptools<81"  # built from source; imports pkg_resources
    $REF/bin/python tools/make_speaker_reference.py     # from the repository root

Each clip below is a bundled 16-kHz WAV (no resampling is involved), cut or scaled as stated, then given to
`resemblyzer.audio.normalize_volume(wav, audio_norm_target_dBFS, increase_only=True)` and
`VoiceEncoder(device="cpu").embed_utterance(wav)`: the package's own front end, partials and averaging. Its
webrtcvad silence trimming (`preprocess_wav`) is left out, as audiodiag's encoder leaves it out. The JSON holds
numbers only (no audio): per clip the file, the cut, the gain, the 256-d embedding and the number of partials.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import soundfile as sf

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "tests" / "speaker_reference.json"
SAMPLE_RATE_HZ = 16_000
# (file under sample_audio/, seconds kept from the start (None: all), gain): a long clip with several partials, a
# clip whose last partial is dropped by the coverage rule, a short clip (one zero-padded partial) and a quiet clip
# that the volume normalisation raises to -30 dBFS
CLIPS = (
    ("utterances/utt01_ava.wav", None, 1.0),
    ("utterances/utt04_eli.wav", None, 1.0),
    ("utterances/utt03_ava.wav", 0.8, 1.0),
    ("utterances/utt02_eli.wav", 2.5, 0.01),
)


def main() -> None:
    import librosa
    import torch
    from resemblyzer import VoiceEncoder, audio
    from resemblyzer.hparams import audio_norm_target_dBFS

    encoder = VoiceEncoder(device="cpu", verbose=False)
    rows = []
    for rel, keep_s, gain in CLIPS:
        wav, rate = sf.read(ROOT / "sample_audio" / rel, dtype="float32")
        if rate != SAMPLE_RATE_HZ or wav.ndim != 1:
            sys.exit(f"{rel}: expected 16-kHz mono, got {rate} Hz, shape {wav.shape}")
        if keep_s is not None:
            wav = wav[:int(keep_s * SAMPLE_RATE_HZ)]
        wav = (wav * np.float32(gain)).astype(np.float32)
        wav = audio.normalize_volume(wav, audio_norm_target_dBFS, increase_only=True).astype(np.float32)
        embedding, partials, _ = encoder.embed_utterance(wav, return_partials=True)
        rows.append({"file": rel, "keep_s": keep_s, "gain": gain, "n_partials": int(len(partials)),
                     "embedding": [float(x) for x in embedding]})
    versions = {"resemblyzer": "0.1.4", "torch": torch.__version__, "librosa": librosa.__version__,
                "numpy": np.__version__, "python": sys.version.split()[0]}
    OUT.write_text(json.dumps({"made_by": "tools/make_speaker_reference.py",
                               "versions": versions, "clips": rows}, indent=1) + "\n")
    print(f"wrote {OUT} ({len(rows)} clips)")


if __name__ == "__main__":
    main()
