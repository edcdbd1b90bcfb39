"""Real-browser test support: start the app server, drive Debian's headless Chromium, wait for Streamlit output.

Used by tests/test_browser.py and tests/test_concurrency.py. Everything here is reusable for other pages:

    with streamlit_server() as server, chromium("compare_bundled") as driver:
        open_page(driver, server.url, "Compare")
        wait_for_plotly(driver, 2)
        screenshot(driver, "compare_bundled")

Chromium and chromedriver come from the distribution (`apt-get install chromium chromium-driver`, done by
.ci/run); nothing is downloaded (selenium-manager never runs: the driver and browser paths are given). Where
they are missing the browser tests skip with the reason, except when AUDIODIAG_REQUIRE_BROWSER=1 (set by
.ci/run): then a missing browser fails the run, so CI cannot pass without the browser tests.
"""
from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar
from urllib.parse import parse_qs, urlsplit

import pytest
from selenium import webdriver
from selenium.common.exceptions import NoAlertPresentException, StaleElementReferenceException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

ROOT = Path(__file__).resolve().parent.parent
APP = ROOT / "app.py"
ARTIFACTS = ROOT / "test-artifacts"  # screenshots and server logs; gitignored
CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
REQUIRE_BROWSER_ENV = "AUDIODIAG_REQUIRE_BROWSER"  # "1" in CI: a missing browser fails instead of skipping
CHROMIUM_FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-dev-shm-usage",
                  # five browsers share two cores in the concurrency test: keep background pages running
                  "--disable-background-timer-throttling", "--disable-renderer-backgrounding",
                  "--disable-backgrounding-occluded-windows")
WINDOW_SIZE = (1400, 1000)
SERVER_START_TIMEOUT_S = 60.0
SERVER_STOP_TIMEOUT_S = 10.0
WAIT_TIMEOUT_S = 90.0      # one page run on a cold server: imports, VAD model, first analysis
POLL_INTERVAL_S = 0.25
LOG_TAIL_CHARS = 3000
MAX_SCREENSHOT_HEIGHT_PX = 8000

T = TypeVar("T")


# --- the server ---------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Server:
    url: str                 # e.g. http://127.0.0.1:40123
    process: subprocess.Popen
    log_path: Path

    def log_tail(self) -> str:
        return self.log_path.read_text(errors="replace")[-LOG_TAIL_CHARS:] if self.log_path.exists() else ""

    def peak_rss_bytes(self) -> int | None:
        """High-water mark of the server's resident memory (Linux VmHWM), or None where /proc is missing."""
        return peak_rss_bytes(self.process.pid)


def peak_rss_bytes(pid: int) -> int | None:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return None
    for line in status.splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024  # reported in kB
    return None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def streamlit_server(*, app: Path = APP, name: str = "server", cache_dir: Path | None = None,
                     port: int | None = None) -> Iterator[Server]:
    """`streamlit run app.py` on a free port; waits for /_stcore/health and always stops the server on exit.

    The file watcher is off so that edits to the tree during a test run never reload the app mid-test. The
    server's output goes to test-artifacts/<name>.log (kept after the run). cache_dir: AUDIODIAG_CACHE_DIR for
    the server (embeddings, transcripts), so a test starts cold and never reads the developer's cache. The hub
    is switched off (HF_HUB_OFFLINE): only bundled models can load. port: a fixed port (a restarted server at the
    same address, as a user's browser sees it), else a free one.
    """
    ARTIFACTS.mkdir(exist_ok=True)
    port = port or free_port()
    log_path = ARTIFACTS / f"{name}.log"
    command = [sys.executable, "-m", "streamlit", "run", str(app), "--server.headless", "true",
               "--server.port", str(port), "--server.address", "127.0.0.1",
               "--server.fileWatcherType", "none", "--browser.gatherUsageStats", "false"]
    with open(log_path, "w") as log:
        env = {**os.environ, "HF_HUB_OFFLINE": "1", **({"AUDIODIAG_CACHE_DIR": str(cache_dir)} if cache_dir else {})}
        process = subprocess.Popen(command, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, env=env,
                                   stdin=subprocess.DEVNULL, start_new_session=True)
    server = Server(f"http://127.0.0.1:{port}", process, log_path)
    try:
        _wait_for_health(server)
        yield server
    finally:
        _stop(process)


def _wait_for_health(server: Server) -> None:
    deadline = time.monotonic() + SERVER_START_TIMEOUT_S
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"streamlit exited with code {server.process.returncode} before serving; "
                               f"log {server.log_path}:\n{server.log_tail()}")
        try:
            with urllib.request.urlopen(f"{server.url}/_stcore/health", timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(POLL_INTERVAL_S)
    raise RuntimeError(f"streamlit did not answer {server.url}/_stcore/health within {SERVER_START_TIMEOUT_S:g} s; "
                       f"log {server.log_path}:\n{server.log_tail()}")


def _stop(process: subprocess.Popen) -> None:
    """SIGTERM the server's process group, SIGKILL it if it has not exited in time."""
    if process.poll() is None:
        try:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=SERVER_STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=SERVER_STOP_TIMEOUT_S)
        except ProcessLookupError:
            pass


# --- the browser --------------------------------------------------------------------------------------------

def require_chromium() -> None:
    """Skip the calling test (or fixture) when Debian's Chromium is not installed; fail instead in CI."""
    missing = [str(p) for p in (CHROMIUM, CHROMEDRIVER) if not p.exists()]
    if not missing:
        return
    reason = (f"browser tests need Debian's Chromium, but {', '.join(missing)} is missing; install it with "
              "`sudo apt-get install chromium chromium-driver` (.ci/run does this in CI)")
    if os.environ.get(REQUIRE_BROWSER_ENV) == "1":
        pytest.fail(f"{reason} [{REQUIRE_BROWSER_ENV}=1: the browser tests must run here]", pytrace=False)
    pytest.skip(reason)


# Installed before any page script runs: records window.alert/confirm/prompt calls instead of blocking on them,
# so a test can prove that no script smuggled in through user text (file names, labels) ever ran.
_RECORD_DIALOGS_JS = """
window.__audiodiagDialogs = [];
for (const name of ['alert', 'confirm', 'prompt']) {
  window[name] = (message) => { window.__audiodiagDialogs.push(name + ': ' + String(message)); return null; };
}
"""


@contextmanager
def chromium(name: str) -> Iterator[webdriver.Chrome]:
    """A fresh headless Chromium (own temporary profile). On an exception inside the block a screenshot and the
    page text are saved as test-artifacts/<name>-failure.*; the browser and its profile are always removed."""
    require_chromium()
    profile = tempfile.mkdtemp(prefix="audiodiag-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in (*CHROMIUM_FLAGS, f"--user-data-dir={profile}", f"--window-size={WINDOW_SIZE[0]},{WINDOW_SIZE[1]}"):
        options.add_argument(flag)
    driver = None
    try:
        driver = webdriver.Chrome(options=options, service=Service(executable_path=str(CHROMEDRIVER)))
        driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": _RECORD_DIALOGS_JS})
        yield driver
    except BaseException:
        if driver is not None:
            _save_failure(driver, name)
        raise
    finally:
        if driver is not None:
            driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def _save_failure(driver, name: str) -> None:
    try:
        screenshot(driver, f"{name}-failure")
        (ARTIFACTS / f"{name}-failure.txt").write_text(page_text(driver))
    except Exception:  # noqa: BLE001 - a dead browser must not hide the test's own error
        pass


def screenshot(driver, name: str) -> Path:
    """Save the whole app (not just the viewport) as test-artifacts/<name>.png."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    height = driver.execute_script(
        "const m = document.querySelector('[data-testid=\"stMain\"]');"
        "return Math.max(document.body.scrollHeight, m ? m.scrollHeight : 0);")
    width, _ = WINDOW_SIZE
    driver.set_window_size(width, min(max(int(height or 0), WINDOW_SIZE[1]), MAX_SCREENSHOT_HEIGHT_PX))
    try:
        driver.save_screenshot(str(path))
    finally:
        driver.set_window_size(*WINDOW_SIZE)
    return path


# --- waiting for the app ------------------------------------------------------------------------------------

def wait_until(driver, condition: Callable[[], T], *, what: str, timeout_s: float = WAIT_TIMEOUT_S) -> T:
    """Poll `condition` until it returns something truthy; on timeout fail with `what` and the page's text."""
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            result = condition()
        except StaleElementReferenceException:  # Streamlit re-rendered the element between find and read
            result = None
        if result:
            return result
        if time.monotonic() > deadline:
            text = page_text(driver)
            raise AssertionError(f"timed out after {timeout_s:g} s waiting for {what}; "
                                 f"errors on the page: {error_texts(driver)}; page text:\n{text[-LOG_TAIL_CHARS:]}")
        time.sleep(POLL_INTERVAL_S)


IDLE_POLLS = 3  # consecutive polls without the running indicator that count as a finished script run


def wait_for_idle(driver, *, timeout_s: float = WAIT_TIMEOUT_S) -> None:
    """Wait until the app's script run has finished (no "Running..." icon for IDLE_POLLS polls in a row).

    Click only then: a widget clicked while the page is still re-rendering can send the frontend's blank widget
    values back with the click (seen in CI: the Transcribe page's model box arrived empty after the labels checkbox
    was ticked mid-run, and the run stopped on "TranscriptionSettings.model=''")."""
    quiet = 0

    def idle() -> bool:
        nonlocal quiet
        running = any(_is_current(e) for e in _find(driver, '[data-testid="stStatusWidgetRunningIcon"]'))
        quiet = 0 if running else quiet + 1
        return quiet >= IDLE_POLLS

    wait_until(driver, idle, what="the app to finish its script run", timeout_s=timeout_s)


def page_text(driver) -> str:
    return driver.execute_script("return document.body ? document.body.innerText : ''") or ""


def open_app(driver, base_url: str) -> None:
    """Load the app and wait until Streamlit has drawn its page links (the websocket session is up)."""
    driver.get(base_url)
    wait_until(driver, lambda: _nav_links(driver), what="the app's sidebar page links")


def open_page(driver, base_url: str, title: str) -> None:
    """Switch to the page called `title` by clicking its sidebar link, as a user would (the session and its
    uploads are kept). Loads the app first if this browser is not on it yet."""
    if not driver.current_url.startswith(base_url):
        open_app(driver, base_url)
    link = wait_until(driver, lambda: _nav_links(driver).get(title), what=f"sidebar link {title!r}")
    link.click()
    wait_until(driver, lambda: _nav_links(driver)[title].get_attribute("aria-current") == "page",
               what=f"page {title!r} to become the current page")


def _nav_links(driver) -> dict:
    """{page title: its sidebar link}."""
    return {a.find_element(By.CSS_SELECTOR, "span[label]").get_attribute("label"): a
            for a in _find(driver, '[data-testid="stSidebarNavLink"]')}


def choose_radio(driver, key: str, option: str) -> None:
    """Click the option labelled `option` of the radio widget created with `key=`."""
    wait_for_idle(driver)
    label = wait_until(driver, lambda: next((o for o in _find(driver, f'.st-key-{key} [data-testid="stRadioOption"]')
                                             if o.text.strip() == option), None),
                       what=f"radio {key!r} option {option!r}")
    label.click()
    wait_until(driver, lambda: any(o.text.strip() == option and o.get_attribute("data-selected") == "true"
                                   for o in _find(driver, f'.st-key-{key} [data-testid="stRadioOption"]')),
               what=f"radio {key!r} to select {option!r}")


def choose_select(driver, key: str, option: str) -> None:
    """Open the selectbox created with `key=` and click the option shown as `option`."""
    wait_for_idle(driver)
    opener = wait_until(driver, lambda: next(iter(_find(driver, f'.st-key-{key} button[aria-haspopup="listbox"]')
                                                  or _find(driver, f'.st-key-{key} [role="combobox"]')), None),
                        what=f"selectbox {key!r}")
    opener.click()
    choice = wait_until(driver, lambda: next((o for o in _find(driver, '[role="option"]') if o.text.strip() == option),
                                             None), what=f"option {option!r} of selectbox {key!r}")
    choice.click()
    wait_until(driver, lambda: any(c.get_attribute("value") == option
                                   for c in _find(driver, f'.st-key-{key} [role="combobox"]')),
               what=f"selectbox {key!r} to show {option!r}")


def multiselect_chips(driver, key: str) -> list[str]:
    """The options chosen in the multiselect created with `key=`, as its chips show them."""
    return [c.get_attribute("aria-label") for c in _find(driver, f'.st-key-{key} [data-tag]') if _is_current(c)]


def add_to_multiselect(driver, key: str, option: str) -> None:
    """Open the multiselect created with `key=` and click the option shown as `option` (added to the chips)."""
    wait_for_idle(driver)
    opener = wait_until(driver, lambda: next(iter(_find(driver, f'.st-key-{key} input')), None),
                        what=f"multiselect {key!r}")
    opener.click()
    choice = wait_until(driver, lambda: next((o for o in _find(driver, '[role="option"]') if o.text.strip() == option),
                                             None), what=f"option {option!r} of multiselect {key!r}")
    choice.click()
    opener.send_keys(Keys.ESCAPE)
    wait_until(driver, lambda: option in multiselect_chips(driver, key), what=f"multiselect {key!r} to show {option!r}")


def wait_for_url_param(driver, key: str, value: str, *, timeout_s: float = WAIT_TIMEOUT_S) -> None:
    """Wait until the server has run with a new widget value: linked widgets write it into the URL. A widget shows
    its new value before the server has seen it; acting on the page in between (e.g. switching page) races it."""
    wait_until(driver, lambda: value in parse_qs(urlsplit(driver.current_url).query).get(key, []),
               what=f"the URL to carry {key}={value}", timeout_s=timeout_s)


def click_button(driver, label: str, *, timeout_s: float = WAIT_TIMEOUT_S) -> None:
    """Wait for the enabled button labelled `label` in the page body (not the sidebar) and click it."""
    wait_for_idle(driver)

    def ready():
        return next((b for b in _find(driver, '[data-testid="stMain"] button')
                     if b.text.strip() == label and b.is_enabled() and _is_current(b)), None)

    wait_until(driver, ready, what=f"button {label!r}", timeout_s=timeout_s).click()


def dialogs_opened(driver) -> list[str]:
    """alert/confirm/prompt calls made by the page (recorded, see _RECORD_DIALOGS_JS), plus a native dialog
    that is open right now (it would block the page). Empty when no script ran them."""
    recorded = driver.execute_script("return window.__audiodiagDialogs || []") or []
    try:
        recorded.append(f"open dialog: {driver.switch_to.alert.text}")
    except NoAlertPresentException:
        pass
    return recorded


def upload_files(driver, paths: Sequence[Path], *, key: str = "uploader") -> None:
    """Set files on the `<input type=file>` of the file uploader created with `key=` (what drag-and-drop does)."""
    field = wait_until(driver, lambda: next(iter(_find(driver, f'.st-key-{key} input[type="file"]')), None),
                       what=f"file input of uploader {key!r}")
    field.send_keys("\n".join(str(Path(p).resolve()) for p in paths))


def wait_for_text(driver, text: str, *, timeout_s: float = WAIT_TIMEOUT_S) -> None:
    """Wait until `text` is visible anywhere on the page (rendered text, not markup)."""
    wait_until(driver, lambda: text in page_text(driver), what=f"text {text!r}", timeout_s=timeout_s)


def alert_texts(driver, kind: str = "warning") -> list[str]:
    """Texts of the visible st.warning / st.error / st.info / st.success boxes of one kind."""
    testid = f"stAlertContent{kind.capitalize()}"
    return [e.text for e in _find(driver, f'[data-testid="{testid}"]') if _is_current(e)]


def error_texts(driver) -> list[str]:
    """Uncaught exceptions (raw tracebacks) shown on the page; a finished page should have none."""
    return [e.text[:LOG_TAIL_CHARS] for e in _find(driver, '[data-testid="stException"]')]


# In-page progress of a long step: a progress bar, a spinner, or an st.status box that is still running (the app's
# own "Running..." toolbar indicator, stStatusWidget, is not counted: it shows for every run, long or short).
PROGRESS_SELECTOR = ('[data-testid="stProgress"], [data-testid="stSpinner"], '
                     '[data-testid="stExpanderIconSpinner"]')
_RECORD_PROGRESS_JS = """
if (!window.__audiodiagProgress) {
  window.__audiodiagProgress = [];
  const selector = arguments[0];
  const record = (element) => {
    const box = element.closest('[data-testid="stExpander"]') || element;
    window.__audiodiagProgress.push(element.getAttribute('data-testid') + ': ' + (box.innerText || '').slice(0, 120));
  };
  document.querySelectorAll(selector).forEach(record);
  new MutationObserver((mutations) => {
    for (const m of mutations) for (const node of m.addedNodes) {
      if (node.nodeType !== 1) continue;
      if (node.matches(selector)) record(node);
      node.querySelectorAll(selector).forEach(record);
    }
  }).observe(document.body, {childList: true, subtree: true});
}
"""


def record_progress(driver) -> None:
    """Start recording every progress element the page draws, however briefly (a MutationObserver: polling would
    miss a bar that lives for a few frames). Lasts until the document is reloaded (page links do not reload it)."""
    driver.execute_script(_RECORD_PROGRESS_JS, PROGRESS_SELECTOR)


def progress_seen(driver) -> list[str]:
    """The progress elements drawn since the last call (or since record_progress), as 'testid: text'; clears them."""
    return driver.execute_script(
        "const seen = window.__audiodiagProgress || []; window.__audiodiagProgress = []; return seen;") or []


def copy_share_link(driver, base_url: str) -> str:
    """Click the copy button of the sidebar's "Copy link to this view" box, as a user would, and return what
    landed on the clipboard."""
    from selenium.webdriver.common.action_chains import ActionChains

    driver.execute_cdp_cmd("Browser.grantPermissions", {"origin": base_url, "permissions": [
        "clipboardReadWrite", "clipboardSanitizedWrite"]})
    box = wait_until(driver, lambda: next((b for b in _find(driver, '[data-testid="stSidebar"] [data-testid="stCode"]')
                                           if _is_current(b)), None), what="the sidebar's copy-link box")
    ActionChains(driver).move_to_element(box).perform()  # the copy button shows on hover
    driver.execute_script("navigator.clipboard.writeText('')")
    button = wait_until(driver, lambda: next(iter(box.find_elements(
        By.CSS_SELECTOR, 'button[aria-label="Copy to clipboard"]')), None), what="the copy-link box's copy button")
    button.click()
    return wait_until(driver, lambda: driver.execute_async_script(
        "const done = arguments[0]; navigator.clipboard.readText().then(done, () => done(''));"),
        what="the link on the clipboard", timeout_s=10)


def visible_words_text(driver) -> str:
    """Everything a user reads on the page: the rendered text plus the text drawn inside charts (axis ticks,
    legends, annotations) and the cells of the data grids that are drawn on a canvas (their accessible copy)."""
    return page_text(driver) + "\n" + (driver.execute_script("""
        const parts = [];
        document.querySelectorAll('.js-plotly-plot .main-svg text').forEach(t => parts.push(t.textContent));
        document.querySelectorAll('[data-testid="stDataFrame"] table td, [data-testid="stDataFrame"] table th')
          .forEach(c => parts.push(c.textContent));
        return parts.join('\\n');""") or "")


def plotly_layout(driver, title_prefix: str) -> dict | None:
    """What a user reads on the drawn plotly chart whose title starts with `title_prefix`: {"title", "x_title",
    "x_ticks" (rendered tick labels, left to right), "layout" (the figure's layout where plotly exposes it)}; None
    when no such chart is drawn."""
    return driver.execute_script("""
        for (const chart of document.querySelectorAll('[data-testid="stPlotlyChart"]')) {
          if (chart.closest('[data-stale="true"]') || !chart.querySelector('.main-svg')) continue;
          const text = (css) => { const e = chart.querySelector(css); return e ? e.textContent : ''; };
          const title = text('.gtitle');
          if (!title.startsWith(arguments[0])) continue;
          const plot = chart.querySelector('.js-plotly-plot');
          const ticks = Array.from(chart.querySelectorAll('.xtick text'))
            .map(t => [t.getBoundingClientRect().left, t.textContent]).sort((a, b) => a[0] - b[0]).map(t => t[1]);
          return {title: title, x_title: text('.xtitle'), x_ticks: ticks,
                  layout: plot && plot.layout ? JSON.parse(JSON.stringify(plot.layout)) : null};
        }
        return null;""", title_prefix)


def plotly_titles(driver) -> list[str]:
    """Titles of the plotly charts that are drawn (an empty string for an untitled chart)."""
    return driver.execute_script("""
        return Array.from(document.querySelectorAll('[data-testid="stPlotlyChart"]'))
          .filter(c => !c.closest('[data-stale="true"]') && c.querySelector('.main-svg'))
          .map(c => { const t = c.querySelector('.gtitle'); return t ? t.textContent : ''; });""")


def wait_for_plotly(driver, n: int, *, titles: Sequence[str] = (), timeout_s: float = WAIT_TIMEOUT_S) -> list[str]:
    """Wait until at least `n` plotly charts are drawn, including one titled each of `titles` (exact); returns
    the titles of all drawn charts."""
    def ready():
        found = plotly_titles(driver)
        return found if len(found) >= n and all(t in found for t in titles) else None

    return wait_until(driver, ready, what=f"{n} plotly chart(s) titled {list(titles)}", timeout_s=timeout_s)


# --- the server's own metrics --------------------------------------------------------------------------------

_SERIES = re.compile(r'^(?P<name>\w+)\{(?P<labels>[^}]*)\} (?P<value>[0-9.e+]+)$')


@dataclass(frozen=True)
class CacheCounts:
    lookups: int       # calls of the cached function (a caller that waited for another's computation included)
    misses: int        # calls that found no value on their first look
    computations: int  # times the function body actually ran (misses that computed, not those that waited)


def cache_counts(server: Server, function: str, *, cache_type: str = "st_cache_resource") -> CacheCounts:
    """How often the server ran a cached function, from Streamlit's /_stcore/metrics, e.g.
    cache_counts(server, "pages._cache.transcriber"). Counters are per server process, all sessions together."""
    with urllib.request.urlopen(f"{server.url}/_stcore/metrics", timeout=10) as response:
        text = response.read().decode()
    hits = misses = computations = 0
    for line in text.splitlines():
        match = _SERIES.match(line)
        if not match:
            continue
        labels = dict(re.findall(r'(\w+)="([^"]*)"', match["labels"]))
        if labels.get("cache_type") != cache_type or labels.get("cache") != function:
            continue
        value = int(float(match["value"]))
        if match["name"] == "cache_lookups_total":
            hits += value if labels.get("result") == "hit" else 0
            misses += value if labels.get("result") == "miss" else 0
        elif match["name"] == "cache_compute_duration_seconds_count" and labels.get("trigger") == "miss":
            computations += value
    return CacheCounts(hits + misses, misses, computations)


def _find(driver, css: str) -> list:
    return driver.find_elements(By.CSS_SELECTOR, css)


def _is_current(element) -> bool:
    """False for elements left over from the previous script run (Streamlit greys them out as stale)."""
    return element.get_attribute("data-stale") != "true" and not element.find_elements(
        "xpath", "ancestor::*[@data-stale='true']")
