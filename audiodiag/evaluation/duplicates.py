"""Duplicates and leakage: identical clips, near-identical clips, and clips that cross cross-validation folds.

A copy of a clip in the training part of a fold and the other copy in its test part inflates every score
(the model has heard the test clip); in retrieval, each copy is the other's nearest neighbour. The same
holds, more weakly, for clips of one speaker or source recording. The folds checked are the Compare page's
(`folds.comparison_folds` builds them exactly as `compare.compare` does), so a warning here is about that table.

- exact duplicates: identical decoded audio (sample rate and every sample), whatever the file names;
- near-duplicates: cosine similarity of standardised vectors ≥ NEAR_DUPLICATE_COSINE in a space.

>>> sounds = np.random.default_rng(0).normal(0, 0.1, (6, 1600)).astype(np.float32)  # six different 0.1-s clips
>>> clips = [Clip(f"{i}.wav", s, 16000, 16000, 1, label="ab"[i % 2]) for i, s in enumerate(sounds)]
>>> clips.append(Clip("copy of 0.wav", sounds[0], 16000, 16000, 1, label="a"))  # the same audio again
>>> exact_duplicates(clips)                           # clips 0 and 6 are the same audio
[(0, 6)]
>>> from audiodiag.evaluation.folds import comparison_folds
>>> [f.code for f in leakage_findings(clips, comparison_folds(clips, n_splits=2), exact=exact_duplicates(clips))]
['duplicate_across_folds']
"""
from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from audiodiag import fixes
from audiodiag.errors import BadParameterError
from audiodiag.evaluation import folds as folds_module
from audiodiag.evaluation.folds import Folds
from audiodiag.evaluation.retrieval import QUERY_BLOCK_ELEMENTS, prepare
from audiodiag.types import Clip, Finding

# Cosine similarity (standardised vectors, as on the page) at or above which two clips count as near-duplicates.
# Measured on the bundled sets in the baseline, speech_embedding and Whisper spaces: copies re-quantised by ±1 LSB
# or at 80 % gain score 0.92-1.00, mostly ≥ 0.99; resampled, noisier or 50-ms-shifted copies can score far lower,
# so only close copies are caught. Distinct clips reach 0.93-0.99, except takes by two espeak voices that are
# nearly the same voice (0.997 in speech_embedding) - which are worth hearing too.
NEAR_DUPLICATE_COSINE = 0.99
MAX_PAIRS = 1000  # near-duplicate pairs kept per space, most similar first (the count is always exact)
MAX_NAMED = 5  # files named in one warning


@dataclass(frozen=True)
class DuplicatePair:
    first: int  # clip indices, first < second
    second: int
    cosine: float  # 1.0 for exact duplicates


@dataclass(frozen=True)
class NearDuplicates:
    space: str
    pairs: tuple[DuplicatePair, ...]  # most similar first, at most MAX_PAIRS
    n_pairs: int  # all pairs at or above the threshold
    threshold: float


def audio_hash(clip: Clip) -> str:
    """Hash of the decoded audio: equal for identical audio in differently named (or differently tagged) files."""
    digest = hashlib.blake2b(digest_size=16)
    digest.update(str(clip.sample_rate_hz).encode())
    digest.update(np.ascontiguousarray(clip.samples, dtype=np.float32).tobytes())
    return digest.hexdigest()


def exact_duplicates(clips: Sequence[Clip]) -> list[tuple[int, ...]]:
    """Groups (≥ 2 clip indices, ascending) of clips with identical decoded audio, in order of first index."""
    return equal_groups(audio_hash(clip) for clip in clips)


def equal_groups(hashes: Iterable[str]) -> list[tuple[int, ...]]:
    """Groups (≥ 2 indices, ascending) of equal audio hashes, in order of first index: the exact duplicates of
    clips decoded now (`audio_hash`) or of clips a stream kept only the hash of (`ClipInfo.audio_hash`).

    >>> equal_groups(["x", "y", "x", "z", "y", "x"])
    [(0, 2, 5), (1, 4)]
    """
    seen: dict[str, list[int]] = {}
    for i, key in enumerate(hashes):
        seen.setdefault(key, []).append(i)
    return [tuple(members) for members in seen.values() if len(members) > 1]


def exact_pairs(groups: Sequence[tuple[int, ...]]) -> list[DuplicatePair]:
    """Every pair inside each group of exact duplicates."""
    return [DuplicatePair(a, b, 1.0) for g in groups for i, a in enumerate(g) for b in g[i + 1:]]


def near_duplicates(vectors: np.ndarray, *, threshold: float = NEAR_DUPLICATE_COSINE, space: str = "",
                    exact: Sequence[tuple[int, ...]] = (), standardise: bool = True) -> NearDuplicates:
    """Pairs of clips whose cosine similarity is ≥ `threshold`, in blocks of the similarity matrix.

    Pairs that are exact duplicates (`exact`, from `exact_duplicates`) are left out: they are reported as such.
    """
    if not -1 <= threshold <= 1:
        raise BadParameterError(f"threshold={threshold}; a cosine similarity threshold lies in [-1, 1] "
                         f"(near-duplicates: {NEAR_DUPLICATE_COSINE})")
    x = prepare(vectors, standardise=standardise)
    n = len(x)
    skip = {(p.first, p.second) for p in exact_pairs(exact)}
    rows_per_block = max(1, QUERY_BLOCK_ELEMENTS // n)
    firsts, seconds, values, total = [], [], [], 0
    for start in range(0, n, rows_per_block):
        sims = x[start:start + rows_per_block] @ x.T
        i, j = np.nonzero(sims >= threshold)
        keep = j > i + start  # each pair once, never a clip with itself
        first, second, cosine = i[keep] + start, j[keep], sims[i[keep], j[keep]]
        if skip:
            new = np.fromiter(((int(a), int(b)) not in skip for a, b in zip(first, second, strict=True)), bool,
                              len(first))
            first, second, cosine = first[new], second[new], cosine[new]
        total += len(first)
        top = _strongest(first, second, cosine)  # memory bounded by MAX_PAIRS per block, not by the pairs
        firsts.append(first[top])
        seconds.append(second[top])
        values.append(cosine[top])
    first, second, cosine = (np.concatenate(v) for v in (firsts, seconds, values))
    top = _strongest(first, second, cosine)
    pairs = tuple(DuplicatePair(int(a), int(b), float(c))
                  for a, b, c in zip(first[top], second[top], cosine[top], strict=True))
    return NearDuplicates(space, pairs, total, float(threshold))


def _strongest(first: np.ndarray, second: np.ndarray, cosine: np.ndarray) -> np.ndarray:
    """Indices of the MAX_PAIRS most similar pairs, most similar first (ties: by first, then second clip)."""
    return np.lexsort((second, first, -cosine.astype(np.float64)))[:MAX_PAIRS]


def _names(clips: Sequence[Clip], pairs: Sequence[DuplicatePair], fold_of: np.ndarray | None) -> str:
    shown = []
    for p in pairs[:MAX_NAMED]:
        text = f"{clips[p.first].name} and {clips[p.second].name}"
        if p.cosine < 1:
            text += f" (cosine {p.cosine:.3f})"
        if fold_of is not None:
            text += f" (folds {fold_of[p.first] + 1} and {fold_of[p.second] + 1})"
        shown.append(text)
    more = f" and {len(pairs) - MAX_NAMED} more" if len(pairs) > MAX_NAMED else ""
    return "; ".join(shown) + more


def leakage_findings(clips: Sequence[Clip], folds: Folds | None, *, exact: Sequence[tuple[int, ...]] = (),
                     near: Mapping[str, NearDuplicates] | None = None) -> list[Finding]:
    """Warnings for duplicates (exact, and near in each space) and groups that the folds split.

    folds: the comparison's folds (`folds.comparison_folds`); None when the clips cannot be split (only the
    duplicates themselves are reported then).
    """
    fold_of = None if folds is None else folds.fold_of_sample
    split = f"the {folds.n_splits} {folds.strategy} folds of the Compare page" if folds is not None else ""
    fix_copies = ("delete all but one copy, or give the copies one group in groups.csv / labels.csv (path,label,group) "
                  "so group-aware folds keep them together")
    out: list[Finding] = []
    pairs = exact_pairs(exact)
    across = [p for p in pairs if fold_of is not None and fold_of[p.first] != fold_of[p.second]]
    if across:
        out.append(Finding("duplicate_across_folds", "warning", (
            f"{len(across)} pair(s) of identical clips are on both sides of {split}: "
            f"{_names(clips, across, fold_of)}. Expected: no clip in both the training and the test part of a fold; "
            f"as it is, scores are inflated. Fix: {fix_copies}."), _files(clips, across)))
    elif pairs:
        where = "They stay in one fold here, but each" if fold_of is not None else "Each"
        out.append(Finding("duplicate_clips", "info", (
            f"{len(pairs)} pair(s) of identical clips: {_names(clips, pairs, None)}. {where} copy is the other's "
            "nearest neighbour, which flatters retrieval scores (and would inflate any score that splits them). "
            "Fix: delete all but one copy."), _files(clips, pairs)))
    conflicts = [p for p in pairs if clips[p.first].label != clips[p.second].label]
    if conflicts:
        out.append(Finding("duplicate_label_conflict", "warning", (
            f"{len(conflicts)} pair(s) of identical clips have different labels: "
            + "; ".join(f"{clips[p.first].name} ({clips[p.first].label}) and {clips[p.second].name} "
                        f"({clips[p.second].label})" for p in conflicts[:MAX_NAMED])
            + (f" and {len(conflicts) - MAX_NAMED} more" if len(conflicts) > MAX_NAMED else "")
            + ". Expected: one label per sound. Fix: correct the label or delete the wrong copy."),
            _files(clips, conflicts)))
    for space, found in (near or {}).items():
        near_across = [p for p in found.pairs if fold_of is not None and fold_of[p.first] != fold_of[p.second]]
        if near_across:
            out.append(Finding("near_duplicate_across_folds", "warning", (
                f"{space}: {len(near_across)} pair(s) of near-duplicates (cosine ≥ {found.threshold:g}) are on both "
                f"sides of {split}: {_names(clips, near_across, fold_of)}. Expected: no near-copy of a test clip in "
                f"training. Fix: listen to them; if they are copies, {fix_copies}."), _files(clips, near_across)))
        elif found.pairs:  # said here too, so a page never reports "no near-duplicates" above a list of them
            where = " They stay in one fold here." if fold_of is not None else ""
            out.append(Finding("near_duplicates", "info", (
                f"{space}: {len(found.pairs)} pair(s) of near-duplicates (cosine ≥ {found.threshold:g}): "
                f"{_names(clips, list(found.pairs), None)}.{where} Listen to them: close copies (re-encoded, "
                "re-levelled) flatter retrieval scores; clips this space merely cannot tell apart are not a data "
                "problem."), _files(clips, list(found.pairs))))
    if folds is not None and all(c.group is not None for c in clips):
        predefined = folds.strategy == folds_module.PREDEFINED
        out.extend(_split_groups(clips, fold_of, split, predefined=predefined))
    return out


def _split_groups(clips: Sequence[Clip], fold_of: np.ndarray, split: str, *,
                  predefined: bool = False) -> list[Finding]:
    folds_of_group: dict[str, set[int]] = {}
    for clip, fold in zip(clips, fold_of, strict=True):
        folds_of_group.setdefault(str(clip.group), set()).add(int(fold) + 1)
    spread = {g: sorted(f) for g, f in folds_of_group.items() if len(f) > 1}
    if not spread:
        return []
    shown = "; ".join(f"{g!r}: folds {', '.join(map(str, f))}" for g, f in list(spread.items())[:MAX_NAMED])
    more = f" and {len(spread) - MAX_NAMED} more" if len(spread) > MAX_NAMED else ""
    files = tuple(c.name for c in clips if str(c.group) in spread)
    return [Finding("group_across_folds", "warning", (
        f"{len(spread)} of {len(folds_of_group)} groups have clips on both sides of {split}: {shown}{more}. "
        "Expected: each speaker / source in one fold, so the score says how the model does on new ones. Fix: "
        + ("remove the 'fold' column (the dataset's own folds split these groups) so that group-aware folds are "
           "drawn." if predefined else f"{fixes.USE_GROUPS}.")), files)]


def _files(clips: Sequence[Clip], pairs: Sequence[DuplicatePair]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(clips[i].name for p in pairs for i in (p.first, p.second)))
