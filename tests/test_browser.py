"""Real-browser end-to-end tests: `streamlit run app.py` driven by headless Chromium, as a user would use it.

Screenshots go to test-artifacts/ (gitignored); on a failure the screenshot, page text and server log are there.
"""
from __future__ import annotations

from collections.abc import Iterator

import pytest

from browser_support import (Server, alert_texts, choose_radio, choose_select, chromium, error_texts, open_app,
                             open_page, page_text, screenshot, streamlit_server, upload_files, wait_for_plotly,
                             wait_for_text, wait_until)
from conftest import sine, wav_bytes
from selenium.webdriver.common.by import By

from audiodiag import spaces

NO_CLIPS_YET = "No clips to inspect yet"


@pytest.fixture(scope="module")
def server() -> Iterator[Server]:
    with streamlit_server(name="test_browser-server") as running:
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


def _click_button(driver, label: str) -> None:
    button = next(b for b in driver.find_elements(By.CSS_SELECTOR, "button") if b.text.strip() == label)
    button.click()


def test_compare_run_on_a_bundled_set_shows_two_confusion_matrices(server):
    with chromium("compare_sounds") as driver:
        open_app(driver, server.url)
        choose_select(driver, "sample_set", "sounds")
        open_page(driver, server.url, "Compare")
        wait_for_text(driver, "Run comparison")
        _click_button(driver, "Run comparison")
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
        open_page(driver, server.url, "Transcribe")
        wait_for_text(driver, "reference transcript")
        _click_button(driver, "Transcribe")
        wait_for_text(driver, "Corpus WER", timeout_s=180)
        wait_for_text(driver, "Every utterance")
        tables = wait_until(driver, lambda: len(driver.find_elements(By.CSS_SELECTOR, '[data-testid="stDataFrame"]'))
                            >= 2 or None, what="the normalisation and per-utterance tables")
        assert tables
        assert "Mean per-utterance WER" in page_text(driver)
        assert driver.find_elements(By.CSS_SELECTOR, "div.alignment")  # the colour alignments are drawn
        assert not error_texts(driver)
        screenshot(driver, "transcribe_utterances")
