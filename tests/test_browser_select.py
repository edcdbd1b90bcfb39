"""Real browser: clicking a confusion-matrix cell lists the clips behind it with a player (issue 29).

One server, one walk: upload tones and noise with one noise clip labelled "tone", compare with the baseline alone,
click the baseline's (true tone, predicted noise) cell as a user would, and hear exactly that clip.
"""
from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path

import pytest
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By

from audiodiag.represent import spaces
from tests.browser_support import (
    Server,
    choose_radio,
    chromium,
    click_button,
    error_texts,
    open_app,
    open_page,
    page_text,
    require_chromium,
    screenshot,
    streamlit_server,
    upload_files,
    wait_for_idle,
    wait_for_plotly,
    wait_for_text,
    wait_until,
)
from tests.helpers import noise, sine, wav_bytes

pytestmark = pytest.mark.slow

MISLABELLED = "odd_one.wav"  # white noise labelled "tone": the out-of-fold baseline predicts noise
CLASSES = ("noise", "tone")  # the comparison's class order (sorted): rows true, columns predicted
COMPARE_TIMEOUT_S = 240

# The centre of the clickable marker over cell (row, column) of the confusion matrix titled arguments[0]: the
# figure's one scatter trace, a marker per cell in row-major order.
_CELL_MARKER_JS = """
for (const chart of document.querySelectorAll('[data-testid="stPlotlyChart"]')) {
  const title = chart.querySelector('.gtitle');
  if (chart.closest('[data-stale="true"]') || !title || title.textContent !== arguments[0]) continue;
  const points = chart.querySelectorAll('.scatterlayer .trace path.point');
  return points.length === arguments[3] * arguments[3] ? points[arguments[1] * arguments[3] + arguments[2]] : null;
}
return null;"""


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[Server]:
    require_chromium()
    with streamlit_server(name="test_browser_select-server",
                          cache_dir=tmp_path_factory.mktemp("audiodiag-cache")) as running:
        yield running


def _files(folder: Path) -> list[Path]:
    """8 tones, 8 noises and the mislabelled noise, with labels.csv (path,label)."""
    clips = {f"tone_{i}.wav": sine(300 + 40 * i, duration_s=0.5) for i in range(8)}
    clips |= {f"noise_{i}.wav": noise(duration_s=0.5, seed=i) for i in range(8)}
    clips[MISLABELLED] = noise(duration_s=0.5, seed=99)
    table = io.StringIO()
    writer = csv.writer(table)
    writer.writerow(["path", "label"])
    writer.writerows((name, "tone" if name.startswith("tone") or name == MISLABELLED else "noise") for name in clips)
    paths = []
    for name, samples in clips.items():
        paths.append(folder / name)
        paths[-1].write_bytes(wav_bytes(samples))
    (folder / "labels.csv").write_text(table.getvalue())
    return [*paths, folder / "labels.csv"]


def _players(driver) -> int:
    return len(driver.find_elements(By.CSS_SELECTOR, '[data-testid="stAudio"]'))


def test_clicking_a_confusion_cell_plays_exactly_the_clips_behind_it(server, tmp_path):
    with chromium("select_confusion_cell") as driver:
        open_app(driver, server.url)
        choose_radio(driver, "source", "My files")
        wait_for_text(driver, "No clips to inspect yet")
        upload_files(driver, _files(tmp_path))
        wait_for_plotly(driver, 2, titles=("Waveform", "Log-mel spectrogram"))
        open_page(driver, server.url, "Compare")
        wait_for_idle(driver)
        clear = wait_until(driver, lambda: next(iter(driver.find_elements(
            By.CSS_SELECTOR, '.st-key-compare_encoders [aria-label="Clear all"]')), None),
            what="the encoder list's clear button")
        clear.click()  # the baseline alone: seconds, and it tells these classes apart
        click_button(driver, "Run comparison")
        wait_for_plotly(driver, 1, titles=(spaces.BASELINE,), timeout_s=COMPARE_TIMEOUT_S)
        wait_for_idle(driver)
        before = _players(driver)

        row, column = CLASSES.index("tone"), CLASSES.index("noise")
        marker = wait_until(driver, lambda: driver.execute_script(_CELL_MARKER_JS, spaces.BASELINE, row, column,
                                                                  len(CLASSES)),
                            what="the marker over the (tone, noise) cell")
        driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", marker)
        ActionChains(driver).move_to_element(marker).click().perform()

        wait_for_text(driver, f"{spaces.BASELINE}: true tone, predicted noise: 1 clip(s)")
        wait_for_text(driver, f"{MISLABELLED}: label tone, 0.50 s")
        wait_until(driver, lambda: _players(driver) == before + 1, what="one more audio player")
        text = page_text(driver)
        assert "tone_0.wav: label" not in text and "noise_0.wav: label" not in text  # that clip alone
        assert not error_texts(driver)
        assert "confusion_" not in driver.current_url  # a selection is not a setting: the share link ignores it
        screenshot(driver, "select_confusion_cell")
