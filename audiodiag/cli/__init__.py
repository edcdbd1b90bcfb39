"""The command line (`audiodiag ...`, `python -m audiodiag ...`): the same library code as the app, for CI or a
bigger machine.

    python -m audiodiag report DATA --task classify [--encoder NAME ...] [--out note.md] [--json note.json]
    python -m audiodiag report DATA --task classify --out-dir RUN/     # streamed; writes a run folder
    python -m audiodiag check DATA [--fail-on error|warning] [--format md|json|junit] [--out FILE]
    python -m audiodiag demo [--model DIR_OR_ID]
    python -m audiodiag samples [--download NAME]
    python -m audiodiag models [NAME ...] [--json]                   # model cards: licence, weights sha256, limits
    python -m audiodiag app [--port N] [-- STREAMLIT_ARGS ...]       # start the dashboard (streamlit run app.py)

DATA is a folder (one sub-folder per class; optional labels.csv / groups.csv), a .zip of one, a manifest
(.csv, .jsonl or .parquet with path,label[,group][,transcript]; a NeMo manifest; a Hugging Face Parquet export with
an audio column; Lhotse cuts .jsonl.gz; a local path or an fsspec URL such as s3://bucket/train.parquet), or the
name of a bundled sample set (spoken_digits, sounds, utterances).
Exit status: 0 on success, 2 on a user error (bad data, unknown encoder), 1 on anything unexpected; `check` exits
1 when a finding at or above --fail-on exists (0 when none).

One module per job: `arguments` (the parser: verbs, options, help texts), `options` (the settings the options
choose), `reports` (`report`), `transcription` (`report --task transcribe`), `commands` (`check`, `demo`,
`samples`, `models`, `app`) and `console` (exit statuses, the fix wording of the notes, the progress line); `main`
runs one command line.
"""
from __future__ import annotations

import sys

from audiodiag.cli.arguments import parser
from audiodiag.cli.commands import app, dashboard_script, streamlit_command
from audiodiag.cli.console import CLI, EXIT_INTERNAL_ERROR, EXIT_USER_ERROR
from audiodiag.cli.options import comparison_settings, retrieval_settings, transcription_settings
from audiodiag.cli.reports import say_groups
from audiodiag.errors import AudioDiagError, ConsistencyError

# What other code takes from `audiodiag.cli`; a test that patches a handler patches it in its module (the parser
# looks `commands.models` up when it is built).
__all__ = ["CLI", "EXIT_INTERNAL_ERROR", "EXIT_USER_ERROR", "app", "comparison_settings", "dashboard_script", "main",
           "parser", "retrieval_settings", "say_groups", "streamlit_command", "transcription_settings"]


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    args.argv = list(sys.argv[1:] if argv is None else argv)  # the exact command line, for run.json
    try:
        return args.run(args)
    except ConsistencyError as e:  # a bug in a claim rule, not the user's move: the unexpected-error status
        print(f"internal error (please report it): {e}", file=sys.stderr)
        return EXIT_INTERNAL_ERROR
    except AudioDiagError as e:
        print(f"error: {e}", file=sys.stderr)
        return EXIT_USER_ERROR
