"""Two run folders side by side: what changed between run A and run B, as claims. One rule per kind; `run_claims`
runs them in the page's order. The evidence (`RunDifference`) is read from the two folders by
`audiodiag.runs.catalogue`:
each run's own verdicts and scores, never re-derived.

>>> rung_change(RungScores("whisper", None, None, "inconclusive", "yes")).text
'The verdict for whisper changed from inconclusive to yes.'
>>> findings_change(RunDifference.empty(added=3, gone=1)).text
'3 findings added, 1 gone.'
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from audiodiag.evaluation.bootstrap import Estimate
from audiodiag.verdict.claims import Claim, Kind, Severity

REFERENCE = "reference"  # the baseline's verdict in each run: what the encoders are measured against
NOT_IN_RUN = "—"  # a table cell of a space or setting that one run does not have
NOTE_SCOPE, CLIPS_SCOPE = "note", "clips"  # a finding of the note (a dataset-level problem or advice) / per clip
MAX_NAMED = 5  # clips named in a sentence; the rest are counted
HEADLINE_RULE = "the recommended rung (note.json's recommendation claim) of each run, compared"
PAIR_RULE = "each run's own encoder-vs-baseline verdict (note.json's claims), compared; nothing is refitted"
PREDICTION_RULE = ("out-of-fold predictions of the same space (clips.parquet), compared on the clips in both runs "
                   "(matched by content hash)")


@dataclass(frozen=True)
class Headline:
    """A run's headline: the note's recommended rung, the space it names and the note's sentence."""

    rung: str  # "spectral baseline" | "frozen encoder" | "fine-tuning" | "undecided" (transcription: "")
    space: str
    text: str

    @property
    def label(self) -> str:
        """The rung in a few words: "frozen encoder (whisper)"."""
        return f"{self.rung} ({self.space})" if self.rung in ("frozen encoder", "fine-tuning") else self.rung


@dataclass(frozen=True)
class RungScores:
    """One space in either run: its accuracy [95 % CI] and its verdict against the baseline in each (None: the
    run did not measure it; REFERENCE: the run's baseline)."""

    space: str
    accuracy_a: Estimate | None
    accuracy_b: Estimate | None
    verdict_a: str | None
    verdict_b: str | None


@dataclass(frozen=True)
class FindingChange:
    """A finding present in one run only. scope NOTE_SCOPE: a problem, advice or unavailable encoder of the note
    (clips counts 0); CLIPS_SCOPE: a per-clip finding code, with the clips that carry it in each run."""

    code: str
    scope: str
    text: str  # the run's own message (for a per-clip code: one clip's)
    clips_a: int = 0
    clips_b: int = 0


@dataclass(frozen=True)
class ChangedClip:
    """A clip in both runs whose out-of-fold prediction differs; rows index each run's clips.parquet."""

    name_a: str
    name_b: str
    label_a: str | None
    label_b: str | None
    predicted_a: str
    predicted_b: str
    row_a: int
    row_b: int

    @property
    def right_a(self) -> bool:
        return self.predicted_a == self.label_a

    @property
    def right_b(self) -> bool:
        return self.predicted_b == self.label_b


@dataclass(frozen=True)
class PredictionChange:
    """One space measured in both runs: the clips (of those in both) whose prediction changed."""

    space: str
    n_compared: int
    changed: tuple[ChangedClip, ...]


@dataclass(frozen=True)
class SettingChange:
    key: str  # "dataset", "spaces" or a run.json setting ("n_splits", "features.n_mels")
    value_a: str
    value_b: str


@dataclass(frozen=True)
class RunDifference:
    """What differs between two run folders (`audiodiag.runs.catalogue.compare_runs`); `claims()` says it in
    sentences."""

    run_a: str
    run_b: str
    headline_a: Headline
    headline_b: Headline
    rungs: tuple[RungScores, ...]  # every space in either run, run A's order first
    findings_added: tuple[FindingChange, ...]  # in B, not in A
    findings_gone: tuple[FindingChange, ...]  # in A, not in B
    matched_by: str  # how clips were paired: "content hash"
    n_matched: int
    only_a: tuple[str, ...]  # names of the clips only in run A
    only_b: tuple[str, ...]
    relabelled: tuple[tuple[str, str | None, str | None], ...]  # (name in B, label in A, label in B)
    predictions: tuple[PredictionChange, ...]  # spaces in both runs
    settings: tuple[SettingChange, ...]  # those that differ

    @classmethod
    def empty(cls, *, added: int = 0, gone: int = 0) -> RunDifference:
        """Two identical runs of nothing, with `added` and `gone` placeholder findings (for examples and tests)."""
        none = Headline("spectral baseline", "baseline", "")
        finding = FindingChange("x", NOTE_SCOPE, "")
        return cls("a", "b", none, none, (), (finding,) * added, (finding,) * gone, "content hash", 0, (), (), (),
                   (), ())

    def claims(self) -> list[Claim]:
        return run_claims(self)


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" + ("" if n == 1 else "s")


def _named(names: Sequence[str]) -> str:
    shown = ", ".join(names[:MAX_NAMED])
    return shown + (f" and {len(names) - MAX_NAMED} more" if len(names) > MAX_NAMED else "")


def headline_change(d: RunDifference) -> Claim:
    """Did the recommended rung change between the runs."""
    a, b = d.headline_a.label, d.headline_b.label
    same = a == b
    text = (f"The headline is the same in both runs: {a}." if same else
            f"The headline changed from {a} (run A) to {b} (run B).")
    return Claim(Kind.RUNS_HEADLINE, (), "unchanged" if same else "changed", text, {"a": a, "b": b}, HEADLINE_RULE,
                 Severity.INFO if same else Severity.WARNING)


def _verdict_word(verdict: str) -> str:
    return "the reference" if verdict == REFERENCE else verdict


def rung_change(r: RungScores) -> Claim:
    """One space's verdict against the baseline in each run."""
    if r.verdict_a is None or r.verdict_b is None:
        where, verdict = ("B", r.verdict_b) if r.verdict_a is None else ("A", r.verdict_a)
        text = f"{r.space} was measured only in run {where} (verdict: {_verdict_word(verdict)})."
        change = "added" if r.verdict_a is None else "gone"
    elif r.verdict_a == r.verdict_b:
        text = f"{r.space}: {_verdict_word(r.verdict_a)} in both runs."
        change = "unchanged"
    else:
        text = f"The verdict for {r.space} changed from {_verdict_word(r.verdict_a)} to {_verdict_word(r.verdict_b)}."
        change = "changed"
    evidence = {"verdict_a": r.verdict_a, "verdict_b": r.verdict_b,
                "accuracy_a": None if r.accuracy_a is None else vars(r.accuracy_a),
                "accuracy_b": None if r.accuracy_b is None else vars(r.accuracy_b)}
    return Claim(Kind.RUNS_RUNG, (r.space,), change, text, evidence, PAIR_RULE)


def findings_change(d: RunDifference) -> Claim:
    """How many findings were added (in B only) and gone (in A only)."""
    added, gone = len(d.findings_added), len(d.findings_gone)
    text = (f"{_count(added, 'finding')} added, {gone} gone." if added or gone else
            "No finding added or gone.")
    return Claim(Kind.RUNS_FINDINGS, (), "changed" if added or gone else "unchanged", text,
                 {"added": [f.code for f in d.findings_added], "gone": [f.code for f in d.findings_gone]},
                 "finding codes of each note (problems, advice, encoders that could not run) and of each clip")


def clips_change(d: RunDifference) -> Claim:
    """Which clips the runs share, which only one has, and which changed label."""
    only = [f"{len(names)} only in run {run}: {_named(names)}" for run, names in (("A", d.only_a), ("B", d.only_b))
            if names]
    lines = [f"{_count(d.n_matched, 'clip')} in both runs (matched by {d.matched_by}); "
             + ("; ".join(only) if only else "none in only one of them") + "."]
    if d.relabelled:
        lines.append(f"{_count(len(d.relabelled), 'clip')} changed label: " + _named(
            [f"{name} ({a} → {b})" for name, a, b in d.relabelled]) + ".")
    same = not (d.only_a or d.only_b or d.relabelled)
    return Claim(Kind.RUNS_CLIPS, (), "same" if same else "differ", "\n".join(lines),
                 {"matched": d.n_matched, "only_a": list(d.only_a), "only_b": list(d.only_b),
                  "relabelled": [list(r) for r in d.relabelled]}, f"clips paired by {d.matched_by}")


def predictions_change(p: PredictionChange) -> Claim:
    """One space's out-of-fold predictions that changed, and whether they turned right or wrong."""
    fixed = sum(1 for c in p.changed if c.right_b and not c.right_a)
    broken = sum(1 for c in p.changed if c.right_a and not c.right_b)
    if not p.changed:
        text = f"{p.space}: no prediction changed on the {_count(p.n_compared, 'clip')} in both runs."
    else:
        text = (f"{p.space}: {len(p.changed)} of {_count(p.n_compared, 'clip')} in both runs changed their "
                f"out-of-fold prediction: {fixed} now right, {broken} now wrong, "
                f"{len(p.changed) - fixed - broken} wrong both times.")
    return Claim(Kind.RUNS_PREDICTIONS, (p.space,), "changed" if p.changed else "unchanged", text,
                 {"changed": len(p.changed), "now_right": fixed, "now_wrong": broken, "compared": p.n_compared},
                 PREDICTION_RULE)


def settings_change(d: RunDifference) -> Claim:
    keys = tuple(s.key for s in d.settings)
    text = f"Settings that differ: {', '.join(keys)}." if keys else "Both runs used the same settings."
    return Claim(Kind.RUNS_SETTINGS, keys, "differ" if keys else "same", text,
                 {s.key: [s.value_a, s.value_b] for s in d.settings}, "run.json settings, spaces and dataset")


def run_claims(d: RunDifference) -> list[Claim]:
    """Every sentence the Runs view says about two runs, each from its one rule, in the page's order."""
    return [headline_change(d), *(rung_change(r) for r in d.rungs), findings_change(d), clips_change(d),
            *(predictions_change(p) for p in d.predictions), settings_change(d)]


SCORES_HEADER = ("space", "accuracy A [95 % CI]", "verdict A", "accuracy B [95 % CI]", "verdict B")


def scores_table(d: RunDifference) -> tuple[tuple[str, ...], ...]:
    """Each space's accuracy [95 % CI] and verdict in both runs (header first), formatted once, as the note does."""
    def cell(value) -> str:
        return NOT_IN_RUN if value is None else str(value)

    return (SCORES_HEADER, *((r.space, cell(r.accuracy_a), cell(r.verdict_a), cell(r.accuracy_b), cell(r.verdict_b))
                             for r in d.rungs))
