"""Pictures that read at a glance (issue #29): at a 1400 px wide window, no table column is cut off and no chart's
mode bar covers its title or legend, on every page of one walk over the bundled sets.

How a cut-off column is found. st.dataframe draws a Glide data grid on a <canvas>: the text is pixels, and the
<table> it keeps for screen readers holds the cell texts but no widths. The grid's own React props do hold what was
drawn: `columns` (each column's title and pixel width, hidden columns left out), `getCellContent([col, row])` (each
cell's displayed text, `displayData`, and whether it wraps), `rows`, `rowHeight` and `theme` (fonts, paddings, line
height). The check reads them from the canvas's React fiber, measures every header and cell text with the canvas's
own `measureText` in the grid's fonts, and reports
  - a table whose columns together are wider than the table on screen (the ones past its edge are cut off), and
  - a header or cell whose text is wider than its column less the cell padding (8 px each side), or, in a wrapping
    cell, needs more lines (greedy word wrap, the grid's line height) than the row height holds.
Grids that are not drawn (a collapsed expander, another tab) are skipped. Where the props are not found (a
Streamlit upgrade that renames them) the check fails, saying so, rather than passing without looking.

How a covered title is found: plotly's mode bar, title and legend are SVG/HTML elements; their bounding boxes must
not intersect (the mode bar is drawn by hovering the chart first).
"""
from __future__ import annotations

from collections.abc import Iterator

import pytest
from selenium.common.exceptions import ElementNotInteractableException
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By

from audiodiag.represent import spaces
from tests.browser_support import (
    WINDOW_SIZE,
    Server,
    choose_select,
    chromium,
    click_button,
    error_texts,
    open_app,
    open_page,
    page_text,
    plotly_titles,
    require_chromium,
    screenshot,
    streamlit_server,
    wait_for_idle,
    wait_for_plotly,
    wait_for_url_param,
    wait_until,
)

pytestmark = pytest.mark.slow

LAYOUT_WIDTH_PX = 1400  # the window width the issue was reported at (browser_support.WINDOW_SIZE)
LONG_STEP_TIMEOUT_S = 300
MAX_ROWS_CHECKED = 2000  # cells measured per table (a bundled set has at most a few hundred rows)

# Every drawn grid: [{table, problems: [...]}]; see the module docstring.
_GRID_PROBLEMS_JS = """
const maxRows = arguments[0];
const out = [];
const ctx = document.createElement('canvas').getContext('2d');
const emHeight = (font) => {
  ctx.font = font;
  const m = ctx.measureText('ABCi09jgqpy');
  return m.actualBoundingBoxAscent + m.actualBoundingBoxDescent;
};
const linesNeeded = (text, width) => {  // greedy word wrap, as the grid wraps; a word wider than a line is cut
  let lines = 0;
  for (const paragraph of String(text).split('\\n')) {
    let line = '';
    lines += 1;
    for (const word of paragraph.split(' ')) {
      const next = line ? line + ' ' + word : word;
      if (ctx.measureText(next).width <= width || !line) { line = next; continue; }
      lines += 1;
      line = word;
    }
  }
  return lines;
};
for (const frame of document.querySelectorAll('[data-testid="stDataFrame"]')) {
  if (frame.closest('[data-stale="true"]')) continue;
  const canvas = frame.querySelector('canvas[data-testid="data-grid-canvas"]');
  if (!canvas || canvas.clientWidth === 0 || canvas.clientHeight === 0) continue;  // not drawn
  const fiberKey = Object.keys(canvas).find(k => k.startsWith('__reactFiber'));
  let fiber = fiberKey ? canvas[fiberKey] : null, grid = null;
  for (let depth = 0; fiber && depth < 30 && !grid; depth++, fiber = fiber.return) {
    const p = fiber.memoizedProps;
    if (p && Array.isArray(p.columns) && typeof p.getCellContent === 'function' && p.theme) grid = p;
  }
  if (!grid) { out.push({table: '?', problems: ["the grid's columns were not found in its React props"]}); continue; }
  const columns = grid.columns, theme = grid.theme, pad = 2 * theme.cellHorizontalPadding;
  const table = columns.map(c => c.title).join(' | ');
  const problems = [];
  const total = columns.reduce((sum, c) => sum + c.width, 0);
  if (total > canvas.clientWidth + 1) {
    const shown = canvas.clientWidth;
    let x = 0;
    const past = columns.filter(c => { x += c.width; return x > shown + 1; }).map(c => c.title);
    problems.push(`columns need ${Math.round(total)} px, the table shows ${shown} px: cut off ${JSON.stringify(past)}`);
  }
  ctx.font = theme.headerFontFull;
  for (const c of columns) {
    const icon = c.icon ? theme.headerIconSize + theme.cellHorizontalPadding : 0;
    const need = ctx.measureText(c.title).width + pad + icon;
    if (need > c.width) problems.push(`header ${JSON.stringify(c.title)} needs ${Math.ceil(need)} px of ${c.width}`);
  }
  const em = emHeight(theme.baseFontFull), lineHeight = theme.lineHeight * em;
  const linesFit = Math.max(1, Math.floor((grid.rowHeight - theme.cellVerticalPadding - em) / lineHeight) + 1);
  ctx.font = theme.baseFontFull;
  const worst = {};
  for (let row = 0; row < Math.min(grid.rows, maxRows); row++) {
    columns.forEach((c, col) => {
      const cell = grid.getCellContent([col, row]);
      if (!cell || (cell.kind !== 'text' && cell.kind !== 'number')) return;
      const text = String(cell.displayData ?? cell.data ?? '');
      const room = c.width - pad;
      const cut = cell.allowWrapping ? linesNeeded(text, room) > linesFit : ctx.measureText(text).width > room;
      if (cut && !(c.title in worst)) worst[c.title] = `${JSON.stringify(text.slice(0, 80))} (row ${row + 1})`;
    });
  }
  for (const [title, where] of Object.entries(worst)) problems.push(`column ${JSON.stringify(title)} cuts ${where}`);
  out.push({table: table, problems: problems});
}
return out;
"""

# Every drawn chart: its title, and which of its title / legend boxes the mode bar's box intersects.
_CHART_PROBLEMS_JS = """
const box = (e) => e ? e.getBoundingClientRect() : null;
const meet = (a, b) => a && b && a.width > 0 && b.width > 0 && a.left < b.right && b.left < a.right
                       && a.top < b.bottom && b.top < a.bottom;
const out = [];
for (const chart of document.querySelectorAll('[data-testid="stPlotlyChart"]')) {
  if (chart.closest('[data-stale="true"]') || !chart.querySelector('.main-svg')) continue;
  const modebar = box(chart.querySelector('.modebar'));
  const title = chart.querySelector('.gtitle');
  const covered = [];
  if (meet(modebar, box(title))) covered.push('title');
  if (meet(modebar, box(chart.querySelector('.legend')))) covered.push('legend');
  out.push({title: title ? title.textContent : '', modebar: !!(modebar && modebar.width > 0), covered: covered});
}
return out;
"""


def grid_problems(driver) -> tuple[list[str], int]:
    """Every cut-off column of the tables drawn on the page, as '[table] problem' (see the module docstring), and
    how many tables were measured."""
    grids = driver.execute_script(_GRID_PROBLEMS_JS, MAX_ROWS_CHECKED)
    return [f"[{g['table'][:120]}] {p}" for g in grids for p in g["problems"]], len(grids)


def chart_problems(driver) -> tuple[list[str], int]:
    """Charts whose mode bar covers their title or legend, and how many charts were checked. Each chart is hovered
    first, so its mode bar is drawn."""
    for chart in driver.find_elements(By.CSS_SELECTOR, '[data-testid="stPlotlyChart"] .main-svg'):
        try:
            driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", chart)
            ActionChains(driver).move_to_element(chart).perform()
        except Exception:  # noqa: BLE001 - a chart re-rendered under the mouse: the JS below reads it again
            pass
    found = driver.execute_script(_CHART_PROBLEMS_JS)
    return ([f"chart {c['title']!r}: the mode bar covers its {' and '.join(c['covered'])}" for c in found
             if c["covered"]] + [f"chart {c['title']!r}: no mode bar drawn to check" for c in found
                                 if not c["modebar"]], len(found))


def open_expanders(driver) -> None:
    """Open every closed expander of the page body, so the tables in them are drawn (and checked)."""
    for summary in driver.find_elements(By.CSS_SELECTOR, '[data-testid="stMain"] [data-testid="stExpander"] '
                                                         'details:not([open]) > summary'):
        driver.execute_script("arguments[0].scrollIntoView({block: 'center'}); arguments[0].click()", summary)


def every_tab(driver) -> Iterator[None]:
    """Show each tab of the page body in turn (a grid in a hidden tab is not drawn)."""
    for tab in driver.find_elements(By.CSS_SELECTOR, '[data-testid="stMain"] button[role="tab"]'):
        driver.execute_script("arguments[0].scrollIntoView({block: 'center'}); arguments[0].click()", tab)
        yield


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[Server]:
    require_chromium()
    with streamlit_server(name="test_browser_layout-server",
                          cache_dir=tmp_path_factory.mktemp("audiodiag-cache")) as running:
        yield running


def _check_page(driver, page: str, problems: list[str], *, tables: int, charts: int) -> None:
    """Every table and chart of the page (expanders opened, each tab shown); at least `tables` tables and `charts`
    charts must have been measured, so a page that did not draw them fails instead of passing unlooked-at."""
    wait_for_idle(driver)
    open_expanders(driver)
    found, n_tables = grid_problems(driver)
    for _ in every_tab(driver):
        in_tab, n = grid_problems(driver)
        found, n_tables = found + [p for p in in_tab if p not in found], n_tables + n
    covered, n_charts = chart_problems(driver)
    problems += [f"{page}: {p}" for p in found + covered]
    problems += [f"{page}: traceback {t[:300]}" for t in error_texts(driver)]
    if n_tables < tables or n_charts < charts:
        problems.append(f"{page}: measured {n_tables} table(s) and {n_charts} chart(s), expected at least {tables} "
                        f"and {charts}")
    screenshot(driver, f"layout_{page.lower()}")


def _quarantine_a_finding(driver) -> None:
    """Draw the quarantine list: pick the first finding offered when none is picked yet."""
    box = wait_until(driver, lambda: next((m for m in driver.find_elements(
        By.CSS_SELECTOR, '[data-testid="stMultiSelect"]') if "Quarantine clips" in m.text), None),
        what="the quarantine picker")
    if " 0 are quarantined" not in page_text(driver).replace("\n", " "):
        return
    box.find_element(By.CSS_SELECTOR, "input").click()

    def click_first_option() -> bool:
        """The options are in the page before their drop-down has opened: a click on one then fails (not
        interactable), and is tried again."""
        options = [o for o in driver.find_elements(By.CSS_SELECTOR, '[role="option"]') if o.is_displayed()]
        try:
            options[0].click()
        except (IndexError, ElementNotInteractableException):
            return False
        return True

    wait_until(driver, click_first_option, what="a click on the quarantine picker's first option")
    wait_until(driver, lambda: " 0 are quarantined" not in page_text(driver).replace("\n", " "),
               what="a quarantined clip")


def test_no_cut_off_column_and_no_covered_chart_title_at_1400_px(server):
    assert WINDOW_SIZE[0] == LAYOUT_WIDTH_PX
    problems: list[str] = []
    with chromium("layout_walk") as driver:
        open_app(driver, server.url)
        choose_select(driver, "sample_set", "sounds")  # groups, labels and a quarantined clip
        wait_for_url_param(driver, "sample_set", "sounds")
        wait_for_plotly(driver, 4, titles=("Waveform", "Log-mel spectrogram"), timeout_s=LONG_STEP_TIMEOUT_S)
        wait_until(driver, lambda: "Clean list and quarantine" in page_text(driver), what="the quarantine list")
        _quarantine_a_finding(driver)  # the list of quarantined clips and their reasons
        _check_page(driver, "Inspect", problems, tables=4, charts=5)

        open_page(driver, server.url, "Compare")  # its default: the baseline and one bundled encoder
        click_button(driver, "Run comparison")
        wait_until(driver, lambda: spaces.BASELINE in plotly_titles(driver) and
                   "Does a frozen encoder beat the baseline?" in page_text(driver),
                   what="the comparison", timeout_s=LONG_STEP_TIMEOUT_S)
        _check_page(driver, "Compare", problems, tables=2, charts=3)

        open_page(driver, server.url, "Embeddings")
        wait_until(driver, lambda: "Nearest neighbours" in page_text(driver) and len(plotly_titles(driver)) >= 2,
                   what="the maps and neighbours", timeout_s=LONG_STEP_TIMEOUT_S)
        _check_page(driver, "Embeddings", problems, tables=3, charts=2)

        open_page(driver, server.url, "Transcribe")
        choose_select(driver, "sample_set", "utterances")
        wait_for_url_param(driver, "sample_set", "utterances")
        click_button(driver, "Transcribe")
        wait_until(driver, lambda: "Every utterance" in page_text(driver) and "Word-level errors" in page_text(driver),
                   what="the scored transcripts", timeout_s=LONG_STEP_TIMEOUT_S)
        _check_page(driver, "Transcribe", problems, tables=4, charts=1)

        open_page(driver, server.url, "Decide")
        choose_select(driver, "sample_set", "sounds")
        wait_for_url_param(driver, "sample_set", "sounds")
        wait_until(driver, lambda: "Decision note" in page_text(driver), what="the decision note",
                   timeout_s=LONG_STEP_TIMEOUT_S)
        _check_page(driver, "Decide", problems, tables=2, charts=1)
    assert not problems, f"{len(problems)} layout problem(s) at {LAYOUT_WIDTH_PX} px:\n" + "\n".join(problems)
