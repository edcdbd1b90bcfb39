"""Real-browser end-to-end tests: `streamlit run app.py` driven by headless Chromium, as a user would use it.

Screenshots go to test-artifacts/ (gitignored); on a failure the screenshot, page text and server log are there.
Skipped with the reason where Debian's Chromium is missing, except in CI (AUDIODIAG_REQUIRE_BROWSER=1).
"""
from __future__ import annotations

import csv
import io
from collections.abc import Iterator

import pytest

from browser_support import (Server, alert_texts, choose_radio, choose_select, chromium, click_button, dialogs_opened,
                             error_texts, open_app, open_page, page_text, require_chromium, screenshot,
                             streamlit_server, upload_files, wait_for_plotly, wait_for_text, wait_for_url_param,
                             wait_until)
from conftest import sine, wav_bytes
from selenium.webdriver.common.by import By

from audiodiag import spaces

pytestmark = pytest.mark.slow  # the fast lane (pytest -m "not slow") keeps one AppTest per page: tests/test_pages.py

NO_CLIPS_YET = "No clips to inspect yet"
# A file name that is an HTML injection if rendered as HTML (no "/": it must be a real file name on disk), and
# labels that are a script tag and markdown; all must show up as typed.
HOSTILE_NAME = "<img src=x onerror=alert(1)> **bold** [link](javascript:alert(2)).wav"
HOSTILE_LABELS = ("<script>alert(3)</script>", "# heading _em_")


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[Server]:
    require_chromium()
    with streamlit_server(name="test_browser-server", cache_dir=tmp_path_factory.mktemp("audiodiag-cache")) as running:
        yield running


def test_upload_8khz_wav_shows_waveform_spectrogram_and_rate_warning(server, tmp_path):
    wav = tmp_path / "tone_8k.wav"
    wav.write_bytes(wav_bytes(sine(440, duration_s=1.0, sample_rate_hz=8000), sample_rate_hz=8000))
    with chromium("inspect_upload_8khz") as driver:
        open_app(driver, server.url)
        choose_radio(driver, "source", "My files")
        wait_for_text(driver, NO_CLIPS_YET)  # the bundled set's charts are gone: every chart below is the upload's
        upload_files(driver, [wav])
        wait_for_text(driver, "tone_8k.wav")
        titles = wait_for_plotly(driver, 4, titles=("Waveform", "Log-mel spectrogram"))

        rate_warnings = [w for w in alert_texts(driver, "warning") if "tone_8k.wav" in w]
        assert rate_warnings, alert_texts(driver, "warning")
        assert "8000 Hz" in rate_warnings[0] and "16000 Hz" in rate_warnings[0]  # wav2vec2-base is the default
        assert "tone\\_8k" not in rate_warnings[0]  # escaped for markdown, shown literally
        assert any(t.startswith("Waveform at 16000 Hz") for t in titles), titles  # the clip as the model sees it
        text = page_text(driver)
        assert "8000 Hz" in text and NO_CLIPS_YET not in text
        assert not error_texts(driver)
        screenshot(driver, "inspect_upload_8khz")


def test_compare_run_on_a_bundled_set_shows_two_confusion_matrices(server):
    with chromium("compare_sounds") as driver:
        open_app(driver, server.url)
        choose_select(driver, "sample_set", "sounds")
        wait_for_url_param(driver, "sample_set", "sounds")
        open_page(driver, server.url, "Compare")
        click_button(driver, "Run comparison")
        titles = wait_for_plotly(driver, 2, titles=(spaces.BASELINE, "whisper-tiny.en encoder (unpadded)"),
                                 timeout_s=180)
        assert not error_texts(driver)
        assert "Does a frozen encoder beat the baseline?" in page_text(driver)
        screenshot(driver, "compare_sounds")
        assert "compare_run=1" in driver.current_url and "sample_set=sounds" in driver.current_url
        shared = driver.current_url  # what a user copies and sends to a teammate
    with chromium("compare_deep_link") as teammate:  # a new browser: a new session with nothing in it
        teammate.get(shared)
        wait_for_plotly(teammate, 2, titles=(spaces.BASELINE, "whisper-tiny.en encoder (unpadded)"), timeout_s=180)
        text = page_text(teammate)
        assert "sounds" in text and "Does a frozen encoder beat the baseline?" in text
        assert not error_texts(teammate)
        screenshot(teammate, "compare_deep_link")


def test_transcribe_page_shows_the_wer_table(server):
    with chromium("transcribe_utterances") as driver:
        open_app(driver, server.url)
        choose_select(driver, "sample_set", "utterances")
        wait_for_url_param(driver, "sample_set", "utterances")
        open_page(driver, server.url, "Transcribe")
        wait_for_text(driver, "clips have a reference transcript")  # the page's caption, not the sidebar's
        click_button(driver, "Transcribe")
        wait_for_text(driver, "Corpus WER", timeout_s=180)
        wait_for_text(driver, "Every utterance")
        wait_until(driver, lambda: len(driver.find_elements(By.CSS_SELECTOR, '[data-testid="stDataFrame"]')) >= 2,
                   what="the normalisation and per-utterance tables")
        wait_until(driver, lambda: driver.find_elements(By.CSS_SELECTOR, "div.alignment"),
                   what="the colour alignments of the worst utterances")
        assert "Mean per-utterance WER" in page_text(driver)
        assert not error_texts(driver)
        screenshot(driver, "transcribe_utterances")


def _labels_csv(rows: list[tuple[str, str]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["path", "label"])
    writer.writerows(rows)
    return out.getvalue().encode()


def test_hostile_file_names_and_labels_show_as_text_and_run_no_script(server, tmp_path):
    hostile = tmp_path / HOSTILE_NAME
    hostile.write_bytes(wav_bytes(sine(330, duration_s=1.0, sample_rate_hz=8000), sample_rate_hz=8000))
    plain = tmp_path / "plain.wav"
    plain.write_bytes(wav_bytes(sine(550, duration_s=1.0, sample_rate_hz=8000), sample_rate_hz=8000))
    labels = tmp_path / "labels.csv"
    labels.write_bytes(_labels_csv([(HOSTILE_NAME, HOSTILE_LABELS[0]), ("plain.wav", HOSTILE_LABELS[1])]))
    with chromium("inspect_hostile_names") as driver:
        open_app(driver, server.url)
        choose_radio(driver, "source", "My files")
        wait_for_text(driver, NO_CLIPS_YET)
        upload_files(driver, [hostile, plain, labels])
        wait_for_plotly(driver, 4, titles=("Waveform", "Log-mel spectrogram"))
        # the rate warning lists both files: the hostile name is shown literally, as typed
        wait_until(driver, lambda: any(HOSTILE_NAME in w for w in alert_texts(driver, "warning")),
                   what="a warning showing the hostile file name literally")
        assert not dialogs_opened(driver)
        assert not driver.find_elements(By.CSS_SELECTOR, '[data-testid="stMain"] img[src="x"]')
        assert not driver.find_elements(By.XPATH, '//a[starts-with(@href, "javascript:")]')
        assert not driver.find_elements(By.XPATH, '//script[contains(text(), "alert(3)")]')
        headings = [h.text for h in driver.find_elements(By.CSS_SELECTOR, '[data-testid="stMain"] h1')]
        assert not any("heading" in h for h in headings), headings  # a label never becomes a heading
        assert not error_texts(driver)
        screenshot(driver, "inspect_hostile_names")
