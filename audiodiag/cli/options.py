"""The settings a command line's options choose: `comparison_settings(args)` and its kin; a bad value raises
SettingsError before any data is read."""
from __future__ import annotations

import argparse

from audiodiag.errors import AudioDiagError
from audiodiag.represent.features import FeatureSettings
from audiodiag.settings import (
    DEFAULT_ENCODERS,
    ComparisonSettings,
    RetrievalSettings,
    SettingsError,
    TranscriptionSettings,
)


def comparison_settings(args: argparse.Namespace) -> ComparisonSettings:
    """The comparison settings of a `report` (or `check`) command line; a bad value raises SettingsError."""
    features = FeatureSettings() if not args.baseline_features else _features(args.baseline_features)
    return ComparisonSettings(encoders=tuple(args.encoder or DEFAULT_ENCODERS), n_splits=args.folds,
                              group_aware=not args.no_groups, pad_s=args.pad_s, layer=args.layer, seed=args.seed,
                              features=features)


def retrieval_settings(args: argparse.Namespace) -> RetrievalSettings:
    return RetrievalSettings(comparison_settings(args), exclude_same_group=args.exclude_same_group)


def transcription_settings(args: argparse.Namespace) -> TranscriptionSettings:
    return TranscriptionSettings(model=args.model, beam=args.beam, temperature=args.temperature,
                                 language=args.language, normalisation=args.normalisation)


def _features(text: str) -> FeatureSettings:
    try:
        values = [int(v) for v in text.split(",")]
        return FeatureSettings(*values)
    except (ValueError, TypeError, AudioDiagError) as e:
        raise SettingsError(f"--baseline-features {text!r}: expected five integers RATE,MELS,MFCCS,WINDOW,HOP "
                            f"(e.g. 16000,64,20,512,160) ({e})") from e
