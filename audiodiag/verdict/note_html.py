"""A decision note as one self-contained HTML file: the ladder chart first, then the note's sections (tables as
HTML tables, lines as lists), every piece of text escaped.

The chart is the pages' own plotly figure (`ladder_chart.ladder_figure`) with plotly.js embedded (about 5 MB), so the
file opens offline, shows the same chart as the dashboard, and its mode bar saves it as PNG in the browser; an
inline SVG would need a second drawing of the chart (plotly's static export needs kaleido and Chrome).
It renders a note's dict (`DecisionNote.to_dict()`, or a run folder's note.json), so older run folders render too;
a note without data.ladder (retrieval, transcription, older runs) has no chart.

>>> page = render({"task": "classification", "dataset": "<b>x</b>", "verdict": "Use the baseline.",
...                "sections": [{"title": "Task and data", "lines": ["12 clips"]}], "data": {}})
>>> "&lt;b&gt;x&lt;/b&gt;" in page and "<li>12 clips</li>" in page
True
"""
from __future__ import annotations

from collections.abc import Sequence
from html import escape

LADDER_DIV_ID = "ladder"  # fixed, so one note renders to the same file twice
STYLE = """body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;max-width:70rem;margin:2rem auto;
padding:0 1rem;line-height:1.45;color:#1a1a1a}table{border-collapse:collapse;margin:.5rem 0 1rem}
th,td{border:1px solid #ccc;padding:.3rem .5rem;text-align:left;vertical-align:top}th{background:#f3f3f3}
.verdict{font-size:1.1rem;font-weight:600;padding:.6rem .8rem;background:#eef5fb;border-left:4px solid #0072B2}"""


def _table(rows: Sequence[Sequence[str]]) -> str:
    if not rows:
        return ""
    head = "".join(f"<th>{escape(str(cell))}</th>" for cell in rows[0])
    body = "".join("<tr>" + "".join(f"<td>{escape(str(cell))}</td>" for cell in row) + "</tr>" for row in rows[1:])
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def ladder_html(ladder: Sequence[dict]) -> str:
    """The ladder chart as an HTML fragment with plotly.js inside ("" without rows)."""
    if not ladder:
        return ""
    from audiodiag.verdict import ladder_chart  # plotly: only when a chart is drawn

    return ladder_chart.ladder_figure(ladder).to_html(full_html=False, include_plotlyjs=True,
                                                      config=ladder_chart.LADDER_CONFIG, div_id=LADDER_DIV_ID)


def render(note: dict) -> str:
    """The note (`DecisionNote.to_dict()`) as a complete HTML document."""
    title = f"Decision note: {note['task']} on {note['dataset']}"
    parts = ["<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
             f"<title>{escape(title)}</title><style>{STYLE}</style></head><body>", f"<h1>{escape(title)}</h1>",
             f'<p class="verdict">{escape(note["verdict"])}</p>', ladder_html(note.get("data", {}).get("ladder", []))]
    for section in note["sections"]:
        parts += [f"<h2>{escape(section['title'])}</h2>", _table(section.get("table", ())),
                  "<ul>" + "".join(f"<li>{escape(line)}</li>" for line in section["lines"]) + "</ul>"
                  if section["lines"] else ""]
    parts.append("</body></html>")
    return "\n".join(p for p in parts if p)
