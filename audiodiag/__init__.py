"""audiodiag: which rung of the representation ladder does your audio task need?

The library behind the Streamlit dashboard and the CLI; no Streamlit import. The public API is the names below
(README: "Using the library without Streamlit"); everything else may move between releases. Names are imported
on first use, so `import audiodiag` stays light.

    import audiodiag
    name, clips, failures = audiodiag.load("spoken_digits")       # a folder, .zip, manifest or bundled set
    note = audiodiag.classify(clips, audiodiag.ComparisonSettings(encoders=())).note
    print(note.verdict)
"""
from __future__ import annotations

import importlib

__version__ = "0.1.0"

# public name -> (module, attribute)
_PUBLIC = {
    # data in
    "load": ("audiodiag.data.sources", "load"),
    "Clip": ("audiodiag.types", "Clip"),
    "LoadFailure": ("audiodiag.types", "LoadFailure"),
    # measure and check
    "analyse": ("audiodiag.measure.dataset", "analyse"),
    "check": ("audiodiag.runs.gate", "run_check"),
    "Finding": ("audiodiag.types", "Finding"),
    "FindingCode": ("audiodiag.findings", "Code"),
    # the three tasks, each to its decision note
    "classify": ("audiodiag.verdict.decide", "classify"),
    "retrieve": ("audiodiag.verdict.decide", "retrieve"),
    "transcribe": ("audiodiag.verdict.transcribe", "run_transcription"),
    "ComparisonSettings": ("audiodiag.settings", "ComparisonSettings"),
    "RetrievalSettings": ("audiodiag.settings", "RetrievalSettings"),
    "TranscriptionSettings": ("audiodiag.settings", "TranscriptionSettings"),
    "DecisionNote": ("audiodiag.verdict.notes", "DecisionNote"),
    "register_normalisation": ("audiodiag.asr.normalisers", "register"),
    # errors, by whose move it is
    "AudioDiagError": ("audiodiag.errors", "AudioDiagError"),
    "BadParameterError": ("audiodiag.errors", "BadParameterError"),
    "BadDataError": ("audiodiag.errors", "BadDataError"),
    "MissingDependencyError": ("audiodiag.errors", "MissingDependencyError"),
}
__all__ = sorted(_PUBLIC)


def __getattr__(name: str):
    if name not in _PUBLIC:
        raise AttributeError(f"module 'audiodiag' has no attribute {name!r}")
    module, attribute = _PUBLIC[name]
    value = getattr(importlib.import_module(module), attribute)
    globals()[name] = value  # once imported, an ordinary attribute
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_PUBLIC))
