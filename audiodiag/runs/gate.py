"""`audiodiag check`: the per-clip and dataset checks as a gate for pipelines, with no encoder or classifier run.

Files are streamed (decoded, measured, VAD, dropped a batch at a time), then checked as a dataset: the Inspect
page's warnings, the same functions. A file that cannot be read is an error finding ("unreadable"); a reference
transcript far too fast, slow or empty for its speech is a warning; identical clips (by their decoded audio) and,
when asked, near-identical ones in the spectral baseline's space are named as `report` names them; so are the
columns of a labels table or manifest that nothing reads. Every clip's format (container, encoding, bit depth,
channels, rate) is reported. The result renders as Markdown, JSON or JUnit XML (one test case per clip, so CI
systems list the failing files), and decides the exit status:

>>> import numpy as np
>>> from audiodiag.types import Clip
>>> tone = (0.1 * np.sin(2 * np.pi * 440 * np.arange(16000) / 16000)).astype(np.float32)
>>> items = [Clip("tone.wav", tone, 16000, 16000, 1), Clip("silent.wav", 0 * tone, 16000, 16000, 1),
...          LoadFailure("bad.wav", "bad.wav: not an audio file")]  # or rows: layout.iter_folder("data/")
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

from audiodiag.asr import references, transcript_checks
from audiodiag.data.tables import UnusedColumns
from audiodiag.evaluation import duplicates
from audiodiag.findings import Code
from audiodiag.measure import dataset
from audiodiag.measure.per_clip import ClipStats
from audiodiag.represent.encoders import EncoderSpec
from audiodiag.runs import stream
from audiodiag.runs import workers as pool
from audiodiag.types import ClipInfo, Finding, LoadFailure

SEVERITIES = ("error", "warning", "info")  # most severe first
FAIL_ON = ("error", "warning")
EXIT_PASS, EXIT_FAIL = 0, 1
FORMAT_FIELDS = ("container", "subtype", "bit_depth", "channels", "sample_rate_hz")  # ClipStats' format facts
FORMAT_HEADERS = ("container", "encoding", "bits", "channels", "rate (Hz)")  # ... as the Markdown table heads them
NO_VALUE = "—"  # a table cell without a value (a compressed format has no bit depth)


@dataclass(frozen=True)
class FileFormat:
    """One format found in the data, and the clips in it."""

    container: str
    subtype: str  # libsndfile's encoding, e.g. PCM_16, PCM_24, FLOAT, VORBIS
    bit_depth: int | None  # None for compressed encodings
    channels: int
    sample_rate_hz: int
    files: tuple[str, ...]


@dataclass(frozen=True, eq=False)
class CheckResult:
    dataset: str
    target: str | None  # the model the data was checked against (None: only model-free checks)
    clips: tuple[ClipInfo, ...]
    stats: tuple[ClipStats, ...]
    report: dataset.DatasetAnalysis
    failures: tuple[LoadFailure, ...]  # inputs that could not be read
    transcript_findings: tuple[Finding, ...]  # per clip: chars/s of the reference transcripts
    references: tuple[str | None, ...]  # per clip: its reference transcript, None where there is none
    data_findings: tuple[Finding, ...] = ()  # identical / near-identical clips, columns nothing reads

    @property
    def per_clip(self) -> dict[str, tuple[Finding, ...]]:
        """Every clip's findings (its own, dataset-relative and transcript ones); unreadable files included."""
        out = {name: list(fs) for name, fs in self.report.clip_findings.items()}
        for f in self.transcript_findings:
            out[f.files[0]].append(f)
        for f in self.data_findings:  # a duplicate pair: under both clips (a table's columns: under none)
            for name in f.files:
                if name in out:
                    out[name].append(f)
        return {**{n: tuple(fs) for n, fs in out.items()}, **{f.name: (unreadable(f),) for f in self.failures}}

    @property
    def findings(self) -> list[Finding]:
        """Dataset-level findings, each per-clip warning aggregated to one row naming its files."""
        transcripts = dataset.aggregate({f.files[0]: (f,) for f in self.transcript_findings})  # one per clip at most
        failures = dataset.aggregate({f.name: (unreadable(f),) for f in self.failures})
        return _by_severity([*failures, *self.report.findings, *self.data_findings, *transcripts])

    @property
    def formats(self) -> list[FileFormat]:
        """The formats found, most clips first (ties: the first found first)."""
        by_format: dict[tuple, list[str]] = {}
        for s in self.stats:
            by_format.setdefault(tuple(getattr(s, k) for k in FORMAT_FIELDS), []).append(s.name)
        ranked = sorted(by_format.items(), key=lambda item: -len(item[1]))
        return [FileFormat(*facts, tuple(files)) for facts, files in ranked]


def unreadable(failure: LoadFailure) -> Finding:
    return Finding(Code.UNREADABLE, "error", failure.message, (failure.name,))


def unused_columns_finding(unused: UnusedColumns) -> Finding:
    return Finding(Code.UNUSED_COLUMNS, "info", unused.message, (unused.table,))


def _by_severity(findings: Sequence[Finding]) -> list[Finding]:
    return sorted(findings, key=lambda f: SEVERITIES.index(f.severity) if f.severity in SEVERITIES else 3)


def run_check(items: Iterable, *, dataset_name: str, spec: EncoderSpec | None = None,
              clip_length_s: float | None = None, reference_folder: Path | None = None,
              batch_size: int = stream.STREAM_BATCH_CLIPS, progress=None, near_duplicates: bool = False,
              unused: Sequence[UnusedColumns] = (), workers: int | None = 1) -> CheckResult:
    """Stream, measure and check `items` (manifest rows, folder rows, LoadFailures or Clips; see stream.stream).

    spec: also check the fit to this model (sample rate, speech, fixed input); None: only model-free checks.
    reference_folder: the folder whose transcripts.csv / <stem>.txt files hold references; None: a manifest's
    transcript column (if any).
    near_duplicates: also compute the spectral baseline's features and name near-identical clips
    (`duplicates.near_duplicates`); identical ones are always named.
    unused: the columns of the data's labels table or manifest that nothing reads (`io.table_unused_columns`,
    `manifest.Manifest.unused_columns`), each named as a note.
    workers: processes that decode and measure (`audiodiag.runs.workers`); 1: this process; None: one per usable core.
    """
    streamed = stream.stream(items, [], baseline=near_duplicates, batch_size=batch_size, progress=progress,
                             allow_empty=True, engine=pool.engine(workers))
    stats = streamed.stats
    report = (dataset.check(stats, streamed.speech, spec=spec, clip_length_s=clip_length_s) if stats else
              dataset.DatasetAnalysis((), (), None, ()))
    refs = (references.folder_references(reference_folder, streamed.clips) if reference_folder is not None
            else list(streamed.references))
    texts: tuple[Finding, ...] = ()
    if any(r is not None for r in refs):
        texts = tuple(transcript_checks.reference_findings([c.name for c in streamed.clips], refs,
                                                           [s.speech_fraction for s in stats],
                                                           [s.duration_s for s in stats]))
    exact = streamed.exact_duplicates()
    near = {v.space: duplicates.near_duplicates(v.vectors, space=v.space, exact=exact) for v in streamed.vectors}
    copies = duplicates.leakage_findings(list(streamed.clips), None, exact=exact, near=near)
    return CheckResult(dataset_name, None if spec is None else spec.name, streamed.clips, stats, report,
                       streamed.failures, texts, tuple(refs) if refs else (None,) * len(streamed.clips),
                       (*copies, *(unused_columns_finding(u) for u in unused)))


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
    for level, title in zip(SEVERITIES, ("Errors", "Warnings", "Notes"), strict=True):
        items = [f for f in result.findings if f.severity == level]
        if items:
            lines += [f"## {title}", ""] + [f"- `{f.code}`: {f.message}" for f in items] + [""]
    if not result.findings:
        lines += ["No findings.", ""]
    if result.stats:
        heads = (*FORMAT_HEADERS, "clips", "files")
        lines += ["## Formats", "", _row(heads), _row(("---",) * len(heads))]
        lines += [_row((*format_cells(f), str(len(f.files)), dataset.name_files(list(f.files))))
                  for f in result.formats]
        lines.append("")
    return "\n".join(lines)


def format_cells(f: FileFormat) -> tuple[str, ...]:
    """A format's facts as table cells (FORMAT_HEADERS' order)."""
    return (f.container, f.subtype, NO_VALUE if f.bit_depth is None else str(f.bit_depth), str(f.channels),
            str(f.sample_rate_hz))


def _row(cells: Sequence[str]) -> str:
    return "| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |"


def to_dict(result: CheckResult, *, fail_on: str = "error") -> dict:
    per_clip = result.per_clip
    clips = []
    for info, s in zip(result.clips, result.stats, strict=True):
        measured = {k: v for k, v in asdict(s).items() if k not in ("name", "label", "group")}
        clips.append({"name": info.name, "source": info.source, "label": info.label, "group": info.group,
                      "findings": [f.code for f in per_clip.get(info.name, ())], **measured})
    return {"dataset": result.dataset, "target": result.target, "fail_on": fail_on,
            "passed": not failing(result, fail_on=fail_on), "n_clips": len(result.clips),
            "n_unreadable": len(result.failures), "clips_with": counts(result),
            "findings": [{"code": f.code, "severity": f.severity, "message": f.message, "files": list(f.files)}
                         for f in result.findings],
            "unreadable": [{"name": f.name, "message": f.message} for f in result.failures],
            "formats": [{**{k: getattr(f, k) for k in FORMAT_FIELDS}, "n_clips": len(f.files), "files": list(f.files)}
                        for f in result.formats], "clips": clips}


def to_json(result: CheckResult, *, fail_on: str = "error") -> str:
    return json.dumps(to_dict(result, fail_on=fail_on), indent=2, allow_nan=False, default=str)


def to_junit(result: CheckResult, *, fail_on: str = "error") -> str:
    """JUnit XML: one test case per clip and per unreadable file, failing where a finding is at or above
    `fail_on` (the rest in its system-out), plus one per dataset-level finding that names no single clip."""
    worst = SEVERITIES.index(fail_on)
    suite = ElementTree.Element("testsuite", name=f"audiodiag check: {result.dataset}")
    cases = 0
    failures = 0

    formats = {s.name: s for s in result.stats}

    def case(name: str, findings: Sequence[Finding]) -> None:
        nonlocal cases, failures
        element = ElementTree.SubElement(suite, "testcase", classname=result.dataset, name=name)
        cases += 1
        if name in formats:  # the clip's format facts, as properties CI systems show beside the case
            properties = ElementTree.SubElement(element, "properties")
            for key in FORMAT_FIELDS:
                value = getattr(formats[name], key)
                ElementTree.SubElement(properties, "property", name=key,
                                       value=NO_VALUE if value is None else str(value))
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
