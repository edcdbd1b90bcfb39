"""One canonical order of clips, so that results do not depend on the order the clips were given in.

A folder walk, a labels table's rows, a shuffled copy of that table and a zip list the same clips in different
orders. Folds (a shuffled StratifiedKFold), bootstrap resamples, learning-curve draws and the audit's forest
all draw by position, so the same data would give different intervals and, near a threshold, different
verdicts. Every place that draws puts the clips in the order given here first (by what they contain, not by
name or position) and puts per-clip results back in the caller's order.

>>> import numpy as np
>>> from audiodiag.types import Clip
>>> clips = [Clip(name, np.full(4, value, np.float32), 16000, 16000, 1, label="a")
...          for name, value in (("x.wav", 0.5), ("y.wav", 0.25), ("z.wav", 0.75))]
>>> order = canonical_order(clips)
>>> [clips[i].name for i in order] == [clips[::-1][i].name for i in canonical_order(clips[::-1])]
True
>>> [int(i) for i in inverse(inverse(order))] == [int(i) for i in order]
True
"""
from __future__ import annotations

import hashlib
from collections.abc import Sequence

import numpy as np


def content_key(clip) -> str:
    """What a clip contains, as a hex string: the source file's hash (`content_hash`) when the clip has one, else
    the decoded audio's (`audio_hash` of a `types.ClipInfo`, or the same hash of a Clip's samples, as
    `duplicates.audio_hash` computes it), else "". A Clip and its ClipInfo (streamed runs) get the same key."""
    known = getattr(clip, "content_hash", "") or getattr(clip, "audio_hash", "")
    if known:
        return known
    samples = getattr(clip, "samples", None)
    if samples is None:
        return ""
    digest = hashlib.blake2b(digest_size=16)
    digest.update(str(clip.sample_rate_hz).encode())
    digest.update(np.ascontiguousarray(samples, dtype=np.float32).tobytes())
    return digest.hexdigest()


def clip_key(clip) -> tuple[str, str, str, str]:
    """Sort key of one clip: its content, then label, group and name (clips with identical bytes are told
    apart by what they were given, never by where they stand)."""
    return (content_key(clip), "" if clip.label is None else str(clip.label),
            "" if clip.group is None else str(clip.group), str(clip.name))


def canonical_order(clips: Sequence) -> np.ndarray:
    """The positions of `clips` in canonical order: `[clips[i] for i in canonical_order(clips)]` lists the same
    clips in the same order whatever order they came in (folder, table, shuffled table, zip).

    Works on `types.Clip` and `types.ClipInfo` (anything with name, label, group and a content hash or samples).
    """
    keys = [clip_key(c) for c in clips]
    return np.asarray(sorted(range(len(keys)), key=keys.__getitem__), dtype=np.int64)


def inverse(order: np.ndarray) -> np.ndarray:
    """The permutation that undoes `order`: `canonical[inverse(order)]` is back in the given order, and
    `inverse(order)[i]` is where the given clip i stands in canonical order."""
    order = np.asarray(order, dtype=np.int64)
    back = np.empty_like(order)
    back[order] = np.arange(len(order))
    return back


def is_identity(order: np.ndarray) -> bool:
    """True when the clips are already in canonical order (nothing to reorder, nothing to copy)."""
    return bool(np.array_equal(order, np.arange(len(order))))


def reorder_groups(groups: Sequence[Sequence[int]], order: np.ndarray) -> list[tuple[int, ...]]:
    """Groups of clip positions (e.g. `duplicates.exact_duplicates`) in the given order → the same groups as
    positions in canonical order, each ascending, the groups in order of their first member."""
    back = inverse(order)
    return sorted(tuple(sorted(int(back[i]) for i in g)) for g in groups)
