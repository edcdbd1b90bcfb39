"""Every finding code audiodiag raises, in one registry: its usual severity, its category, and which comparisons
it invalidates. A `types.Finding` takes its code from here (an unknown code is refused), so a rule that reads
findings ("does anything invalidate this classification?") asks the registry instead of keeping its own list.

>>> Code("duplicate_across_folds").invalidates
frozenset({'classify'})
>>> sorted(c.value for c in Code if c.category is Category.MODEL_INPUT)[:3]
['duration_shortcut', 'fixed_input_padding', 'mixed_sample_rates']
"""
from __future__ import annotations

from enum import Enum


class _Text(str, Enum):
    """An enum whose members are their strings everywhere: printed, formatted, hashed, compared and in JSON."""

    def __str__(self) -> str:
        return self.value

    def __format__(self, spec: str) -> str:
        return format(self.value, spec)

    def __repr__(self) -> str:
        return repr(self.value)

    __hash__ = str.__hash__  # `code in {"clipping"}` holds as `code == "clipping"` does


class Severity(_Text):
    ERROR = "error"  # the file or the run cannot be used as it is
    WARNING = "warning"  # a result may be wrong because of it
    INFO = "info"  # worth knowing; changes no result


class Category(_Text):
    INPUT = "input"  # a file or a table the user gave could not be used (or not all of it)
    AUDIO = "audio"  # one clip's signal: clipping, silence, levels, format
    DATASET = "dataset"  # how the dataset was recorded or assembled: rates, channels, loudness, noise
    MODEL_INPUT = "model input"  # what the encoders are fed: rates, padding, truncation, speech, duration cues
    LEAKAGE = "leakage"  # the same recording or speaker on both sides of a split
    TRANSCRIPT = "transcript"  # a transcript that cannot be what was said


CLASSIFY, RETRIEVE = "classify", "retrieve"


class Code(_Text):
    """A finding code: the string in notes and JSON, with its usual severity, category and the tasks whose
    comparison it can make wrong."""

    def __new__(cls, value: str, severity: Severity, category: Category, invalidates: frozenset = frozenset()):
        member = str.__new__(cls, value)
        member._value_ = value
        member.severity, member.category, member.invalidates = severity, category, invalidates
        return member

    # input
    UNREADABLE = "unreadable", Severity.ERROR, Category.INPUT
    UNUSED_COLUMNS = "unused_columns", Severity.INFO, Category.INPUT
    # one clip's audio (checks.clip_findings)
    NON_FINITE = "non_finite", Severity.ERROR, Category.AUDIO
    ALL_SILENT = "all_silent", Severity.ERROR, Category.AUDIO
    CLIPPING = "clipping", Severity.WARNING, Category.AUDIO
    DC_OFFSET = "dc_offset", Severity.WARNING, Category.AUDIO
    MOSTLY_SILENT = "mostly_silent", Severity.WARNING, Category.AUDIO
    INTERNAL_SILENCE = "internal_silence", Severity.WARNING, Category.AUDIO
    LOW_BIT_DEPTH = "low_bit_depth", Severity.WARNING, Category.AUDIO
    BAND_LIMITED = "band_limited", Severity.WARNING, Category.AUDIO
    LOW_LEVEL = "low_level", Severity.INFO, Category.AUDIO
    HIGH_SAMPLE_RATE = "high_sample_rate", Severity.INFO, Category.AUDIO
    MANY_CHANNELS = "many_channels", Severity.INFO, Category.AUDIO
    # the dataset as recorded
    MIXED_CHANNELS = "mixed_channels", Severity.WARNING, Category.DATASET
    LOUDNESS_OUTLIER = "loudness_outlier", Severity.WARNING, Category.DATASET
    LOW_SNR = "low_snr", Severity.WARNING, Category.DATASET
    # what the encoders are fed
    SAMPLE_RATE_MISMATCH = "sample_rate_mismatch", Severity.WARNING, Category.MODEL_INPUT
    MIXED_SAMPLE_RATES = "mixed_sample_rates", Severity.WARNING, Category.MODEL_INPUT
    NON_SPEECH_FOR_SPEECH_ENCODER = "non_speech_for_speech_encoder", Severity.WARNING, Category.MODEL_INPUT
    PADDING_DOMINATES = "padding_dominates", Severity.WARNING, Category.MODEL_INPUT
    FIXED_INPUT_PADDING = "fixed_input_padding", Severity.WARNING, Category.MODEL_INPUT
    TRUNCATION = "truncation", Severity.WARNING, Category.MODEL_INPUT
    DURATION_SHORTCUT = ("duration_shortcut", Severity.WARNING, Category.MODEL_INPUT,
                         frozenset({CLASSIFY, RETRIEVE}))
    # leakage
    DUPLICATE_ACROSS_FOLDS = "duplicate_across_folds", Severity.WARNING, Category.LEAKAGE, frozenset({CLASSIFY})
    NEAR_DUPLICATE_ACROSS_FOLDS = ("near_duplicate_across_folds", Severity.WARNING, Category.LEAKAGE,
                                   frozenset({CLASSIFY}))
    GROUP_ACROSS_FOLDS = "group_across_folds", Severity.WARNING, Category.LEAKAGE, frozenset({CLASSIFY})
    DUPLICATE_LABEL_CONFLICT = ("duplicate_label_conflict", Severity.WARNING, Category.LEAKAGE,
                                frozenset({CLASSIFY, RETRIEVE}))
    DUPLICATE_CLIPS = "duplicate_clips", Severity.INFO, Category.LEAKAGE, frozenset({RETRIEVE})
    NEAR_DUPLICATES = "near_duplicates", Severity.INFO, Category.LEAKAGE
    SPEAKER_ACROSS_SPLITS = "speaker_across_splits", Severity.WARNING, Category.LEAKAGE
    SPEAKER_SOUNDS_LIKE_TWO = "speaker_sounds_like_two", Severity.WARNING, Category.LEAKAGE
    SPEAKERS_SOUND_ALIKE = "speakers_sound_alike", Severity.WARNING, Category.LEAKAGE
    # transcripts
    EMPTY_TRANSCRIPT = "empty_transcript", Severity.WARNING, Category.TRANSCRIPT
    TRANSCRIPT_TOO_FAST = "transcript_too_fast", Severity.WARNING, Category.TRANSCRIPT
    TRANSCRIPT_TOO_SLOW = "transcript_too_slow", Severity.WARNING, Category.TRANSCRIPT


def invalidating(task: str) -> frozenset[Code]:
    """The codes whose finding makes a `task` ("classify" or "retrieve") comparison possibly wrong."""
    return frozenset(c for c in Code if task in c.invalidates)


def in_category(category: Category) -> frozenset[Code]:
    return frozenset(c for c in Code if c.category is category)
