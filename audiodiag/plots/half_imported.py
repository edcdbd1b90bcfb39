"""plotly, kept from modules another thread is still importing (plotly.py issue #2433).

plotly asks `sys.modules` whether numpy and pandas are loaded (`get_module(name, should_load=False)`) each time it
builds, copies or serialises a figure, and uses what it finds. The app serves each session in its own thread, and
the heavy modules are imported on first use: while one session imports pandas for a table, `sys.modules` already
holds the half-made module, and a figure built in another session meets `pandas.Series` missing (an AttributeError
that replaced the Inspect page's waveform in tests/test_concurrency.py, five sessions at once; numpy once did the
same). `settle_plotly()` makes plotly's lookup answer "not loaded" for a module still being imported. That answer is
true of the values plotly checks: an object of that module can exist only once its import has finished, since any
other thread's `import` of it waits for that.
"""
from __future__ import annotations

import sys
from types import ModuleType

import _plotly_utils.optional_imports as optional_imports

PLOTLY_PACKAGES = ("plotly", "_plotly_utils")  # the modules that bind `get_module` by name


def initialising(module: ModuleType) -> bool:
    """True while `module`'s own import is still running: the flag CPython's import system sets on the module's spec
    for that time (and checks itself before handing another thread a module from `sys.modules`). narwhals, which
    plotly also asks, makes the same check for the same race (`narwhals.dependencies._get_imported_module`)."""
    return bool(getattr(getattr(module, "__spec__", None), "_initializing", False))


_plotly_get_module = optional_imports.get_module


def settled_get_module(name: str, should_load: bool = True) -> ModuleType | None:
    """plotly's `get_module`, except that a module found in `sys.modules` half-imported counts as not loaded.
    (`should_load=True` imports, and an import waits for another thread's import of the same module.)"""
    module = _plotly_get_module(name, should_load=should_load)
    if not should_load and module is not None and initialising(module):
        return None
    return module


def settle_plotly() -> None:
    """Put `settled_get_module` in place of plotly's, in its home module (for plotly modules imported from now on)
    and in every plotly module already imported that bound the original by name. Idempotent."""
    optional_imports.get_module = settled_get_module
    for name, module in list(sys.modules.items()):
        if (name.split(".")[0] in PLOTLY_PACKAGES
                and getattr(module, "get_module", None) is _plotly_get_module):
            module.get_module = settled_get_module
