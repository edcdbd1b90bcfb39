"""Five people use one server at once: every session finishes, memory stays bounded, uploads stay private,
and the models are loaded once for all of them.

Five headless Chromium browsers (one thread each, separate profiles, so separate Streamlit sessions) each upload
a different WAV to the Inspect page of one `streamlit run app.py` server, wait for the full analysis, re-run it
for another target once all five have uploaded, then transcribe their own clip on the Transcribe page with the
bundled Whisper (an `st.cache_resource` model). Streamlit's /_stcore/metrics counters then show how often each
cached model was built. One more session alone on the same server is the yardstick for the five sessions' time.
"""
from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import dataclass, replace
from pathlib import Path

import pytest

from tests.browser_support import (
    LOG_TAIL_CHARS,
    Server,
    alert_texts,
    cache_counts,
    choose_radio,
    choose_select,
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
    wait_for_plotly,
    wait_for_text,
    wait_until,
)
from tests.helpers import sine, wav_bytes

pytestmark = pytest.mark.slow  # the fast lane (pytest -m "not slow") keeps one AppTest per page: tests/test_pages.py

SESSIONS = 5
SAMPLE_RATES_HZ = (8000, 11025, 22050, 32000, 44100)  # none is the target's rate, so each gets a rate warning
CLIP_DURATION_S = 2.0
# Bounded time, relative to this machine: the five sessions together against one more session alone on the same
# warm server, measured in the same test (an absolute bound had to be raised when the machine, not the app, slowed:
# the same code took 42 s one day and 115-137 s another). Served strictly one after another, five sessions would
# take about five times one alone; measured on 2 cores: 65 s for the five, 11.3 s alone (5.8x, the five browsers
# contend for the cores with the server). The limit, 10x, catches a hang or a session stuck behind the others.
TIME_LIMIT_VS_ALONE = 2.0 * SESSIONS
HANG_TIMEOUT_S = 600.0  # only ends a run that hangs; the relative limit above is the test
# Bounded memory: the idle server is ~80 MB; Streamlit + torch + onnxruntime + silero-vad + Whisper tiny.en + the
# cached bundled set and five small uploads peak near 0.9 GB (measured). 1.5 GB catches a per-session model copy
# or unbounded caching of uploads, and stays well inside a small shared VM.
PEAK_RSS_LIMIT_BYTES = 1_500 * 1024 ** 2
SECOND_TARGET, SECOND_TARGET_RATE_HZ = "CLAP", 48000
NO_CLIPS_YET = "No clips to inspect yet"
NO_REFERENCES = "no metric is possible"  # the Transcribe page on clips without reference transcripts
ONE_CLIP_NO_REFERENCE = "0 of 1 clips have a reference transcript"
ASR_MODEL_CACHE = "pages._cache.transcriber"  # the st.cache_resource function that loads an ASR model


@dataclass(frozen=True)
class SessionResult:
    name: str
    sample_rate_hz: int
    seconds: float
    text: str              # everything the session showed after all five had uploaded and it had re-run
    warnings: list[str]
    errors: list[str]


def _make_wavs(folder: Path, rates_hz: tuple[int, ...] = SAMPLE_RATES_HZ, *, prefix: str = "session"
               ) -> list[tuple[Path, int]]:
    folder.mkdir(parents=True, exist_ok=True)
    wavs = []
    for index, rate in enumerate(rates_hz):
        path = folder / f"{prefix}{index}_{rate}hz.wav"
        path.write_bytes(wav_bytes(sine(220.0 * (index + 1), duration_s=CLIP_DURATION_S, sample_rate_hz=rate),
                                   sample_rate_hz=rate))
        wavs.append((path, rate))
    return wavs


def _one_session(server: Server, index: int, wav: Path, rate: int, everyone_uploaded: threading.Barrier,
                 start: float) -> SessionResult:
    try:
        with chromium(f"concurrency_session{index}") as driver:
            open_app(driver, server.url)
            choose_radio(driver, "source", "My files")
            wait_for_text(driver, NO_CLIPS_YET)
            upload_files(driver, [wav])
            wait_for_text(driver, wav.name)
            wait_for_plotly(driver, 4, titles=("Waveform", "Log-mel spectrogram"))
            # Re-run every session after all uploads exist: a file leaking between sessions would show up now.
            everyone_uploaded.wait(timeout=HANG_TIMEOUT_S)
            choose_select(driver, "target", SECOND_TARGET)
            wait_for_text(driver, f"As {SECOND_TARGET} will see it")
            wait_for_plotly(driver, 4, titles=(f"Waveform at {SECOND_TARGET_RATE_HZ} Hz, 10 s",))
            # the dataset's warnings arrive after the clip's plots (the page draws the clip first): wait for the
            # resampling warning for this target before reading them (read too early under load, it was missing)
            wait_until(driver, lambda: any("resampled" in w and f"{SECOND_TARGET_RATE_HZ} Hz" in w
                                           for w in alert_texts(driver, "warning")),
                       what=f"the resampling warning for {SECOND_TARGET}", timeout_s=HANG_TIMEOUT_S)
            result = SessionResult(wav.name, rate, time.monotonic() - start, page_text(driver),
                                   alert_texts(driver, "warning"), error_texts(driver))
            screenshot(driver, f"concurrency_session{index}")
            # the same session's clip through an st.cache_resource model: five sessions, one model load
            open_page(driver, server.url, "Transcribe")
            click_button(driver, "Transcribe")
            wait_for_text(driver, NO_REFERENCES, timeout_s=HANG_TIMEOUT_S)
            transcribed = page_text(driver)
            assert ONE_CLIP_NO_REFERENCE in transcribed, transcribed[-LOG_TAIL_CHARS:]  # only its own upload
            return replace(result, seconds=time.monotonic() - start, text=result.text + "\n" + transcribed,
                           errors=result.errors + error_texts(driver))
    except BaseException:
        everyone_uploaded.abort()  # the others fail fast instead of waiting for this one
        raise


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    require_chromium()
    with streamlit_server(name="test_concurrency-server",
                          cache_dir=tmp_path_factory.mktemp("audiodiag-cache")) as running:
        yield running


def test_five_concurrent_sessions_complete_in_bounded_time_and_memory_and_stay_isolated(server, tmp_path):
    wavs = _make_wavs(tmp_path)
    barrier = threading.Barrier(SESSIONS)
    start = time.monotonic()
    with ThreadPoolExecutor(max_workers=SESSIONS) as pool:
        futures = [pool.submit(_one_session, server, i, wav, rate, barrier, start)
                   for i, (wav, rate) in enumerate(wavs)]
        done, _ = wait(futures, timeout=HANG_TIMEOUT_S)
    failures = [f.exception() for f in done if f.exception() is not None]
    causes = [e for e in failures if not isinstance(e, threading.BrokenBarrierError)]  # the others waited for it
    if failures:
        raise (causes or failures)[0]
    results = [f.result() for f in futures]
    elapsed_s = time.monotonic() - start

    names = [wav.name for wav, _ in wavs]
    for result in results:
        assert not result.errors, (result.name, result.errors)
        assert result.name in result.text
        others = [n for n in names if n != result.name and n in result.text]
        assert not others, f"session of {result.name} shows other sessions' uploads: {others}"
        rate_warning = [w for w in result.warnings if "resampled" in w and result.name in w]
        assert rate_warning, (result.name, result.warnings)
        assert f"{result.sample_rate_hz} Hz" in rate_warning[0] and f"{SECOND_TARGET_RATE_HZ} Hz" in rate_warning[0]
    (alone_wav, alone_rate), = _make_wavs(tmp_path / "alone", SAMPLE_RATES_HZ[:1], prefix="alone")
    alone_start = time.monotonic()
    alone = _one_session(server, SESSIONS, alone_wav, alone_rate, threading.Barrier(1), alone_start)
    assert not alone.errors, alone.errors
    alone_s = time.monotonic() - alone_start
    assert elapsed_s < TIME_LIMIT_VS_ALONE * alone_s, (elapsed_s, alone_s, [round(r.seconds, 1) for r in results])

    asr_model = cache_counts(server, ASR_MODEL_CACHE)
    assert asr_model.lookups >= SESSIONS, asr_model  # every session asked for the model ...
    assert asr_model.computations == 1, asr_model    # ... and it was loaded once, for all of them

    peak = server.peak_rss_bytes()
    if peak is None:
        pytest.skip("peak RSS needs /proc/<pid>/status (Linux); the sessions themselves passed")
    assert peak < PEAK_RSS_LIMIT_BYTES, f"server peak RSS {peak / 1024 ** 2:.0f} MB"
    print(f"\n{SESSIONS} sessions in {elapsed_s:.1f} s (each: {[round(r.seconds, 1) for r in results]}), one alone "
          f"{alone_s:.1f} s; "
          f"server peak RSS {peak / 1024 ** 2:.0f} MB; ASR model {asr_model}")
