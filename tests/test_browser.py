"""Real-browser end-to-end tests: `streamlit run app.py` driven by headless Chromium, as a user would use it.

Screenshots go to test-artifacts/ (gitignored); on a failure the screenshot, page text and server log are there.
Skipped with the reason where Debian's Chromium is missing, except in CI (AUDIODIAG_REQUIRE_BROWSER=1).
"""
from __future__ import annotations

import csv
import io
import re
import time
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from selenium.common.exceptions import WebDriverException
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from audiodiag.data import sample_sets
from audiodiag.represent import spaces
from tests.browser_support import (
    ARTIFACTS,
    Server,
    add_to_multiselect,
    alert_texts,
    choose_radio,
    choose_select,
    chromium,
    click_button,
    copy_share_link,
    dialogs_opened,
    error_texts,
    multiselect_chips,
    open_app,
    open_page,
    page_text,
    plotly_layout,
    plotly_titles,
    progress_seen,
    record_progress,
    require_chromium,
    screenshot,
    streamlit_server,
    upload_files,
    visible_words_text,
    wait_for_idle,
    wait_for_plotly,
    wait_for_text,
    wait_for_url_param,
    wait_until,
)
from tests.helpers import sine, wav_bytes

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
        wait_for_plotly(driver, 2, titles=(spaces.BASELINE, "whisper-tiny.en encoder (unpadded)"), timeout_s=180)
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


def test_compare_keeps_three_encoders_and_their_results_across_two_other_pages(server):
    """Issue 29: choose three encoders, run, visit two other pages, return: the choice and the results agree, and
    pressing Run again runs all three (it used to fall back to the default and silently drop two)."""
    from audiodiag.represent import encoders

    three = [encoders.WHISPER_UNPADDED, encoders.AISFX, encoders.SPEECH_EMBEDDING]
    with chromium("compare_keeps_encoders") as driver:
        open_app(driver, server.url)
        choose_select(driver, "sample_set", "sounds")
        wait_for_url_param(driver, "sample_set", "sounds")
        open_page(driver, server.url, "Compare")
        defaults = wait_until(driver, lambda: multiselect_chips(driver, "compare_encoders"), what="the encoder picker")
        assert sorted(defaults) == sorted(three[:2])  # sounds are not speech: the target model and a sound encoder
        for name in three:
            if name not in multiselect_chips(driver, "compare_encoders"):
                add_to_multiselect(driver, "compare_encoders", name)
        assert sorted(multiselect_chips(driver, "compare_encoders")) == sorted(three)
        click_button(driver, "Run comparison")
        wait_for_plotly(driver, 4, titles=(spaces.BASELINE, *three), timeout_s=LONG_STEP_TIMEOUT_S)
        for page in ("Inspect", "Transcribe"):
            open_page(driver, server.url, page)
            wait_for_idle(driver)
        open_page(driver, server.url, "Compare")
        wait_for_plotly(driver, 4, titles=(spaces.BASELINE, *three))
        assert sorted(multiselect_chips(driver, "compare_encoders")) == sorted(three)
        click_button(driver, "Run comparison")  # cached: the same three, nothing dropped
        wait_for_idle(driver)
        assert sorted(multiselect_chips(driver, "compare_encoders")) == sorted(three)
        assert set(three) <= set(wait_for_plotly(driver, 4, titles=(spaces.BASELINE, *three)))
        assert not error_texts(driver)
        screenshot(driver, "compare_keeps_encoders")


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


# --- the first hour, page by page: Inspect → Compare → Embeddings → Transcribe → Decide (issue #15) -------------

WALK_PAGES = ("Inspect", "Compare", "Embeddings", "Transcribe", "Decide")
WALK_FOLDS = 3  # the smallest fold count that still leaves every class in every test fold of the walk's sets
# a raw missing value shown as a word; the English "None detected" / "None of ..." in a sentence is prose
RAW_MISSING = re.compile(r"\b(None|nan|NaN)\b(?! detected| of )")
LONG_STEP_TIMEOUT_S = 240
PROGRESS_AFTER_S = 6.0  # a long step that took longer (navigation included) must have drawn progress
PRESS_TRANSCRIBE, PRESS_COMPARE = "Press Transcribe", "press Run comparison"


def _digits_zip(path: Path) -> Path:
    """Two classes × 6 clips (3 speakers × 2 takes) of the bundled spoken digits, one sub-folder per class, with
    the speaker column of groups.csv, as a user would zip a folder."""
    root = sample_sets.sample_set_dir("spoken_digits")
    rows = list(csv.DictReader((root / "groups.csv").open()))
    chosen = [r for r in rows if r["label"] in ("0", "1") and r["speaker"] in ("ava", "bram", "cleo")]
    with zipfile.ZipFile(path, "w") as archive:
        for row in chosen:
            archive.write(root / row["path"], f"digits/{row['path']}")
        table = io.StringIO()
        writer = csv.writer(table)
        writer.writerow(["path", "label", "speaker"])
        writer.writerows([(r["path"], r["label"], r["speaker"]) for r in chosen])
        archive.writestr("digits/groups.csv", table.getvalue())
    return path


def _query(url: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(url).query, keep_blank_values=True)


class _Walk:
    """One user's walk through the pages: every check that fails is recorded with the page and the walk goes on,
    so one run reports every broken expectation (the test fails at the end, listing them all)."""

    def __init__(self, name: str, server: Server, driver):
        self.name, self.server, self.driver = name, server, driver
        self.problems: list[str] = []
        self.links: dict[str, str] = {}
        self.log = ARTIFACTS / f"walk_{name}-problems.txt"  # written as they are found: a killed run still tells
        self.log.write_text("")

    def check(self, ok, page: str, what: str) -> None:
        if not ok:
            self.problems.append(f"[{self.name}/{page}] {what}")
            with self.log.open("a") as log:
                log.write(self.problems[-1] + "\n")

    def step(self, page: str, action: Callable[[], None], *, long_step: bool, driver=None, prefix: str = "") -> None:
        """Run one page's action, then the checks every page must pass; a timeout is recorded, not raised."""
        driver = driver or self.driver
        shot = f"walk_{self.name}_{prefix}{WALK_PAGES.index(page) + 1}_{page.lower()}"
        started = time.monotonic()
        try:
            progress_seen(driver)
            action()
        except (AssertionError, WebDriverException) as e:  # recorded: the walk goes on to the next page
            self.check(False, page, f"{prefix}{type(e).__name__}: {str(e)[:1500]}")
        seen, took_s = progress_seen(driver), time.monotonic() - started
        # a step that is over within PROGRESS_AFTER_S needs no progress (a status box opened and closed within
        # one frame is never drawn, e.g. UMAP of 12 uploaded clips whose vectors Compare already cached)
        if long_step and took_s > PROGRESS_AFTER_S:
            self.check(seen, page, f"{prefix}no progress bar, spinner or running status box during the long step "
                                   f"({took_s:.1f} s)")
        self.check(not error_texts(driver), page, f"{prefix}traceback on the page: {error_texts(driver)}")
        words = visible_words_text(driver)
        raw = sorted({words[max(0, m.start() - 40):m.end() + 20].replace("\n", " | ")
                      for m in RAW_MISSING.finditer(words)})
        self.check(not raw, page, f"{prefix}raw None/nan text on the page: {raw}")
        screenshot(driver, shot)

    def copy_link(self, page: str) -> None:
        """The copy-link control: its URL is the address bar's (same page, same parameters) and is kept for the
        new-session check."""
        try:
            link = copy_share_link(self.driver, self.server.url)
        except AssertionError as e:
            self.check(False, page, f"copy-link control: {str(e)[:600]}")
            return
        current = self.driver.current_url
        self.check(urlsplit(link).path.rstrip("/") == urlsplit(current).path.rstrip("/") and
                   _query(link) == _query(current), page,
                   f"copied link {link} is not the view's URL {current}")
        self.links[page] = link

    def fail_if_any(self) -> None:
        assert not self.problems, f"{len(self.problems)} problem(s) in walk {self.name!r}:\n" + "\n".join(self.problems)


def _run_to_results(driver, *, button: str, done: Callable[[], object], what: str) -> None:
    click_button(driver, button)
    wait_until(driver, done, what=what, timeout_s=LONG_STEP_TIMEOUT_S)


def _set_slider(driver, key: str, value: int) -> None:
    thumb = wait_until(driver, lambda: next(iter(driver.find_elements(
        By.CSS_SELECTOR, f'.st-key-{key} [role="slider"], .st-key-{key} input[type="range"]')), None),
        what=f"slider {key!r}")
    for _ in range(20):
        now = int(float(thumb.get_attribute("aria-valuenow") or thumb.get_attribute("value")))
        if now == value:
            return
        thumb.send_keys(Keys.ARROW_LEFT if now > value else Keys.ARROW_RIGHT)
    raise AssertionError(f"slider {key!r} did not reach {value}")


def _learning_curve_checks(walk: _Walk) -> None:
    layout = wait_until(walk.driver, lambda: plotly_layout(walk.driver, "Learning curve"),
                        what="the learning-curve chart", timeout_s=30)
    title = layout["x_title"]
    walk.check("clips per class" in title, "Decide", f"learning-curve x axis title is {title!r}, not 'clips per class'")
    ticks = [t.replace("\u2212", "-") for t in layout["x_ticks"]]
    try:
        values = [float(t) for t in ticks]
    except ValueError:
        values = []
    walk.check(values and len(values) == len(set(values)) and values == sorted(values), "Decide",
               f"learning-curve x tick labels are not plain increasing numbers: {ticks}")


def _walk_pages(walk: _Walk, *, upload: Path | None) -> None:
    driver, server = walk.driver, walk.server
    open_app(driver, server.url)
    record_progress(driver)

    def inspect():
        if upload is None:
            choose_select(driver, "sample_set", "sounds")
            wait_for_url_param(driver, "sample_set", "sounds")
        else:
            choose_radio(driver, "source", "My files")
            wait_for_text(driver, NO_CLIPS_YET)
            progress_seen(driver)
            upload_files(driver, [upload])
            wait_for_text(driver, "ava_0.wav")
        wait_for_plotly(driver, 2, titles=("Waveform", "Log-mel spectrogram"), timeout_s=LONG_STEP_TIMEOUT_S)

    # not a long step either way: the bundled set was measured by an earlier test, and 12 short uploaded clips
    # decode and measure in well under a second (a progress bar created and removed in one frame never shows)
    walk.step("Inspect", inspect, long_step=False)
    if upload is not None:
        walk.check(any("private to this browser session" in c.text for c in driver.find_elements(
            By.CSS_SELECTOR, '[data-testid="stSidebar"] [data-testid="stCaptionContainer"]')), "Inspect",
            "no note that uploads are private to this browser session next to the copy-link control")
    walk.copy_link("Inspect")

    def compare():
        open_page(driver, server.url, "Compare")
        _set_slider(driver, "compare_folds", WALK_FOLDS)  # other folds than the other tests': a real run, not a cache hit
        _run_to_results(driver, button="Run comparison", what="the confusion matrices", done=lambda: (
            len(plotly_titles(driver)) >= 2 and spaces.BASELINE in plotly_titles(driver)
            and "Does a frozen encoder beat the baseline?" in page_text(driver)))
        wait_for_url_param(driver, "compare_run", "1")

    walk.step("Compare", compare, long_step=True)
    walk.copy_link("Compare")

    def embeddings():
        open_page(driver, server.url, "Embeddings")
        wait_until(driver, lambda: "UMAP maps" in page_text(driver) and len(plotly_titles(driver)) >= 2,
                   what="the UMAP maps", timeout_s=LONG_STEP_TIMEOUT_S)

    walk.step("Embeddings", embeddings, long_step=True)
    walk.copy_link("Embeddings")

    def transcribe():
        open_page(driver, server.url, "Transcribe")
        if upload is None:
            choose_select(driver, "sample_set", "utterances")
            wait_for_url_param(driver, "sample_set", "utterances")
            wait_for_idle(driver)
            # beam 2: not the other test's cached transcripts, so the step really runs. The page may still be
            # re-rendering after the set changed: a stale + button is found again (wait_until), then the value checked
            beam = ".st-key-transcribe_beam"
            wait_until(driver, lambda: driver.find_element(
                By.CSS_SELECTOR, f'{beam} [data-testid="stNumberInputStepUp"]').click() or True,
                what="the beam size's + button")
            wait_until(driver, lambda: driver.find_element(By.CSS_SELECTOR, f"{beam} input").get_attribute("value")
                       == "2", what="beam size 2")
        else:
            wait_for_text(driver, "clips have a reference transcript")
            wait_for_idle(driver)  # a click mid-run can blank the other widgets (browser_support.wait_for_idle)
            driver.find_element(By.CSS_SELECTOR, ".st-key-transcribe_labels label").click()  # the digits are spoken
            wait_for_text(driver, "12 of 12 clips have a reference transcript")
        _run_to_results(driver, button="Transcribe", what="the corpus WER", done=lambda: "Corpus WER" in page_text(driver))
        wait_until(driver, lambda: "Every utterance" in page_text(driver), what="the per-utterance table")
        wait_for_url_param(driver, "transcribe_norm", "basic")
        choose_radio(driver, "transcribe_norm", "english")  # applied at once, no second press of Transcribe
        wait_for_url_param(driver, "transcribe_norm", "english", timeout_s=30)
        wait_until(driver, lambda: "Corpus WER" in page_text(driver) and PRESS_TRANSCRIBE not in page_text(driver),
                   what="the results rescored under english normalisation", timeout_s=60)

    walk.step("Transcribe", transcribe, long_step=True)
    walk.copy_link("Transcribe")

    def decide():
        open_page(driver, server.url, "Decide")
        if upload is None:
            choose_select(driver, "sample_set", "sounds")
            wait_for_url_param(driver, "sample_set", "sounds")
        wait_until(driver, lambda: "Decision note" in page_text(driver), what="the decision note",
                   timeout_s=LONG_STEP_TIMEOUT_S)
        _learning_curve_checks(walk)

    walk.step("Decide", decide, long_step=True)
    walk.copy_link("Decide")


def _reopen_links(walk: _Walk, *, upload: bool) -> None:
    """Every copied link in a NEW browser (new profile, new session each page load): the same view comes back,
    results included; for an upload walk, a plain "no clips" message (the uploads stay in their session)."""
    with chromium(f"walk_{walk.name}_teammate") as teammate:
        for page, link in walk.links.items():
            def reopen(page=page, link=link):
                teammate.get(link)
                record_progress(teammate)
                params = _query(link)
                if upload:
                    wait_until(teammate, lambda: "No clips" in page_text(teammate),
                               what="the page's 'no clips' message (the uploads are not in this session)")
                elif page == "Inspect":
                    wait_for_plotly(teammate, 2, titles=("Waveform", "Log-mel spectrogram"))
                    shown = wait_until(teammate, lambda: next(iter(teammate.find_elements(
                        By.CSS_SELECTOR, '.st-key-inspect_clip [role="combobox"]')), None), what="the clip picker")
                    assert [shown.get_attribute("value")] == params["inspect_clip"], (shown.get_attribute("value"), params)
                elif page == "Compare":
                    wait_until(teammate, lambda: "Does a frozen encoder beat the baseline?" in page_text(teammate)
                               or PRESS_COMPARE in page_text(teammate), what="the comparison", timeout_s=LONG_STEP_TIMEOUT_S)
                    assert PRESS_COMPARE not in page_text(teammate), "the link asks to press Run comparison again"
                elif page == "Embeddings":
                    wait_until(teammate, lambda: "UMAP maps" in page_text(teammate), what="the UMAP maps",
                               timeout_s=LONG_STEP_TIMEOUT_S)
                elif page == "Transcribe":
                    wait_until(teammate, lambda: "Corpus WER" in page_text(teammate)
                               or PRESS_TRANSCRIBE in page_text(teammate), what="the transcription results",
                               timeout_s=LONG_STEP_TIMEOUT_S)
                    assert PRESS_TRANSCRIBE not in page_text(teammate), "the link asks to press Transcribe again"
                    assert _query(teammate.current_url).get("transcribe_norm") == ["english"], teammate.current_url
                elif page == "Decide":
                    wait_until(teammate, lambda: "Decision note" in page_text(teammate), what="the decision note",
                               timeout_s=LONG_STEP_TIMEOUT_S)
                wait_until(teammate, lambda: _nav_current(teammate) == page, what=f"{page} as the current page")

            walk.step(page, reopen, long_step=False, driver=teammate, prefix="link_")


def _nav_current(driver) -> str | None:
    return next((a.find_element(By.CSS_SELECTOR, "span[label]").get_attribute("label")
                 for a in driver.find_elements(By.CSS_SELECTOR, '[data-testid="stSidebarNavLink"]')
                 if a.get_attribute("aria-current") == "page"), None)


def test_walk_every_page_on_a_bundled_set(server):
    with chromium("walk_bundled") as driver:
        walk = _Walk("bundled", server, driver)
        _walk_pages(walk, upload=None)
    assert set(walk.links) == set(WALK_PAGES), walk.problems
    _reopen_links(walk, upload=False)
    walk.fail_if_any()


def test_walk_every_page_on_an_uploaded_zip(server, tmp_path):
    archive = _digits_zip(tmp_path / "two_digits.zip")
    with chromium("walk_upload") as driver:
        walk = _Walk("upload", server, driver)
        _walk_pages(walk, upload=archive)
    _reopen_links(walk, upload=True)
    walk.fail_if_any()
