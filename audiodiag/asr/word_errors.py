"""Word-level error tables: which words a system substitutes, deletes and inserts, how often, and where; errors
that only write a number differently ("21" vs "twenty one") are grouped as formatting, not recognition.

Built from the per-utterance alignments `audiodiag.asr.wer.score` computes (no second alignment). The edits of the
four tables add up to the scored utterances' S + D + I.

>>> from audiodiag.asr import wer
>>> tables = error_tables(wer.score(["i have 21 apples"], ["i have twenty one apples"]))
>>> tables.formatting[0].reference, tables.formatting[0].hypothesis, tables.substitutions
('21', 'twenty one', ())
"""
from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from audiodiag.asr.wer import Scores, Span
from audiodiag.errors import BadParameterError

ERROR_KINDS = ("substitution", "deletion", "insertion", "formatting")
MAX_EXAMPLES = 3  # utterances named per error row
_UNIT_WORDS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven",
               "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen")
UNITS = {word: value for value, word in enumerate(_UNIT_WORDS)}  # zero .. nineteen
TENS = {"twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80,
        "ninety": 90}
SCALES = (("million", 1_000_000), ("thousand", 1_000))  # largest first; "hundred" lives inside a group
ZERO_WORDS = frozenset({"zero", "oh"})  # "oh" is 0 only when it is the whole number ("oh" vs "0")
_DIGITS = re.compile(r"\d+|\d{1,3}(?:,\d{3})+")
_EDGE_PUNCTUATION = ".!?;:"  # "21." under 'none' normalisation is still the number 21


def words_to_number(text: str) -> int | None:
    """The non-negative integer that English number words spell, or None when `text` is not exactly one number.

    Understands units and teens (zero ... nineteen), tens with an optional unit ("twenty one", "twenty-one"),
    "hundred", "thousand" and "million" groups, and an optional "and" before the last group ("one hundred and
    five"). "oh" or "zero" alone is 0. Digit-by-digit readings ("one two") and ordinals are not numbers here.

    >>> words_to_number("one thousand two hundred and thirty-four"), words_to_number("one two")
    (1234, None)
    """
    tokens = text.lower().replace("-", " ").strip(_EDGE_PUNCTUATION).split()
    if len(tokens) == 1 and tokens[0] in ZERO_WORDS:
        return 0
    total, i = 0, 0
    for scale_word, scale in SCALES:
        group, j = _below_thousand(tokens, i)
        if group and j < len(tokens) and tokens[j] == scale_word:
            total, i = total + group * scale, j + 1
    if total and i < len(tokens) - 1 and tokens[i] == "and":  # "one thousand and five"
        i += 1
    group, i = _below_thousand(tokens, i)
    if i != len(tokens) or (not total and not group):
        return None
    return total + group


def _below_thousand(tokens: list[str], i: int) -> tuple[int, int]:
    """(value, next index) of the number words 1..999 starting at tokens[i]; (0, i) when none start there."""
    value, start = 0, i
    if i + 1 < len(tokens) and UNITS.get(tokens[i], 0) in range(1, 10) and tokens[i + 1] == "hundred":
        value, i = UNITS[tokens[i]] * 100, i + 2
        if i + 1 < len(tokens) and tokens[i] == "and" and (tokens[i + 1] in TENS or tokens[i + 1] in UNITS):
            i += 1
    if i < len(tokens) and tokens[i] in TENS:
        value, i = value + TENS[tokens[i]], i + 1
        if i < len(tokens) and UNITS.get(tokens[i], 0) in range(1, 10):
            value, i = value + UNITS[tokens[i]], i + 1
    elif i < len(tokens) and UNITS.get(tokens[i], 0) >= 1:
        value, i = value + UNITS[tokens[i]], i + 1
    return (value, i) if value else (0, start)


def digits_to_number(text: str) -> int | None:
    """The integer written in digits, with optional thousands separators ("1,000", or "1 000" once 'basic'
    normalisation has turned the comma into a space); None for anything else.

    >>> digits_to_number("1,000"), digits_to_number("1 000"), digits_to_number("1 2")
    (1000, 1000, None)
    """
    tokens = text.strip(_EDGE_PUNCTUATION).split()
    if len(tokens) == 1 and _DIGITS.fullmatch(tokens[0]):
        return int(tokens[0].replace(",", ""))
    if len(tokens) > 1 and re.fullmatch(r"\d{1,3}", tokens[0]) and all(re.fullmatch(r"\d{3}", t) for t in tokens[1:]):
        return int("".join(tokens))
    return None


def same_number(reference: str, hypothesis: str) -> bool:
    """True when one side writes a number in digits and the other spells the same number in words ("21" vs
    "twenty one"): a formatting difference, not a recognition error. "2" vs "three" is False."""
    for digits, words in ((reference, hypothesis), (hypothesis, reference)):
        value = digits_to_number(digits)
        if value is not None and value == words_to_number(words):
            return True
    return False


@dataclass(frozen=True)
class ErrorCount:
    """One row of a word-level error table."""

    kind: str  # one of ERROR_KINDS
    reference: str  # the reference word(s); "" for an insertion
    hypothesis: str  # the hypothesis word(s); "" for a deletion
    count: int  # occurrences over all scored utterances
    edits: int  # word edits these occurrences make in the WER (== count except for formatting regions)
    examples: tuple[str, ...]  # up to max_examples utterances where it happens, in input order


@dataclass(frozen=True)
class ErrorTables:
    """Word-level errors of scored utterances, each table sorted by count (descending), then alphabetically.

    Error regions (adjacent non-equal alignment spans) where reference and hypothesis say the same number, once
    in digits and once in words, are in `formatting` only: they are NOT counted again as substitutions,
    deletions or insertions. The edits of all four tables add up to the S + D + I of the scores.
    """

    substitutions: tuple[ErrorCount, ...]  # reference word → hypothesis word
    deletions: tuple[ErrorCount, ...]  # reference word missing from the hypothesis
    insertions: tuple[ErrorCount, ...]  # hypothesis word not in the reference
    formatting: tuple[ErrorCount, ...]  # same number, digits vs words; count = regions, edits = their word edits

    @property
    def total_edits(self) -> int:
        return sum(row.edits for table in self.tables().values() for row in table)

    def tables(self) -> dict[str, tuple[ErrorCount, ...]]:
        """The four tables by kind, in ERROR_KINDS order."""
        return dict(zip(ERROR_KINDS, (self.substitutions, self.deletions, self.insertions, self.formatting),
                        strict=True))

    def to_frame(self, kind: str | None = None, *, top: int | None = None):
        """A tidy pandas DataFrame (kind, reference, hypothesis, count, edits, examples): every table, or only
        `kind`, with at most `top` rows of each."""
        import pandas as pd

        if kind is not None and kind not in ERROR_KINDS:
            raise BadParameterError(f"error table {kind!r}; use one of {', '.join(ERROR_KINDS)}")
        rows = [{"kind": r.kind, "reference": r.reference, "hypothesis": r.hypothesis, "count": r.count,
                 "edits": r.edits, "examples": "; ".join(r.examples)}
                for k, table in self.tables().items() if kind in (None, k) for r in table[:top]]
        return pd.DataFrame(rows, columns=["kind", "reference", "hypothesis", "count", "edits", "examples"])

    def to_csv(self) -> str:
        """Every row of every table as CSV text (the page's download)."""
        return self.to_frame().to_csv(index=False)


def error_regions(alignment: Sequence[Span]) -> list[tuple[Span, ...]]:
    """Runs of adjacent non-equal spans: "twenty one" → "21" aligns as a substitution plus a deletion, and only
    the run as a whole says the same number."""
    regions, run = [], []
    for span in (*alignment, Span("equal", "", "")):
        if span.kind != "equal":
            run.append(span)
        elif run:
            regions.append(tuple(run))
            run = []
    return regions


def _word_edits(region: Sequence[Span]) -> list[tuple[str, str, str]]:
    """(kind, reference word, hypothesis word) per word edit, substitutions paired word by word in order."""
    edits = []
    for span in region:
        ref, hyp = span.reference.split(), span.hypothesis.split()
        if span.kind == "substitute":
            edits += [("substitution" if r and h else "deletion" if r else "insertion", r, h)
                      for r, h in _zip_longest(ref, hyp)]
        elif span.kind == "delete":
            edits += [("deletion", r, "") for r in ref]
        else:
            edits += [("insertion", "", h) for h in hyp]
    return edits


def _zip_longest(a: list[str], b: list[str]) -> list[tuple[str, str]]:
    n = max(len(a), len(b))
    return [(a[k] if k < len(a) else "", b[k] if k < len(b) else "") for k in range(n)]


def error_tables(scores: Scores, *, names: Sequence[str] | None = None,
                 max_examples: int = MAX_EXAMPLES) -> ErrorTables:
    """The most frequent substitutions (ref → hyp), deletions and insertions, with counts and example utterances,
    from the alignments `score` computed. Number formatting ("21" vs "twenty one") is counted in its own table
    and NOT in the other three; utterances with an empty reference are left out (they have no WER).

    names: one per utterance of `scores` (e.g. file names) to name examples by; default "utterance N".

    >>> from audiodiag.asr.wer import score
    >>> tables = error_tables(score(["the cat sat down"], ["the cat sat up"]))
    >>> tables.substitutions[0].reference, tables.substitutions[0].hypothesis, tables.substitutions[0].count
    ('down', 'up', 1)
    """
    if names is not None and len(names) != len(scores.utterances):
        raise BadParameterError(f"{len(names)} names for {len(scores.utterances)} scored utterances; pass one name per "
                                "utterance, in the order they were scored")
    labels = list(names) if names is not None else [f"utterance {i + 1}" for i in range(len(scores.utterances))]
    found: dict[tuple[str, str, str], list] = {}  # key → [count, edits, examples]

    def add(key: tuple[str, str, str], edits: int, label: str) -> None:
        row = found.setdefault(key, [0, 0, []])
        row[0], row[1] = row[0] + 1, row[1] + edits
        if label not in row[2] and len(row[2]) < max_examples:
            row[2].append(label)

    for utterance, label in zip(scores.utterances, labels, strict=True):
        if not utterance.reference_words:
            continue
        for region in error_regions(utterance.alignment):
            word_edits = _word_edits(region)
            ref = " ".join(r for _, r, _ in word_edits if r)
            hyp = " ".join(h for _, _, h in word_edits if h)
            if ref and hyp and same_number(ref, hyp):
                add(("formatting", ref, hyp), len(word_edits), label)
            else:
                for edit in word_edits:
                    add(edit, 1, label)
    rows = {kind: [] for kind in ERROR_KINDS}
    for (kind, ref, hyp), (count, edits, examples) in found.items():
        rows[kind].append(ErrorCount(kind, ref, hyp, count, edits, tuple(examples)))
    return ErrorTables(*(tuple(sorted(rows[k], key=lambda r: (-r.count, r.reference, r.hypothesis)))
                         for k in ERROR_KINDS))
