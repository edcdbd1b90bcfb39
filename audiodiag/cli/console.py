"""How the command line talks back: its exit statuses, the wording of the fixes in the notes it writes (the
reader "cli", registered on import), and the progress line on stderr."""
from __future__ import annotations

import sys

from audiodiag import fixes

EXIT_USER_ERROR = 2
EXIT_INTERNAL_ERROR = 1
CLI = "cli"  # the reader of the notes this command writes: its how-to-fix texts name this command's flags
fixes.register(CLI, {
    fixes.ADD_GROUPS: "add a group column (speaker, session, source ...) to the labels CSV or a groups.csv beside the "
                      "class folders, or name it with --group-column NAME",
    fixes.USE_GROUPS: "run again without --no-groups",
    fixes.EXCLUDE_SAME_GROUP: "run again without --no-exclude-same-group",
})


def progress_printer():
    """A `say(message)` for the long steps: each message on stderr, one starting with two spaces (a step's
    progress) overwriting the line it is on."""
    def say(message: str) -> None:
        end = "\r" if message.startswith("  ") else "\n"
        print(message.ljust(60), end=end, file=sys.stderr, flush=True)
    return say
