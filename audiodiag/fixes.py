"""How to fix what a note or a finding points out, worded by whoever shows it.

A claim or a finding that tells the user to change something says *what* to change as a token (`ADD_GROUPS`, ...),
not *how*: the how depends on where it is read (a command-line flag, a checkbox in the app, an argument in a
notebook). Each reader registers its wording once (`register`: the command line in `audiodiag.cli.console`, the
app in `pages/`), and renders a note or a finding before showing it (`render`, `rendered`). The library's own wording
(`LIBRARY`) is what the public API (`audiodiag.classify`, ...) returns.

>>> print(render(f"Fix: {USE_GROUPS}.", LIBRARY))
Fix: run again with group-aware folds (ComparisonSettings(group_aware=True)).
"""
from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping

from audiodiag.errors import BadParameterError

ADD_GROUPS = "⟦fix:add_groups⟧"  # give the clips groups (speaker, session, source)
USE_GROUPS = "⟦fix:use_groups⟧"  # keep each group in one fold again (after random folds were asked for)
EXCLUDE_SAME_GROUP = "⟦fix:exclude_same_group⟧"  # retrieval: stop counting a query's own group as a match
FIXES = (ADD_GROUPS, USE_GROUPS, EXCLUDE_SAME_GROUP)
TOKEN = re.compile(r"⟦fix:[a-z_]+⟧")

LIBRARY = "library"
_WORDING: dict[str, dict[str, str]] = {
    LIBRARY: {
        ADD_GROUPS: "add a group column (speaker, session, source ...) to the labels table, or pass group_by=NAME to "
                    "audiodiag.load",
        USE_GROUPS: "run again with group-aware folds (ComparisonSettings(group_aware=True))",
        EXCLUDE_SAME_GROUP: "run again with RetrievalSettings(exclude_same_group=True)",
    },
}


def register(reader: str, wording: Mapping[str, str]) -> None:
    """The wording of every fix for one reader (e.g. "cli", "app"); a reader registered again is replaced."""
    missing, unknown = set(FIXES) - set(wording), set(wording) - set(FIXES)
    if missing or unknown:
        raise BadParameterError(f"fixes.register({reader!r}): every fix needs one wording; missing "
                                f"{sorted(missing) or 'none'}, unknown {sorted(unknown) or 'none'}")
    _WORDING[reader] = dict(wording)


def render(text: str, reader: str) -> str:
    """`text` with each fix token in `reader`'s wording."""
    if reader not in _WORDING:
        raise BadParameterError(f"fixes.render: no wording registered for reader {reader!r}; registered: "
                                f"{', '.join(sorted(_WORDING))}")
    wording = _WORDING[reader]
    return TOKEN.sub(lambda m: wording[m.group(0)], text) if "⟦" in text else text


def rendered(value, reader: str):
    """`value` with every string in it rendered: a string, a list, tuple or dict of them, or a dataclass (a note,
    its sections, a finding, a decision) whose fields hold them. Numbers, arrays and other objects are kept as
    they are; an object with nothing to render is returned itself."""
    if isinstance(value, str):
        return render(value, reader)
    if isinstance(value, (list, tuple)) and not hasattr(value, "_fields"):
        items = [rendered(v, reader) for v in value]
        return value if all(a is b for a, b in zip(items, value, strict=True)) else type(value)(items)
    if isinstance(value, dict):
        items = {k: rendered(v, reader) for k, v in value.items()}
        return value if all(items[k] is v for k, v in value.items()) else items
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        changed = {f.name: new for f in dataclasses.fields(value) if f.init
                   for new in [rendered(getattr(value, f.name), reader)] if new is not getattr(value, f.name)}
        return dataclasses.replace(value, **changed) if changed else value
    return value
