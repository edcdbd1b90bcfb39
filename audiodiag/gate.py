"""`audiodiag check`: the per-clip and dataset checks as a gate for pipelines, with no encoder or classifier run.

Files are streamed (decoded, measured, VAD, dropped a batch at a time), then checked as a dataset: the Inspect
page's warnings, the same functions. A file that cannot be read is an error finding ("unreadable"); a reference
transcript far too fast, slow or empty for its speech is a warning. The result renders as Markdown, JSON or
JUnit XML (one test case per clip, so CI systems list the failing files), and decides the exit status:

>>> import numpy as np
>>> from audiodiag.types import Clip
>>> tone = (0.1 * np.sin(2 * np.pi * 440 * np.arange(16000) / 16000)).astype(np.float32)
>>> items = [Clip("tone.wav", tone, 16000, 16000, 1), Clip("silent.wav", 0 * tone, 16000, 16000, 1),
...          LoadFailure("bad.wav", "bad.wav: not an audio file")]  # or rows: manifest.iter_folder("data/")
>>> result = run_check(items, dataset_name="data")
>>> [f.code for f in result.findings if f.severity == "error"]
['unreadable', 'all_silent']
>>> exit_status(result, fail_on="error")   # 1: a finding at or above 'error'; 0: none
1
"""
from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from xml.etree import ElementTree

from audiodiag import dataset, references, stream, transcript_checks
from audiodiag.checks import ClipStats
from audiodiag.encoders import EncoderSpec
from audiodiag.types import ClipInfo, Finding, LoadFailure

SEVERITIES = ("error", "warning", "info")  # most severe first
FAIL_ON = ("error", "warning")
EXIT_PASS, EXIT_FAIL = 0, 1
UNREADABLE = "unreadable"


@dataclass(frozen=True, eq=False)
class CheckResult:
    dataset: str
    target: str | None  # the model the data was checked against (None: only model-free checks)
    clips: tuple[ClipInfo, ...]
    stats: tuple[ClipStats, ...]
    report: dataset.DatasetReport
    failures: tuple[LoadFailure, ...]  # inputs that could not be read
    transcript_findings: tuple[Finding, ...]  # per clip: chars/s of the reference transcripts
    references: tuple[str | None, ...]  # per clip: its reference transcript, None where there is none

    @property
    def per_clip(self) -> dict[str, tuple[Finding, ...]]:
        """Every clip's findings (its own, dataset-relative and transcript ones); unreadable files included."""
        out = {name: list(fs) for name, fs in self.report.clip_findings.items()}
        for f in self.transcript_findings:
            out[f.files[0]].append(f)
        return {**{n: tuple(fs) for n, fs in out.items()}, **{f.name: (unreadable(f),) for f in self.failures}}

    @property
    def findings(self) -> list[Finding]:
        """Dataset-level findings, each per-clip warning aggregated to one row naming its files."""
        transcripts = dataset.aggregate({f.files[0]: (f,) for f in self.transcript_findings})  # one per clip at most
        failures = dataset.aggregate({f.name: (unreadable(f),) for f in self.failures})
        return _by_severity([*failures, *self.report.findings, *transcripts])


def unreadable(failure: LoadFailure) -> Finding:
    return Finding(UNREADABLE, "error", failure.message, (failure.name,))


def _by_severity(findings: Sequence[Finding]) -> list[Finding]:
    return sorted(findings, key=lambda f: SEVERITIES.index(f.severity) if f.severity in SEVERITIES else 3)


def run_check(items: Iterable, *, dataset_name: str, spec: EncoderSpec | None = None,
              clip_length_s: float | None = None, reference_folder: Path | None = None,
              batch_size: int = stream.STREAM_BATCH_CLIPS, progress=None) -> CheckResult:
    """Stream, measure and check `items` (manifest rows, folder rows, LoadFailures or Clips; see stream.stream).

    spec: also check the fit to this model (sample rate, speech, fixed input); None: only model-free checks.
    reference_folder: the folder whose transcripts.csv / <stem>.txt files hold references; None: a manifest's
    transcript column (if any).
    """
    streamed = stream.stream(items, [], baseline=False, batch_size=batch_size, progress=progress, allow_empty=True)
    stats = streamed.stats
    report = (dataset.check(stats, streamed.speech, spec=spec, clip_length_s=clip_length_s) if stats else
              dataset.DatasetReport((), (), None, ()))
    refs = (references.folder_references(reference_folder, streamed.clips) if reference_folder is not None
            else list(streamed.references))
    texts: tuple[Finding, ...] = ()
    if any(r is not None for r in refs):
        texts = tuple(transcript_checks.reference_findings([c.name for c in streamed.clips], refs,
                                                           [s.speech_fraction for s in stats],
                                                           [s.duration_s for s in stats]))
    return CheckResult(dataset_name, None if spec is None else spec.name, streamed.clips, stats, report,
                       streamed.failures, texts, tuple(refs) if refs else (None,) * len(streamed.clips))


def counts(result: CheckResult) -> dict[str, int]:
    """Clips (and unreadable files) with at least one finding of each severity."""
    return {level: sum(any(f.severity == level for f in fs) for fs in result.per_clip.values()) for level in SEVERITIES}


def failing(result: CheckResult, *, fail_on: str) -> list[Finding]:
    """The findings at or above `fail_on` ("error" or "warning")."""
    if fail_on not in FAIL_ON:
        raise ValueError(f"fail_on={fail_on!r}; use one of {', '.join(FAIL_ON)}")
    worst = SEVERITIES.index(fail_on)
    return [f for f in result.findings if f.severity in SEVERITIES and SEVERITIES.index(f.severity) <= worst]


def exit_status(result: CheckResult, *, fail_on: str = "error") -> int:
    """1 when a finding at or above `fail_on` exists, else 0."""
    return EXIT_FAIL if failing(result, fail_on=fail_on) else EXIT_PASS


def headline(result: CheckResult, fail_on: str) -> str:
    n = counts(result)
    bad = failing(result, fail_on=fail_on)
    verdict = "FAIL" if bad else "PASS"
    return (f"{verdict} (--fail-on {fail_on}): {len(result.clips)} clips checked, {len(result.failures)} unreadable; "
            f"clips with errors {n['error']}, with warnings {n['warning']}, with notes {n['info']}")


def to_markdown(result: CheckResult, *, fail_on: str = "error") -> str:
    target = (f"checked against {result.target}" if result.target else
              "no target model (add --encoder NAME for sample-rate, speech and fixed-input checks)")
    lines = [f"# audiodiag check: {result.dataset}", "", f"**{headline(result, fail_on)}**", "", f"Model: {target}.", ""]
    for level, title in zip(SEVERITIES, ("Errors", "Warnings", "Notes")):
        items = [f for f in result.findings if f.severity == level]
        if items:
            lines += [f"## {title}", ""] + [f"- `{f.code}`: {f.message}" for f in items] + [""]
    if not result.findings:
        lines += ["No findings.", ""]
    return "\n".join(lines)


def to_dict(result: CheckResult, *, fail_on: str = "error") -> dict:
    per_clip = result.per_clip
    clips = []
    for info, s in zip(result.clips, result.stats):
        measured = {k: v for k, v in asdict(s).items() if k not in ("name", "label", "group")}
        clips.append({"name": info.name, "source": info.source, "label": info.label, "group": info.group,
                      "findings": [f.code for f in per_clip.get(info.name, ())], **measured})
    return {"dataset": result.dataset, "target": result.target, "fail_on": fail_on,
            "passed": not failing(result, fail_on=fail_on), "n_clips": len(result.clips),
            "n_unreadable": len(result.failures), "clips_with": counts(result),
            "findings": [{"code": f.code, "severity": f.severity, "message": f.message, "files": list(f.files)}
                         for f in result.findings],
            "unreadable": [{"name": f.name, "message": f.message} for f in result.failures], "clips": clips}


def to_json(result: CheckResult, *, fail_on: str = "error") -> str:
    return json.dumps(to_dict(result, fail_on=fail_on), indent=2, allow_nan=False, default=str)


def to_junit(result: CheckResult, *, fail_on: str = "error") -> str:
    """JUnit XML: one test case per clip and per unreadable file, failing where a finding is at or above
    `fail_on` (the rest in its system-out), plus one per dataset-level finding that names no single clip."""
    worst = SEVERITIES.index(fail_on)
    suite = ElementTree.Element("testsuite", name=f"audiodiag check: {result.dataset}")
    cases = 0
    failures = 0

    def case(name: str, findings: Sequence[Finding]) -> None:
        nonlocal cases, failures
        element = ElementTree.SubElement(suite, "testcase", classname=result.dataset, name=name)
        cases += 1
        bad = [f for f in findings if SEVERITIES.index(f.severity) <= worst]
        if bad:
            failures += 1
            failure = ElementTree.SubElement(element, "failure", type=",".join(dict.fromkeys(f.code for f in bad)),
                                             message=bad[0].message)
            failure.text = "\n".join(f"[{f.severity}] {f.code}: {f.message}" for f in bad)
        rest = [f for f in findings if f not in bad]
        if rest:
            ElementTree.SubElement(element, "system-out").text = "\n".join(
                f"[{f.severity}] {f.code}: {f.message}" for f in rest)

    per_clip = result.per_clip
    for name, findings in per_clip.items():
        case(name, findings)
    clip_codes = {f.code for fs in per_clip.values() for f in fs}
    for f in result.findings:
        if f.code not in clip_codes:  # e.g. mixed sample rates, a duration shortcut: about the whole dataset
            case(f"dataset: {f.code}", [f])
    suite.set("tests", str(cases))
    suite.set("failures", str(failures))
    suite.set("errors", "0")
    ElementTree.indent(suite)
    return ElementTree.tostring(suite, encoding="unicode", xml_declaration=True) + "\n"


FORMATS = {"md": to_markdown, "json": to_json, "junit": to_junit}
