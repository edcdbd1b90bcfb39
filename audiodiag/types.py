"""Small frozen dataclasses shared across audiodiag. Units live in the field names."""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from audiodiag.findings import Code, Severity


@dataclass(frozen=True, eq=False)
class Clip:
    """One decoded audio clip: a mono float32 downmix plus what the file originally was."""

    name: str
    samples: np.ndarray  # float32, mono, shape (n,), finite (non-finite input is zeroed and counted)
    sample_rate_hz: int
    original_sample_rate_hz: int
    original_channels: int
    subtype: str = "FLOAT"  # libsndfile subtype of the source, e.g. "PCM_16"
    container: str = "WAV"
    label: str | None = None
    group: str | None = None
    content_hash: str = ""  # sha256 of the source bytes (hex, 16 chars): the cache key
    non_finite_count: int = 0  # NaN/Inf samples found in the source (replaced by 0 in `samples`)
    fold: str | None = None  # the dataset's own test fold (a labels table's `fold` column), used as given
    split: str | None = None  # the dataset's own split (a `split` column: train / validation / test)

    @property
    def duration_s(self) -> float:
        return len(self.samples) / self.sample_rate_hz

    @property
    def bit_depth(self) -> int | None:
        """Bits per sample of the source encoding, or None for compressed formats."""
        return BIT_DEPTHS.get(self.subtype)


BIT_DEPTHS = {
    "PCM_S8": 8, "PCM_U8": 8, "PCM_16": 16, "PCM_24": 24, "PCM_32": 32,
    "FLOAT": 32, "DOUBLE": 64, "ULAW": 8, "ALAW": 8,
}


@dataclass(frozen=True)
class ClipInfo:
    """A clip without its samples: what the comparison, audit, duplicates and note read once the audio has been
    measured and embedded (audiodiag.runs.stream keeps these, not Clips, so memory does not grow with the audio).

    The attribute names are Clip's, so `compare.compare` and `decide.classification_decision` take either;
    `duration_s` is computed as Clip computes it, so every number comes out the same.

    >>> from audiodiag.evaluation import duplicates
    >>> clip = Clip("a.wav", np.zeros(8000, np.float32), 16000, 16000, 1, label="dog")
    >>> info = ClipInfo.of(clip, audio_hash=duplicates.audio_hash(clip))
    >>> info.duration_s == clip.duration_s, info.audio_hash == duplicates.audio_hash(clip)
    (True, True)
    """

    name: str
    n_samples: int  # of the decoded mono signal, at sample_rate_hz
    sample_rate_hz: int
    original_sample_rate_hz: int
    original_channels: int
    label: str | None = None
    group: str | None = None
    content_hash: str = ""  # sha256 of the source bytes (hex, 16 chars), as Clip.content_hash
    audio_hash: str = ""  # hash of the decoded audio (duplicates.audio_hash): equal for identical audio
    source: str | None = None  # where the file was read (a manifest row's path or URL); None for zip members
    fold: str | None = None  # as Clip.fold
    split: str | None = None  # as Clip.split

    @property
    def duration_s(self) -> float:
        return self.n_samples / self.sample_rate_hz

    @classmethod
    def of(cls, clip: Clip, *, audio_hash: str = "") -> ClipInfo:
        return cls(clip.name, len(clip.samples), clip.sample_rate_hz, clip.original_sample_rate_hz,
                   clip.original_channels, clip.label, clip.group, clip.content_hash, audio_hash, fold=clip.fold,
                   split=clip.split)


@dataclass(frozen=True)
class LoadFailure:
    """A file that could not be loaded; shown as an error row, the rest of the batch goes on."""

    name: str
    message: str


@dataclass(frozen=True)
class Finding:
    """A warning about one clip or a whole dataset.

    `message` says what was measured, what was expected and what to do; `files` lists the clips concerned.
    `code` is one of `findings.Code` (given as the enum or its string; an unknown code is refused), `severity`
    one of `findings.Severity`, usually the code's own.
    """

    code: Code
    severity: Severity
    message: str
    files: tuple[str, ...] = field(default_factory=tuple)

    def __post_init__(self) -> None:
        try:
            object.__setattr__(self, "code", Code(self.code))
        except ValueError:
            raise ValueError(f"finding code {self.code!r} is not in audiodiag.findings.Code; add it there, with "
                             "its severity and category") from None
        object.__setattr__(self, "severity", Severity(self.severity))


@dataclass(frozen=True)
class Readiness:
    """Whether the labelled data supports fine-tuning (`finetune.finetune_readiness` decides); `reason` is about
    the data only: what the learning curve says is the curve's own claim."""

    ok: bool
    reason: str  # names the smallest class, its count, the threshold and what to do
    clips_per_class: dict[str, int] = field(default_factory=dict)
    rule: str = ""  # the rule it applied, in words


@dataclass(frozen=True)
class SpeechRegion:
    start_s: float
    end_s: float
