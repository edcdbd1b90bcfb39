"""BLAS on one thread for a block of code, without threadpoolctl's scan of the loaded libraries on every call.

`threadpoolctl.threadpool_limits(...)` finds the BLAS libraries anew each time it is entered: 4-7 ms on this
project's 2-core machine, paid per streamed batch, per fit_predict and per baseline feature task (about 20 times
in one `report` of 300 clips, in the main process and the workers). `one_blas_thread()` limits through a
`ThreadpoolController` kept for the process and made again only once more modules were imported (a new library,
e.g. scipy's or torch's BLAS, comes with a new module).

>>> import numpy  # loads its BLAS
>>> from threadpoolctl import threadpool_info
>>> with one_blas_thread():
...     {lib["num_threads"] for lib in threadpool_info() if lib["user_api"] == "blas"}
{1}
"""
from __future__ import annotations

import functools
import sys


def one_blas_thread():
    """A context manager: every BLAS library loaded so far runs on one thread inside it (the setting before, after)."""
    return _controller(len(sys.modules)).limit(limits=1, user_api="blas")


@functools.lru_cache(maxsize=1)
def _controller(modules: int):
    from threadpoolctl import ThreadpoolController  # scikit-learn's own dependency

    return ThreadpoolController()
