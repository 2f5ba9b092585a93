"""The HTML kit of every gridgov report: one page layout, one stylesheet, tables, maps.

The check report (:meth:`gridgov.Findings.to_html`), the changes between two
editions (:meth:`gridgov.Changes.to_html`) and a plan (:meth:`gridgov.Plan.to_html`)
are self-contained pages built from these pieces: :func:`page` lays out a
title and sections under :data:`STYLE`; :func:`table_html` renders a frame,
:func:`html_table` / :func:`tr` / :func:`td` a table built cell by cell;
:func:`figure_html` and :func:`png_html` embed a map as a base64 PNG (nothing
is fetched from the network); :func:`write_html` writes a page atomically, so
a failed write never leaves a partial report under the final name.

matplotlib is imported only by :func:`figure_png` (the ``plot`` extra).
"""

from __future__ import annotations

import base64
import html
import io
import math
from typing import TYPE_CHECKING, Any

from gridgov._core.atomic import write_text

if TYPE_CHECKING:
    import os
    from collections.abc import Callable, Iterable, Sequence
    from pathlib import Path

    import pandas as pd

__all__ = [
    "STYLE",
    "badge",
    "figure_html",
    "figure_png",
    "html_table",
    "number",
    "page",
    "png_html",
    "pre",
    "table_html",
    "td",
    "tr",
    "write_html",
]

#: The stylesheet of every report page.
STYLE = """
body { font-family: -apple-system, "Segoe UI", "PingFang SC", "Microsoft YaHei", sans-serif;
       margin: 2em auto; max-width: 1150px; color: #252525; line-height: 1.4; padding: 0 1em; }
h1 { font-size: 1.6em; margin-bottom: 0.2em; }
h2 { font-size: 1.2em; margin-top: 1.8em; border-bottom: 1px solid #d9d9d9; padding-bottom: 0.2em; }
.meta { color: #737373; font-size: 0.9em; }
.headline { font-size: 1.25em; padding: 0.6em 0.9em; border-radius: 6px; margin: 1em 0; }
.ok { background: #e5f5e0; border-left: 6px solid #31a354; }
.bad { background: #fee0d2; border-left: 6px solid #d7301f; }
table { border-collapse: collapse; font-size: 0.88em; margin: 0.5em 0; }
th, td { border-bottom: 1px solid #e5e5e5; padding: 0.25em 0.7em; text-align: left;
         vertical-align: top; }
th { background: #f5f5f5; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
tr.principle td { background: #fafafa; font-weight: 600; }
.sev { display: inline-block; padding: 0 0.45em; border-radius: 3px; color: white;
       font-size: 0.85em; }
.sev-error { background: #d7301f; } .sev-warning { background: #e08214; }
.sev-info { background: #3182bd; }
img { max-width: 100%; }
img.map { border: 1px solid #e5e5e5; }
code { font-size: 0.95em; }
"""


def _thousands(value: float) -> str:
    return f"{value:,.0f}"


def page(
    title: str,
    sections: Iterable[tuple[str, str]],
    *,
    intro: str = "",
    lang: str = "en",
) -> str:
    """Return a self-contained HTML document: a title, then one ``<h2>`` per section.

    Parameters
    ----------
    title : str
        Title of the page (``<title>`` and ``<h1>``); escaped.
    sections : iterable of (str, str)
        Heading (escaped) and HTML content of each section, in order.
    intro : str, default ""
        HTML placed between the title and the first section (a meta line, a
        headline).
    lang : str, default "en"
        Language of the page (``<html lang=...>``).

    Returns
    -------
    str
        The document, styled by :data:`STYLE`, ending with a newline.

    See Also
    --------
    write_html : writes the document atomically.

    Examples
    --------
    >>> doc = page("a & b", [("Summary", pre("1 < 2"))])
    >>> doc.startswith("<!DOCTYPE html>"), "<h1>a &amp; b</h1>" in doc
    (True, True)
    >>> "<h2>Summary</h2>" in doc, "<pre>1 &lt; 2</pre>" in doc
    (True, True)
    """
    parts = [
        "<!DOCTYPE html>",
        f'<html lang="{html.escape(lang)}"><head><meta charset="utf-8">',
        f"<title>{html.escape(title)}</title>",
        f"<style>{STYLE}</style></head><body>",
        f"<h1>{html.escape(title)}</h1>",
    ]
    if intro:
        parts.append(intro)
    for heading, content in sections:
        parts.append(f"<h2>{html.escape(heading)}</h2>\n{content}")
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"


def pre(text: str) -> str:
    """Return `text` as preformatted HTML (escaped).

    Examples
    --------
    >>> pre("a <b>")
    '<pre>a &lt;b&gt;</pre>'
    """
    return f"<pre>{html.escape(text)}</pre>"


def table_html(
    frame: pd.DataFrame,
    *,
    empty: str = "none",
    float_format: Callable[[float], str] = _thousands,
) -> str:
    """Return `frame` as an HTML table without its index (missing values blank).

    Parameters
    ----------
    frame : DataFrame
        The rows to show.
    empty : str, default "none"
        Text of the paragraph shown instead when `frame` has no row.
    float_format : callable, default thousands separators, no decimals
        Formatter of float cells.

    Returns
    -------
    str

    Examples
    --------
    >>> import pandas as pd
    >>> print(table_html(pd.DataFrame({"grid": ["a"], "area": [1234.5]})))  # doctest: +ELLIPSIS
    <table border="1" class="dataframe">
    ...<td>a</td>
          <td>1,234</td>...
    >>> table_html(pd.DataFrame({"grid": []}))
    '<p>none</p>'
    """
    if not len(frame):
        return f"<p>{html.escape(empty)}</p>"
    return str(frame.to_html(index=False, na_rep="", float_format=float_format))


def td(content: str, *, numeric: bool = False) -> str:
    """Return one table cell of HTML `content` (escape text first), right-aligned when `numeric`.

    Examples
    --------
    >>> td("3", numeric=True)
    '<td class="num">3</td>'
    """
    return f'<td class="num">{content}</td>' if numeric else f"<td>{content}</td>"


def tr(cells: Iterable[str], *, css_class: str | None = None) -> str:
    """Return one table row of cells made by :func:`td`.

    Examples
    --------
    >>> tr([td("a"), td("1", numeric=True)], css_class="principle")
    '<tr class="principle"><td>a</td><td class="num">1</td></tr>'
    """
    opening = "<tr>" if css_class is None else f'<tr class="{html.escape(css_class)}">'
    return opening + "".join(cells) + "</tr>"


def html_table(header: Sequence[str], rows: Iterable[str]) -> str:
    """Return a table of a header row (labels, escaped) and rows made by :func:`tr`.

    Examples
    --------
    >>> print(html_table(["rule", "why"], [tr([td("a"), td("b")])]))
    <table><tr><th>rule</th><th>why</th></tr>
    <tr><td>a</td><td>b</td></tr>
    </table>
    """
    head = "".join(f"<th>{html.escape(label)}</th>" for label in header)
    return "\n".join([f"<table><tr>{head}</tr>", *rows, "</table>"])


def number(value: float | None) -> str:
    """Format a measured value for a table cell: blank when missing, ∞, thousands separators.

    Whole numbers get no decimals, values below 10 three significant digits,
    others one decimal.

    Examples
    --------
    >>> [number(v) for v in (None, float("nan"), float("inf"), 1234.0, 0.04567, 12.345)]
    ['', '', '∞', '1,234', '0.0457', '12.3']
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if math.isinf(value):
        return "∞"
    if float(value).is_integer() and abs(value) < 1e12:
        return f"{value:,.0f}"
    if abs(value) < 10:
        return f"{value:.3g}"
    return f"{value:,.1f}"


def badge(severity: str) -> str:
    """Return a coloured label of a severity (``error``, ``warning``, ``info``; see :data:`STYLE`).

    Examples
    --------
    >>> badge("error")
    '<span class="sev sev-error">error</span>'
    """
    return f'<span class="sev sev-{html.escape(severity)}">{html.escape(severity)}</span>'


def figure_png(figure: Any, *, dpi: int = 110, tight: bool = False) -> bytes:
    """Return a matplotlib figure as PNG bytes and close it.

    Parameters
    ----------
    figure : matplotlib.figure.Figure
        The figure; closed afterwards (it is not shown again).
    dpi : int, default 110
        Resolution.
    tight : bool, default False
        Crop the white margins (``bbox_inches="tight"``).

    Returns
    -------
    bytes
    """
    import matplotlib.pyplot as plt

    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=dpi, bbox_inches="tight" if tight else None)
    plt.close(figure)
    return buffer.getvalue()


def png_html(png: bytes, *, alt: str = "map", css_class: str | None = None) -> str:
    """Return an ``<img>`` that embeds `png` (base64): the page needs no other file.

    Examples
    --------
    >>> png_html(b"PNG", alt="a map", css_class="map")
    '<img class="map" alt="a map" src="data:image/png;base64,UE5H">'
    """
    data = base64.b64encode(png).decode("ascii")
    css = "" if css_class is None else f'class="{html.escape(css_class)}" '
    return f'<img {css}alt="{html.escape(alt)}" src="data:image/png;base64,{data}">'


def figure_html(figure: Any, *, alt: str = "map") -> str:
    """Return a matplotlib figure as an embedded PNG image (cropped, 110 dpi), closing it."""
    return png_html(figure_png(figure, tight=True), alt=alt)


def write_html(path: str | os.PathLike[str], document: str) -> Path:
    """Write an HTML `document` to `path` (UTF-8) atomically and return the path.

    The document goes to a temporary file beside `path`, renamed into place
    when complete (:func:`gridgov._core.atomic.atomic_path`): a failed write
    leaves no file under `path`, and an existing file is replaced only on
    success.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> out = write_html(pathlib.Path(tempfile.mkdtemp()) / "r.html", page("r", []))
    >>> out.read_text(encoding="utf-8").count("<h1>r</h1>")
    1
    """
    return write_text(path, document, encoding="utf-8")
