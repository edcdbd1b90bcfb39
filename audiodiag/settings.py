"""The settings of a run as typed objects: the pages and the CLI build them, and they travel everywhere else.

Each class validates itself (a bad value raises `SettingsError`, which names the setting, the value and the
fix, and is distinct from a data error), serialises for deep links and the JSON note (`to_dict` /
`from_dict`), and writes the `python -m audiodiag` command that reproduces the run (`to_command_line`).

>>> s = ComparisonSettings(encoders=("speech_embedding",), pad_s=1.0)
>>> s.to_command_line("data/")
'python -m audiodiag report data/ --task classify --encoder speech_embedding --folds 5 --pad-s 1'
>>> ComparisonSettings.from_dict(s.to_dict()) == s
True
"""
from __future__ import annotations

import math
import shlex
from dataclasses import asdict, dataclass, field, fields

from audiodiag.asr import normalisers
from audiodiag.errors import AudioDiagError, SettingsError
from audiodiag.evaluation.folds import MIN_FOLDS
from audiodiag.represent.encoders import AISFX, ALIASES, BUNDLED, WHISPER_UNPADDED, availability, canonical_name
from audiodiag.represent.features import FeatureSettings
from audiodiag.represent.spaces import BASELINE, MAX_PAD_LENGTH_S, PaddingPolicy

DEFAULT_ENCODERS = (WHISPER_UNPADDED,)  # bundled: works offline
SOUND_ENCODER = AISFX  # the bundled encoder trained on sounds other than speech
MAX_FOLDS = 20
MAX_LAYER = 48  # the deepest hidden layer of the Hugging Face audio models in use (e.g. 48 for wav2vec2 XL)
DEFAULT_ASR = "whisper-tiny.en"
COMMAND = ("python", "-m", "audiodiag", "report")


def default_encoders(*, target: str | None = None, dataset_speech: float | None = None) -> tuple[str, ...]:
    """The frozen encoders compared when none is named (the Compare page's first choice, `report` without
    --encoder); bundled ones only, so the default runs offline.

    The target model, when it is a bundled encoder (what the user plans to feed); and the sound encoder aiSFX
    (when installed) when voice activity detection finds speech in less than half of the audio
    (`levels.SPEECH_MAJORITY`) and the target is not a sound model already. Neither applies: Whisper tiny.en.

    >>> default_encoders(target="speech_embedding (openwakeword)", dataset_speech=0.9)
    ('speech_embedding (openwakeword)',)
    >>> default_encoders(dataset_speech=0.9)
    ('whisper-tiny.en encoder (unpadded)',)
    """
    from audiodiag.measure.levels import SPEECH_MAJORITY

    chosen = [target] if target in BUNDLED else []
    if (dataset_speech is not None and dataset_speech < SPEECH_MAJORITY and SOUND_ENCODER not in chosen
            and not availability(SOUND_ENCODER)):
        chosen.append(SOUND_ENCODER)
    return tuple(chosen) or DEFAULT_ENCODERS


def _fail(owner: str, name: str, value, expected: str) -> None:
    raise SettingsError(f"{owner}.{name}={value!r}: expected {expected}")


def _check_int(owner: str, name: str, value, low: int, high: int | None = None) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < low or (high is not None and value > high):
        _fail(owner, name, value, f"an integer from {low}" + (f" to {high}" if high is not None else " up"))
    return value


def _check_encoders(owner: str, value) -> tuple[str, ...]:
    names = (value,) if isinstance(value, str) else tuple(value)
    if not all(isinstance(n, str) and n.strip() for n in names):
        _fail(owner, "encoders", value, "encoder names (bundled names, Hugging Face ids or local folders)")
    full = (canonical_name(n) for n in names)  # "speech_embedding" and its full name are one encoder
    return tuple(dict.fromkeys(n for n in full if n != BASELINE))  # the baseline is always compared


def _check_pad(owner: str, value) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or \
            not 0 < value <= MAX_PAD_LENGTH_S:
        _fail(owner, "pad_s", value, f"None (no padding) or seconds in (0, {MAX_PAD_LENGTH_S:g}]")
    return float(value)


def _check_layer(owner: str, value) -> int | None:
    if value is None or value == -1:  # -1: the last layer, as the page's "-1 = last"
        return None
    return _check_int(owner, "layer", value, 0, MAX_LAYER)


def _from_dict(cls, data: dict):
    known = {f.name for f in fields(cls)}
    unknown = sorted(set(data) - known)
    if unknown:
        raise SettingsError(f"{cls.__name__}: unknown setting(s) {', '.join(unknown)}; known: {', '.join(sorted(known))}")
    return cls(**data)


def _short(name: str) -> str:
    """The CLI's short alias of a bundled encoder name, where it has one."""
    return {full: alias for alias, full in ALIASES.items()}.get(name, name)


def _encoder_args(names: tuple[str, ...]) -> list[str]:
    return [a for n in names for a in ("--encoder", _short(n))]


@dataclass(frozen=True)
class ComparisonSettings:
    """What a classification comparison (Compare, Decide, `report --task classify`) runs with."""

    encoders: tuple[str, ...] = DEFAULT_ENCODERS  # frozen encoders; the spectral baseline is always compared too
    n_splits: int = 5
    group_aware: bool = True  # group-aware folds when every clip has a group
    pad_s: float | None = None  # pad or trim every clip to this length; None: each clip at its own length
    layer: int | None = None  # hidden layer of Hugging Face encoders; None: the last
    seed: int = 0
    features: FeatureSettings = field(default_factory=FeatureSettings)  # the spectral baseline's analysis

    def __post_init__(self) -> None:
        owner = type(self).__name__
        object.__setattr__(self, "encoders", _check_encoders(owner, self.encoders))
        _check_int(owner, "n_splits", self.n_splits, MIN_FOLDS, MAX_FOLDS)
        if not isinstance(self.group_aware, bool):
            _fail(owner, "group_aware", self.group_aware, "True or False")
        object.__setattr__(self, "pad_s", _check_pad(owner, self.pad_s))
        object.__setattr__(self, "layer", _check_layer(owner, self.layer))
        _check_int(owner, "seed", self.seed, 0)
        if isinstance(self.features, (list, tuple)):  # from JSON / a link: the fields in order
            object.__setattr__(self, "features", FeatureSettings(*self.features))
        elif isinstance(self.features, dict):
            object.__setattr__(self, "features", FeatureSettings(**self.features))
        if not isinstance(self.features, FeatureSettings):
            _fail(owner, "features", self.features, "a FeatureSettings (the spectral baseline's analysis)")

    @property
    def spaces(self) -> tuple[str, ...]:
        """Every space compared, the spectral baseline first."""
        return (BASELINE, *self.encoders)

    @property
    def padding(self) -> PaddingPolicy:
        return PaddingPolicy(self.pad_s)

    def to_dict(self) -> dict:
        return {**asdict(self), "encoders": list(self.encoders), "features": asdict(self.features)}

    @classmethod
    def from_dict(cls, data: dict) -> ComparisonSettings:
        return _from_dict(cls, data)

    def to_command_line(self, data: str, *, task: str = "classify") -> str:
        chosen = _encoder_args(self.encoders) or ["--encoder", BASELINE]  # the baseline alone, not the default
        args = [*COMMAND, data, "--task", task, *chosen, "--folds", str(self.n_splits)]
        args += ["--no-groups"] if not self.group_aware else []
        args += ["--pad-s", f"{self.pad_s:g}"] if self.pad_s is not None else []
        args += ["--layer", str(self.layer)] if self.layer is not None else []
        args += ["--seed", str(self.seed)] if self.seed else []
        if self.features != FeatureSettings():
            f = self.features
            args += ["--baseline-features", f"{f.sample_rate_hz},{f.n_mels},{f.n_mfcc},{f.n_fft},{f.hop_length}"]
        return shlex.join(args)


@dataclass(frozen=True)
class RetrievalSettings:
    """What a retrieval report (Decide for retrieval, `report --task retrieve`) runs with."""

    comparison: ComparisonSettings = field(default_factory=ComparisonSettings)
    # a query's own group (speaker, source) is not a candidate; applied when every clip has a group (otherwise
    # there is nothing to exclude, and the note says so)
    exclude_same_group: bool = True

    def __post_init__(self) -> None:
        if isinstance(self.comparison, dict):
            object.__setattr__(self, "comparison", ComparisonSettings.from_dict(self.comparison))
        if not isinstance(self.exclude_same_group, bool):
            _fail(type(self).__name__, "exclude_same_group", self.exclude_same_group, "True or False")

    def to_dict(self) -> dict:
        return {"comparison": self.comparison.to_dict(), "exclude_same_group": self.exclude_same_group}

    @classmethod
    def from_dict(cls, data: dict) -> RetrievalSettings:
        return _from_dict(cls, data)

    def to_command_line(self, data: str) -> str:
        line = self.comparison.to_command_line(data, task="retrieve")
        return line + ("" if self.exclude_same_group else " --no-exclude-same-group")


@dataclass(frozen=True)
class TranscriptionSettings:
    """What a transcription run (Transcribe, `report --task transcribe`) runs with."""

    model: str = DEFAULT_ASR  # bundled name, Hugging Face id or local folder
    beam: int = 1
    temperature: float = 0.0
    language: str = "en"
    normalisation: str = "basic"

    def __post_init__(self) -> None:
        owner = type(self).__name__
        if not isinstance(self.model, str) or not self.model.strip():
            _fail(owner, "model", self.model, f"an ASR model name, id or folder (e.g. {DEFAULT_ASR!r})")
        object.__setattr__(self, "model", self.model.strip())
        if self.normalisation not in normalisers.NORMALISATIONS:
            _fail(owner, "normalisation", self.normalisation, f"one of {', '.join(normalisers.names())}")
        try:
            self.decoding
        except AudioDiagError as e:
            raise SettingsError(f"{owner}: {e}") from e

    @property
    def decoding(self):
        from audiodiag.asr.recognisers import DecodingSettings

        return DecodingSettings(beam_size=self.beam, language=self.language, temperature=self.temperature)

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> TranscriptionSettings:
        return _from_dict(cls, data)

    def to_command_line(self, data: str) -> str:
        args = [*COMMAND, data, "--task", "transcribe", "--model", self.model, "--beam", str(self.beam),
                "--normalisation", self.normalisation]
        args += ["--language", self.language] if self.language != "en" else []
        args += ["--temperature", f"{self.temperature:g}"] if self.temperature else []
        return shlex.join(args)
