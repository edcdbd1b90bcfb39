"""The card types: a model's licence as its package states it, its weight files as installed, and the card itself."""
from __future__ import annotations

from dataclasses import asdict, dataclass

ALLOWED = "allowed"  # the stated licence permits commercial use (attribution or notices may be required)
NON_COMMERCIAL = "non-commercial"  # the stated licence forbids it
UNCLEAR = "unclear"  # a licence is named but does not settle it (a custom or unknown licence)
NOT_STATED = "not stated"  # the package or model card names no licence
COMMERCIAL_USE = (ALLOWED, NON_COMMERCIAL, UNCLEAR, NOT_STATED)
NON_COMMERCIAL_FLAG = "non-commercial licence as shipped"
BYTES_PER_MB = 1_000_000


@dataclass(frozen=True)
class Licence:
    """The licence of a model's weights in its package's own words, and where those words are.

    checked: the words were found in the installed file named by `where` (None: not installed, or nothing to check).
    """

    name: str  # short: "MIT", "CC BY-NC-SA 4.0", "not stated"
    words: str  # quoted verbatim from the package (Markdown links and emphasis dropped)
    where: str  # the file, and the section, that says so
    commercial_use: str  # one of COMMERCIAL_USE
    note: str = ""  # what else the package says that bears on it (caveats, conflicting statements)
    checked: bool | None = None

    @property
    def flag(self) -> str:
        """NON_COMMERCIAL_FLAG for a non-commercial licence, else ""."""
        return NON_COMMERCIAL_FLAG if self.commercial_use == NON_COMMERCIAL else ""

    @property
    def summary(self) -> str:
        """The licence name with its flag: 'CC BY-NC-SA 4.0 (non-commercial licence as shipped)'."""
        return f"{self.name} ({self.flag})" if self.flag else self.name


@dataclass(frozen=True)
class WeightsFile:
    """One installed weight file: its path inside the package (or model folder), size and content hash."""

    path: str
    size_bytes: int
    sha256: str
    matches_record: bool | None  # equals the wheel's RECORD hash (None: no RECORD entry, e.g. a Hugging Face folder)


@dataclass(frozen=True)
class ModelCard:
    """What a model is, where its weights come from, under which licence, and what input it takes.

    Static facts come from `audiodiag.model_cards.bundled` (bundled models) or the model's own config.json and
    README.md (Hugging Face); `version` and `weights` are measured from the installed files.
    """

    name: str
    role: str  # "frozen encoder", "speech recognition", "voice activity detection", ...
    package: str  # PyPI distribution, Hugging Face id or local folder
    version: str  # installed version, hub commit or "local folder"; "not installed" when absent
    licence: Licence
    provenance: str
    trained_on: str  # in the package's words where it says; "not stated in the package" otherwise
    sample_rate_hz: int | None
    input_limit: str
    embedding_size: int | None  # None: the model's output is not an embedding (ASR, VAD)
    weights: tuple[WeightsFile, ...] = ()
    installed: bool = True
    stated_version: str = ""  # the package version whose words `licence` quotes ("" for Hugging Face cards)

    @property
    def weights_bytes(self) -> int:
        return sum(w.size_bytes for w in self.weights)

    @property
    def weights_mb(self) -> float:
        return self.weights_bytes / BYTES_PER_MB

    def to_dict(self) -> dict:
        """Every field, plus the commercial-use flag and the total weights size, as JSON-able values."""
        out = asdict(self)
        out["licence"]["flag"] = self.licence.flag
        out["weights_bytes"] = self.weights_bytes
        return out
