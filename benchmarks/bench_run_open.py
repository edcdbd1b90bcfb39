"""P11: opening a 100,000-clip run folder in the dashboard, in a real browser: time to the first page paint.

A real run folder is written by `report --out-dir` on the bundled "sounds" set (60 clips), then grown to
100,000 rows with the same file layout (clips.parquet rows, vectors, folds repeated under new names; run.json's
counts updated), so the app reads exactly what a 100k-clip run leaves. The server runs with the folder under its
data root; the clock starts when the browser asks for Inspect on that run (`?source=Server folder&server_entry=`)
and stops when the page shows the clip count and the paged clip table. Reference, measured the same way in the
same server: the 60-clip run it was grown from. Goal (issue 16): ≤ 5 s.
"""
from __future__ import annotations

import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlencode

import numpy as np

from benchmarks.harness import Row, seconds_until_shown

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # also runnable as a script
    sys.path.insert(0, str(ROOT))

N_CLIPS = 100_000
GOAL_S = 5.0
REPEATS = 3
TIMEOUT_S = 120.0
POLL_S = 0.05


def grow_run(small: Path, big: Path, n: int) -> None:
    """`small`'s run folder repeated to n clips (names prefixed copyK/), file layout unchanged."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from audiodiag.runs import run_folder

    shutil.copytree(small, big)
    table = pq.read_table(small / run_folder.CLIPS_FILE)
    m = table.num_rows
    rows = np.arange(n) % m
    grown = table.take(pa.array(rows))
    names = [f"copy{i // m}/{name}" for i, name in enumerate(grown.column("name").to_pylist())]
    grown = grown.set_column(grown.column_names.index("name"), "name", pa.array(names))
    pq.write_table(grown, big / run_folder.CLIPS_FILE)
    for npy in (big / run_folder.VECTORS_DIR).glob("*.npy"):
        np.save(npy, np.load(npy)[rows], allow_pickle=False)
        meta_path = npy.with_suffix(".json")
        meta = json.loads(meta_path.read_text())
        meta["content_hashes"] = [meta["content_hashes"][i] for i in rows]
        meta["shape"][0] = n
        meta_path.write_text(json.dumps(meta))
    folds = json.loads((big / run_folder.FOLDS_FILE).read_text())
    folds["fold_of_clip"] = [folds["fold_of_clip"][i] for i in rows]
    (big / run_folder.FOLDS_FILE).write_text(json.dumps(folds))
    run = json.loads((big / run_folder.RUN_FILE).read_text())
    run["counts"]["clips"] = n
    (big / run_folder.RUN_FILE).write_text(json.dumps(run))


def _first_paint_s(driver, base_url: str, entry: str, n: int) -> float:
    """Seconds from asking for Inspect on the run folder to its clip count and clip table on screen."""
    from selenium.webdriver.common.by import By

    from tests import browser_support as bs

    url = f"{base_url}/?{urlencode({'source': 'Server folder', 'server_entry': entry})}"
    start = time.perf_counter()
    driver.get(url)
    count = f"{n:,}"
    return seconds_until_shown(
        driver, lambda: count in bs.page_text(driver) and bool(driver.find_elements(
            By.CSS_SELECTOR, '[data-testid="stDataFrame"]')),
        start=start, timeout_s=TIMEOUT_S, poll_s=POLL_S, what=f"the run folder {entry}")


def p11_open_big_run() -> list[Row]:
    from audiodiag import cli
    from audiodiag.data import dataroot, sample_sets
    from tests import browser_support as bs

    with tempfile.TemporaryDirectory() as tmp:
        data_root = Path(tmp) / "root"
        small = data_root / "sounds-run"
        assert cli.main(["report", str(sample_sets.sample_set_dir("sounds")), "--encoder", "speech_embedding",
                         "--folds", "3", "--out-dir", str(small), "--out", os.devnull]) == 0
        grow_run(small, data_root / "big-run", N_CLIPS)
        os.environ[dataroot.DATA_ROOT_ENV] = str(data_root)
        try:
            with bs.streamlit_server(name="bench-run-open", cache_dir=Path(tmp) / "cache") as server, \
                    bs.chromium("bench-run-open") as driver:
                _first_paint_s(driver, server.url, "sounds-run", 60)  # the browser's and server's first visit
                first = _first_paint_s(driver, server.url, "big-run", N_CLIPS)  # the folder read for the first time
                again = statistics.median(_first_paint_s(driver, server.url, "big-run", N_CLIPS)
                                          for _ in range(REPEATS))
                reference = statistics.median(_first_paint_s(driver, server.url, "sounds-run", 60)
                                              for _ in range(REPEATS))
        finally:
            os.environ.pop(dataroot.DATA_ROOT_ENV, None)
    return [
        Row(f"P11 open a {N_CLIPS:,}-clip run folder: first paint, first open (s)", first, "s",
            "the 60-clip run it was grown from, same server (median of 3)", reference, f"≤ {GOAL_S:g} s",
            first <= GOAL_S),
        Row(f"P11 open a {N_CLIPS:,}-clip run folder: first paint, opened again (median of {REPEATS}, s)", again,
            "s", "the 60-clip run it was grown from, same server (median of 3)", reference, f"≤ {GOAL_S:g} s",
            again <= GOAL_S),
    ]


SCALE = True  # part of issue 16's scale rows: run with `python -m benchmarks.run_all --scale p11_open_big_run`
BENCHMARKS = (p11_open_big_run,)

if __name__ == "__main__":
    from benchmarks.harness import markdown_table

    os.chdir(ROOT)
    print(markdown_table(p11_open_big_run()))
