"""Tables that read at a glance: st.dataframe column widths measured from the text they hold, numbers at the
precision their unit reads at, long text wrapped, and a table that fits the page (columns past its width hidden,
named in a caption, a click away in the table's toolbar).

The data grid draws on a canvas and sizes columns from its first rows only, so a longer name further down (or a
reason wider than its 500 px cap) is cut off. Here every cell is measured in the grid's own font: Streamlit's
bundled Source Sans, read with Pillow (its advances are the browser canvas's, within 0.1 px); a per-character
estimate where that file is missing. tests/test_browser_layout.py checks the result in Chromium at 1400 px.
"""
from __future__ import annotations

import functools
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import streamlit as st

if TYPE_CHECKING:
    import pandas as pd

FONT_PX = 14  # the grid's cell and header font (theme baseFontStyle / headerFontStyle)
FONT_WEIGHT = 400
CELL_PADDING_PX = 16  # 8 px either side of a cell's text (theme cellHorizontalPadding)
SLACK_PX = 4  # rounding between this measurement and the browser's
MIN_COLUMN_PX = 50  # the grid's narrowest column
FALLBACK_EM_PER_CHAR = 0.62  # without the font file: a generous average advance
LINE_HEIGHT = 1.4  # wrapped lines are this many em heights apart (theme lineHeight)
CELL_VERTICAL_PADDING_PX = 3
WRAP_ABOVE_ROW_PX = 64  # Streamlit wraps text only in rows taller than this (4rem)
WRAP_MIN_PX = 240  # a wrapped text column at least this wide (or as wide as its longest word)
MAX_WRAP_LINES = 8  # longer texts are cut: the download has them whole
ROW_MARKER_PX = 40  # the tick-box column a row selection adds at the left
SCROLLBAR_PX = 12  # a long table's vertical scroll bar, over its rightmost column
MAIN_WIDTH_PX = 928  # a table in the main column at a 1400 px wide window with the sidebar open
EXPANDER_PADDING_PX = 44  # an expander's border and padding, both sides
FIT_PX = MAIN_WIDTH_PX - EXPANDER_PADDING_PX  # what a table is laid out for: the main column, or an expander in it
COLUMN_GAP_PX = 16  # between st.columns
PERCENT = "percent"  # st.column_config's format: 0.0556 shown as 5.56%
# printf formats (st.column_config and Python's % read them alike) by the unit in a header's closing brackets
UNIT_FORMATS = {"Hz": "%.0f", "dB": "%.1f", "dBFS": "%.1f", "LUFS": "%.1f", "s": "%.2f", "MB": "%.1f", "ms": "%.0f"}
DEFAULT_DECIMALS = 4  # Streamlit's own display of a float without a format (trailing zeros dropped)
_UNIT = re.compile(r"\(([^()]+)\)$")


@functools.cache
def _font():
    """Streamlit's bundled Source Sans at the grid's size and weight, or None where it is not found."""
    try:
        from PIL import ImageFont

        folder = Path(st.__file__).parent / "static" / "static" / "media"
        path = next(iter(sorted(folder.glob("SourceSansVF-Upright*"))), None)
        if path is None:
            return None
        font = ImageFont.truetype(str(path), FONT_PX)
        font.set_variation_by_axes([FONT_WEIGHT])
        return font
    except (ImportError, OSError, ValueError):  # an older Pillow or a font without the weight axis
        return None


@functools.cache
def _advance_px(char: str) -> float:
    font = _font()
    return font.getlength(char) if font is not None else FALLBACK_EM_PER_CHAR * FONT_PX


def text_px(text: str) -> float:
    """Width of `text` in the grid's font, in px: the sum of its characters' advances. Without kerning (which
    narrows pairs such as "AV") it comes out up to ~3 % wider than the browser draws it; per character, a table of
    thousands of cells is measured in a fraction of a second."""
    return sum(map(_advance_px, str(text)))


def _em_px() -> float:
    font = _font()
    if font is None:
        return float(FONT_PX)
    left, top, right, bottom = font.getbbox("ABCi09jgqpy")  # the grid's own em-height sample
    return float(bottom - top)


def wrapped_lines(text: str, *, width_px: float) -> int:
    """Lines `text` takes when wrapped word by word (as the grid wraps) into `width_px`."""
    lines = 0
    for paragraph in str(text).split("\n"):
        lines += 1
        line = ""
        for word in paragraph.split(" "):
            longer = f"{line} {word}" if line else word
            if line and text_px(longer) > width_px:
                lines, line = lines + 1, word
            else:
                line = longer
    return lines


def row_height_px(lines: int) -> int:
    """A row tall enough for `lines` wrapped lines (the grid clips a line that does not fit whole)."""
    em = _em_px()
    return math.ceil(em + LINE_HEIGHT * em * (lines - 1) + CELL_VERTICAL_PADDING_PX + SLACK_PX)


def columns_px(n: int) -> int:
    """Width of a table in one of `n` equal st.columns of the main column."""
    return (MAIN_WIDTH_PX - (n - 1) * COLUMN_GAP_PX) // n


def unit_format(header: str) -> str | None:
    """The number format for a column by the unit its header names: 'rate (Hz)' -> '%.0f', 'peak (dBFS)' -> '%.1f',
    'duration (s)' -> '%.2f'; None without a known unit."""
    found = _UNIT.search(str(header))
    return UNIT_FORMATS.get(found.group(1)) if found else None


def shown(value, fmt: str | None, *, placeholder: str) -> str:
    """A cell's text as the grid draws it: `fmt` applied to numbers (PERCENT as a percentage), Streamlit's
    default (up to DEFAULT_DECIMALS decimals) for other floats, `placeholder` for a missing value."""
    if value is None or (isinstance(value, float) and value != value):
        return placeholder
    if isinstance(value, bool) or not isinstance(value, (int, float)) or hasattr(value, "__len__"):
        return str(value)
    if fmt == PERCENT:
        return f"{100 * value:.2f}%"
    if fmt:
        return fmt % value
    if isinstance(value, float) and not value.is_integer():
        return f"{value:.{DEFAULT_DECIMALS}f}".rstrip("0").rstrip(".")
    return str(int(value)) if isinstance(value, float) else str(value)


@dataclass(frozen=True)
class TableLayout:
    column_config: dict  # for st.dataframe: every column's width, a format for numbers, hidden ones marked
    row_height: int | None  # None: one line per row
    hidden: tuple[str, ...]  # the columns past the table's width, in order


def table_layout(frame: pd.DataFrame, *, fit_px: int = FIT_PX, formats: Mapping[str, str] | None = None,
                 wrap: Sequence[str] = (), order: Sequence[str] | None = None, index: bool = False,
                 placeholder: str = "None", column_config: Mapping[str, dict] | None = None) -> TableLayout:
    """Column widths for `frame` from its longest text (header or cell, as shown), numbers formatted by their unit
    (`unit_format`, or `formats[column]`, e.g. PERCENT), and the columns (in `order`, or the frame's) that fit in
    `fit_px` less a scroll bar: the first always, the others until one does not fit; that one and the rest are
    hidden.

    A `wrap` column takes at least WRAP_MIN_PX (or its longest word) and at most its longest text; shown wrap
    columns share what the others leave of `fit_px`, and the rows grow to hold their longest text (up to
    MAX_WRAP_LINES). index: the frame's index is shown (st.dataframe's "_index" column). column_config: the
    caller's own entries (labels, help, a format), kept; width and hidden are set here.
    """
    import pandas as pd

    formats = dict(formats or {})
    given = dict(column_config or {})
    names = list(order) if order is not None else [str(c) for c in frame.columns]
    columns: dict[str, pd.Series] = {name: frame[name] for name in names}
    if index:
        columns = {"_index": pd.Series(frame.index), **columns}
    config, natural, least, texts_of = {}, {}, {}, {}
    for name, values in columns.items():
        entry = dict(given.get(name) or {})
        header = entry.get("label") or (str(frame.index.name or "") if name == "_index" else name)
        is_number = pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values)
        fmt = formats.get(name) or (entry.get("type_config") or {}).get("format") or (
            unit_format(header) if is_number else None)
        texts = texts_of[name] = [shown(v, fmt if is_number else None, placeholder=placeholder)
                                  for v in values.tolist()]
        natural[name] = max(MIN_COLUMN_PX, _padded(max([text_px(header), *map(text_px, texts)])))
        least[name] = natural[name] if name not in wrap else min(natural[name], max(
            WRAP_MIN_PX, _padded(max([text_px(header), *(text_px(w) for t in texts for w in t.split())]))))
        if is_number and fmt and "type_config" not in entry:
            entry = {**st.column_config.NumberColumn(format=fmt), **entry}
        config[name] = entry
    fit_px -= SCROLLBAR_PX
    shown_names: list[str] = []
    for k, name in enumerate(columns):  # in priority order, each at its least width, until one does not fit
        if k > 0 and sum(least[n] for n in shown_names) + least[name] > fit_px:
            break
        shown_names.append(name)
    widths = {name: least[name] for name in columns}
    growing = [n for n in shown_names if widths[n] < natural[n]]  # wrap columns that could use more room
    while growing and (room := fit_px - sum(widths[n] for n in shown_names)) > len(growing):
        share = room // len(growing)
        for n in growing:
            widths[n] = min(natural[n], widths[n] + share)
        growing = [n for n in growing if widths[n] < natural[n]]
    lines = max([1, *(wrapped_lines(t, width_px=widths[n] - CELL_PADDING_PX - SLACK_PX)
                      for n in shown_names if n in wrap and widths[n] < natural[n] for t in texts_of[n])])
    for name in columns:
        config[name] = {**config[name], "width": widths[name], **({} if name in shown_names else {"hidden": True})}
    lines = min(lines, MAX_WRAP_LINES)
    height = max(row_height_px(lines), WRAP_ABOVE_ROW_PX + 1) if lines > 1 else None
    return TableLayout(config, height, tuple(n for n in columns if n not in shown_names and n != "_index"))


def _padded(text_width_px: float) -> int:
    return math.ceil(text_width_px + CELL_PADDING_PX + SLACK_PX)


def show_table(frame: pd.DataFrame, *, where=st, fit_px: int = FIT_PX, formats: Mapping[str, str] | None = None,
               wrap: Sequence[str] = (), column_config: Mapping[str, dict] | None = None,
               hide_index: bool = True, placeholder: str | None = None, **dataframe_kwargs):
    """`where.dataframe(frame)` laid out by `table_layout`, with a caption naming the columns hidden at this width;
    returns what st.dataframe returns (the selection event with on_select=...)."""
    order = dataframe_kwargs.get("column_order")
    if dataframe_kwargs.get("on_select", "ignore") != "ignore" and "row" in str(dataframe_kwargs.get("selection_mode")):
        fit_px -= ROW_MARKER_PX
    layout = table_layout(frame, fit_px=fit_px, formats=formats, wrap=wrap, order=order, index=not hide_index,
                          placeholder=placeholder or "None", column_config=column_config)
    if layout.row_height is not None:
        dataframe_kwargs.setdefault("row_height", layout.row_height)
    shown_table = where.dataframe(frame, hide_index=hide_index, width="stretch", placeholder=placeholder,
                                  column_config=layout.column_config, **dataframe_kwargs)
    if layout.hidden:
        where.caption(f"Not shown at this width: {', '.join(layout.hidden)}. The eye icon in the table's toolbar "
                      "shows them.")
    return shown_table
