"""Optional offline encoder: aiSFX, a sound-effects CNN whose CC BY 4.0 weights ship inside the `aisfx` wheel.

aiSFX (Ma & Lerch, ISMIR 2022) was trained to classify commercial sound-effects libraries (UCS categories);
its 512-d embedding is the max over time of a 4-block CNN on a 96-band log-mel spectrogram at 44.1 kHz.
`aisfx` 0.1.2 pins numpy 1.23 / librosa 0.9.2, so it is installed without its dependencies
(`pip install --no-deps aisfx==0.1.2`); everything it imports at runtime (torch, numpy, tqdm) is already pinned
here. Three defects of the package are worked around here rather than patched:

- layout: its librosa front end returns (mel bands, frames) but the model and `blocking` expect (frames, bands),
  so the package feeds the model a transposed spectrogram (96 bands + 4 zero rows as "time", frames as
  "frequency"); here the mel spectrogram is transposed to (frames, bands) before blocking;
- `torch.load` without `weights_only`: fails on torch >= 2.6 (the checkpoint holds numpy scalars); here it is
  loaded with `weights_only=True` and only those numpy types allowed, after checking the wheel's sha256;
- a clip shorter than one hop (~1.2 s) trips an assert in `compute_hopSize`; here short clips are one block.

Not run as a doctest (importing torch and loading the weights takes seconds)::

    encoder = AisfxEncoder()
    encoder.embed(clips).shape            # (len(clips), 512), float32
"""
from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from audiodiag.errors import BadParameterError, MissingDependencyError
from audiodiag.represent.encoders.base import (
    check_clips,
    chunks,
    last_layer_only,
    package_version,
    resampled,
    verify_weights,
)
from audiodiag.types import Clip

AISFX = "aiSFX sound effects (aisfx)"
AISFX_VERSION = "0.1.2"
AISFX_INSTALL = f"pip install --no-deps aisfx=={AISFX_VERSION}"  # its own pins would downgrade numpy and librosa
AISFX_CHECKPOINT = "models/checkpoint.pth"  # inside the installed package
AISFX_CHECKPOINT_SHA256 = "499ea75909c932a2f94c35fa722fa4fabc5bcb7e84917209cc5f7402627b7eb5"  # wheel RECORD
AISFX_SAMPLE_RATE_HZ = 44_100
AISFX_N_FFT = 2048  # SPEC_BLOCK_LENGTH
AISFX_HOP_SAMPLES = 1024  # SPEC_HOP_LENGTH: 23.2 ms per mel frame
AISFX_N_MELS = 96
AISFX_LOG_SCALE = 10_000.0  # log10(1 + 10 000 * power): the "shift_scale_log" compression it was trained on
AISFX_SPEC_MAX = 9.457798957824707  # min-max normalisation constant of the ISMIR training data (min 0)
AISFX_BLOCK_FRAMES = 100  # the model's input: 100 mel frames, ~2.3 s
AISFX_HOP_FRAMES = 50  # 50 % overlap between blocks, as in the paper
AISFX_TIME_POOLING = 8  # three 2x max-pools over time before the final max
AISFX_WIDTH = 512  # EmbeddingNet("max", 3, 1, 64): 64 * 8 channels
AISFX_BATCH_BLOCKS = 32
POOLINGS = ("real frames", "with padding")


class AisfxEncoder:
    """aiSFX X-Sequential-CE embedding net: 512-d per 100-frame block, max over real frames, mean over blocks.

    Each clip is resampled to 44.1 kHz, peak-normalised (the package's librosa front end), turned into a
    (frames, 96) log-mel spectrogram and cut into 100-frame blocks every 50 frames (a last block is aligned to
    the end so the tail counts). A clip shorter than one block is zero-padded to 100 frames; with
    pooling="real frames" (default) the final max over time covers only the pooled frames of real audio, with
    pooling="with padding" it also covers the padding (what the package does). Blocks are batched; every
    block has the same shape, so batched == one by one.
    """

    sample_rate_hz = AISFX_SAMPLE_RATE_HZ
    embedding_size = AISFX_WIDTH

    def __init__(self, *, pooling: str = POOLINGS[0]) -> None:
        if pooling not in POOLINGS:
            raise BadParameterError(f"aiSFX pooling {pooling!r}; choose one of: {', '.join(POOLINGS)}")
        try:
            import torch
            from aisfx.models.cnn2d import EmbeddingNet
        except ImportError as e:
            raise MissingDependencyError(
                f"{AISFX} is not installed ({e}); it is optional: run `{AISFX_INSTALL}` (--no-deps: "
                "its own pins would replace numpy and librosa), then restart the app") from e
        import aisfx

        checkpoint = Path(aisfx.__file__).parent / AISFX_CHECKPOINT
        self._torch = torch
        self._net = EmbeddingNet("max", 3, 1, 64)
        self._net.load_state_dict(_embedding_weights(checkpoint, torch))
        self._net.eval()
        self.pooling = pooling
        self.name = AISFX if pooling == POOLINGS[0] else f"{AISFX}, pooled with padding"
        self.encoder_id = AISFX
        self.model_bytes = checkpoint.stat().st_size
        self.revision = f"aisfx=={package_version('aisfx')}"
        self.padding_policy = f"pad to {AISFX_BLOCK_FRAMES} mel frames; max over {pooling}"

    def embed(self, clips: Sequence[Clip], *, layer: int | None = None) -> np.ndarray:
        check_clips(clips, encoder=self.name)
        last_layer_only(layer, encoder=self.name)
        blocks, real_frames, owners = [], [], []
        for i, wave in enumerate(resampled(clips, self.sample_rate_hz)):
            spec = log_mel(wave)
            for start in _block_starts(len(spec)):
                block = spec[start:start + AISFX_BLOCK_FRAMES]
                real_frames.append(len(block))
                blocks.append(np.pad(block, ((0, AISFX_BLOCK_FRAMES - len(block)), (0, 0))))
                owners.append(i)
        stacked = np.stack(blocks).astype(np.float32)
        rows = np.concatenate([self.embed_blocks(stacked[idx], np.asarray(real_frames)[idx])
                               for idx in chunks(list(range(len(stacked))), AISFX_BATCH_BLOCKS)])
        owners_arr = np.asarray(owners)
        sums = np.zeros((len(clips), self.embedding_size), np.float64)
        np.add.at(sums, owners_arr, rows.astype(np.float64))
        return (sums / np.bincount(owners_arr, minlength=len(clips))[:, None]).astype(np.float32)

    def embed_blocks(self, blocks: np.ndarray, real_frames: np.ndarray) -> np.ndarray:
        """EmbeddingNet.forward, with the final max over time limited to real frames when pooling asks."""
        torch, net = self._torch, self._net
        with torch.inference_mode():
            x = torch.from_numpy(blocks).unsqueeze(1)  # (blocks, 1, time, mel)
            for conv, pool in ((net.conv_block1, (2, 2)), (net.conv_block2, (2, 2)), (net.conv_block3, (2, 2)),
                               (net.conv_block4, (1, 1))):
                x = conv(x, pool_size=pool, pool_type=net.pool_type)
            x = x.mean(dim=3)  # (blocks, channels, time / 8)
            if self.pooling == POOLINGS[0]:
                steps = torch.arange(x.shape[2])
                valid = np.minimum(x.shape[2], np.maximum(1, np.ceil(real_frames / AISFX_TIME_POOLING)))
                x = x.masked_fill(steps[None, None, :] >= torch.from_numpy(valid)[:, None, None], -math.inf)
            return x.max(dim=2).values.numpy()


def log_mel(wave: np.ndarray) -> np.ndarray:
    """(frames, 96) normalised log-mel spectrogram of a 44.1-kHz clip: the package's librosa front end, transposed."""
    import librosa

    peak = float(np.max(np.abs(wave))) or 1.0
    power = librosa.feature.melspectrogram(y=wave / peak, sr=AISFX_SAMPLE_RATE_HZ, n_fft=AISFX_N_FFT,
                                           win_length=AISFX_N_FFT, hop_length=AISFX_HOP_SAMPLES, n_mels=AISFX_N_MELS,
                                           fmin=0.0, fmax=AISFX_SAMPLE_RATE_HZ / 2, htk=True, norm=1.0, power=2.0)
    return (np.log10(power * AISFX_LOG_SCALE + 1) / AISFX_SPEC_MAX).T.astype(np.float32)


def _block_starts(n_frames: int) -> list[int]:
    if n_frames <= AISFX_BLOCK_FRAMES:
        return [0]
    starts = list(range(0, n_frames - AISFX_BLOCK_FRAMES + 1, AISFX_HOP_FRAMES))
    if starts[-1] + AISFX_BLOCK_FRAMES < n_frames:
        starts.append(n_frames - AISFX_BLOCK_FRAMES)
    return starts


def _embedding_weights(checkpoint: Path, torch) -> dict:
    """The embedding net's tensors from the wheel's checkpoint, loaded without running pickled code."""
    verify_weights(checkpoint, sha256=AISFX_CHECKPOINT_SHA256, what=f"aisfx {AISFX_VERSION}", install=AISFX_INSTALL)
    from numpy._core.multiarray import scalar

    allowed = [(scalar, "numpy.core.multiarray.scalar"), np.dtype, type(np.dtype(np.int64))]
    with torch.serialization.safe_globals(allowed):
        weights, _heads = torch.load(checkpoint, map_location="cpu", weights_only=True)
    prefix = "embedding_net."
    return {k[len(prefix):]: v for k, v in weights.items() if k.startswith(prefix)}
