"""Word error rates you can trust: explicit normalisation, corpus WER with a bootstrap CI, per-utterance
alignments (jiwer), slices, hallucination flags, and a paired test between two systems.

Corpus WER = (substitutions + deletions + insertions) / reference words, over all utterances together; the
mean of per-utterance WERs is a different number (short utterances weigh as much as long ones) and is always
labelled as such. Utterances with an empty reference have no WER: they are flagged, not scored as 0.

>>> result = score(references, hypotheses, normalisation="basic")
>>> result.corpus_wer, result.utterances[0].alignment
"""
from __future__ import annotations

import html
import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from audiodiag.evaluate import Estimate
from audiodiag.errors import AudioDiagError

NORMALISATIONS = ("none", "basic", "english")
N_BOOT = 1000
CONFIDENCE = 0.95
LOOP_NGRAM = 3  # a hypothesis that repeats an n-gram of this length ...
LOOP_REPEATS = 3  # ... this many times in a row is flagged as a decoding loop
SILENT_SPEECH_FRACTION = 0.1  # a non-empty hypothesis on a clip with less speech than this is flagged
_PUNCTUATION = re.compile(r"[^\w\s']|(?<!\w)'|'(?!\w)")
COLOURS = {"equal": "", "substitute": "#fff3b0", "delete": "#ffc9c9", "insert": "#c9e7ff"}


def normalise(text: str, how: str) -> str:
    """none: as written; basic: lower case, punctuation removed, whitespace collapsed; english: Whisper's
    EnglishTextNormalizer from transformers (numbers, contractions, titles; no spelling-variant map offline)."""
    if how not in NORMALISATIONS:
        raise AudioDiagError(f"normalisation {how!r}; use one of {', '.join(NORMALISATIONS)}")
    if how == "none":
        return " ".join(text.split())
    if how == "basic":
        return " ".join(_PUNCTUATION.sub(" ", text.lower()).split())
    return _english()(text)


_ENGLISH = []


def _english():
    if not _ENGLISH:
        from transformers.models.whisper.english_normalizer import EnglishTextNormalizer

        _ENGLISH.append(EnglishTextNormalizer({}))
    return _ENGLISH[0]


@dataclass(frozen=True)
class Utterance:
    reference: str  # after normalisation
    hypothesis: str
    substitutions: int
    deletions: int
    insertions: int
    reference_words: int
    alignment: tuple  # ((kind, reference words, hypothesis words), ...), kind in COLOURS

    @property
    def errors(self) -> int:
        return self.substitutions + self.deletions + self.insertions

    @property
    def wer(self) -> float:
        return self.errors / self.reference_words if self.reference_words else float("nan")


@dataclass(frozen=True)
class Scores:
    normalisation: str
    corpus_wer: Estimate  # total edits / total reference words, 95 % bootstrap CI over utterances
    mean_utterance_wer: float  # labelled as such: not the corpus WER
    cer: float  # corpus character error rate (jiwer.cer) on the scored utterances
    substitutions: int
    deletions: int
    insertions: int
    reference_words: int
    utterances: tuple[Utterance, ...]  # in input order; empty references have reference_words == 0
    empty_references: tuple[int, ...]  # indices: no WER possible, flagged


def score(references: Sequence[str], hypotheses: Sequence[str], *, normalisation: str = "basic",
          n_boot: int = N_BOOT, seed: int = 0) -> Scores:
    """Corpus and per-utterance WER after `normalisation`, from one jiwer alignment of all utterances."""
    import jiwer

    if len(references) != len(hypotheses):
        raise AudioDiagError(f"{len(references)} references but {len(hypotheses)} hypotheses; one of each per clip")
    refs = [normalise(r, normalisation) for r in references]
    hyps = [normalise(h, normalisation) for h in hypotheses]
    scored = [i for i, r in enumerate(refs) if r]
    if not scored:
        raise AudioDiagError("every reference is empty after normalisation: no WER can be computed")
    out = jiwer.process_words([refs[i] for i in scored], [hyps[i] for i in scored])
    utterances: list[Utterance | None] = [None] * len(refs)
    for i, chunks, ref_words, hyp_words in zip(scored, out.alignments, out.references, out.hypotheses):
        counts = {"substitute": 0, "delete": 0, "insert": 0}
        spans = []
        for c in chunks:
            ref_part, hyp_part = ref_words[c.ref_start_idx:c.ref_end_idx], hyp_words[c.hyp_start_idx:c.hyp_end_idx]
            if c.type in counts:
                counts[c.type] += len(hyp_part) if c.type == "insert" else len(ref_part)
            spans.append((c.type, " ".join(ref_part), " ".join(hyp_part)))
        utterances[i] = Utterance(refs[i], hyps[i], counts["substitute"], counts["delete"], counts["insert"],
                                  len(ref_words), tuple(spans))
    empty = [i for i, r in enumerate(refs) if not r]
    for i in empty:
        inserted = len(hyps[i].split())
        utterances[i] = Utterance("", hyps[i], 0, 0, inserted, 0, (("insert", "", hyps[i]),) if inserted else ())
    done = [u for u in utterances if u.reference_words]
    errors = np.array([u.errors for u in done], float)
    words = np.array([u.reference_words for u in done], float)
    return Scores(normalisation, _ratio_ci(errors, words, n_boot=n_boot, seed=seed),
                  float(np.mean(errors / words)), float(jiwer.cer([u.reference for u in done], [u.hypothesis for u in done])),
                  int(out.substitutions), int(out.deletions), int(out.insertions), int(words.sum()),
                  tuple(utterances), tuple(empty))


def _ratio_ci(errors: np.ndarray, words: np.ndarray, *, n_boot: int, seed: int) -> Estimate:
    """sum(errors) / sum(words) with a percentile bootstrap CI, resampling utterances (vectorised)."""
    idx = np.random.default_rng(seed).integers(0, len(errors), size=(n_boot, len(errors)))
    boot = errors[idx].sum(1) / np.maximum(words[idx].sum(1), 1)
    tail = 100 * (1 - CONFIDENCE) / 2
    low, high = np.percentile(boot, [tail, 100 - tail])
    return Estimate(float(errors.sum() / words.sum()), float(low), float(high))


def paired_difference(a: Scores, b: Scores, *, n_boot: int = N_BOOT, seed: int = 0) -> Estimate:
    """Corpus WER of system b minus system a on the same utterances, with a paired bootstrap CI."""
    pairs = [(ua.errors, ub.errors, ua.reference_words) for ua, ub in zip(a.utterances, b.utterances)
             if ua.reference_words]
    ea, eb, words = (np.array(v, float) for v in zip(*pairs))
    idx = np.random.default_rng(seed).integers(0, len(words), size=(n_boot, len(words)))
    boot = (eb[idx].sum(1) - ea[idx].sum(1)) / words[idx].sum(1)
    tail = 100 * (1 - CONFIDENCE) / 2
    low, high = np.percentile(boot, [tail, 100 - tail])
    return Estimate(float((eb.sum() - ea.sum()) / words.sum()), float(low), float(high))


def loop_ngram(text: str, *, n: int = LOOP_NGRAM, repeats: int = LOOP_REPEATS) -> str | None:
    """The n-gram a hypothesis repeats `repeats` times in a row (a decoding loop), or None."""
    words = text.split()
    for start in range(len(words) - n * repeats + 1):
        gram = words[start:start + n]
        if all(words[start + k * n:start + (k + 1) * n] == gram for k in range(1, repeats)):
            return " ".join(gram)
    return None


def hallucination_flags(names: Sequence[str], hypotheses: Sequence[str],
                        speech_fractions: Sequence[float | None]) -> list[tuple[str, str]]:
    """(file, why) for text on a clip VAD calls silent / non-speech, and for repeated n-gram loops."""
    flags = []
    for name, hyp, speech in zip(names, hypotheses, speech_fractions):
        if hyp.strip() and speech is not None and speech < SILENT_SPEECH_FRACTION:
            flags.append((name, f"{len(hyp.split())} word(s) transcribed but voice activity detection finds "
                                f"{speech:.0%} speech (expected >= {SILENT_SPEECH_FRACTION:.0%}): likely invented"))
        gram = loop_ngram(hyp.lower())
        if gram:
            flags.append((name, f"'{gram}' repeats {LOOP_REPEATS}+ times in a row: a decoding loop"))
    return flags


def alignment_html(utterance: Utterance) -> str:
    """The word alignment as HTML: substitutions yellow (ref→hyp), deletions red, insertions blue. All text
    is escaped, so transcripts never render as markup."""
    parts = []
    for kind, ref, hyp in utterance.alignment:
        ref, hyp = html.escape(ref), html.escape(hyp)
        if kind == "equal":
            parts.append(ref)
        elif kind == "substitute":
            parts.append(f'<span style="background:{COLOURS[kind]}" title="substitution">{ref} → {hyp}</span>')
        elif kind == "delete":
            parts.append(f'<span style="background:{COLOURS[kind]};text-decoration:line-through" '
                         f'title="deletion">{ref}</span>')
        else:
            parts.append(f'<span style="background:{COLOURS[kind]}" title="insertion">+{hyp}</span>')
    return " ".join(parts)


def duration_bucket(duration_s: float) -> str:
    for edge in (2.0, 5.0, 10.0, 30.0):
        if duration_s < edge:
            return f"< {edge:g} s"
    return "≥ 30 s"
