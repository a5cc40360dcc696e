"""Seeing one student's lineage: a Graphviz picture (SVG, HTML, PNG) and Neo4j Browser links.

The picture reads left to right: the **student** -> the **datasets** their records reach (through
enrolment coverage, membership, collection, then flows) -> the **actors** that hold or may read
each dataset. Datasets and actors are coloured by the class of the student's information there
(identifiable / de-identified / aggregate, :data:`CLASS_STYLE`); edges carry the flow or grant,
its legal basis, agreement and dates. Everything is drawn offline by Graphviz's ``dot`` (Debian
package ``graphviz``): no network, no CDN, no JavaScript.

Data shapes (plain dicts, as the rest of the library):

* ``exposure_data`` -- what :func:`lineage.answers.exposure` returns:
  ``{"student", "as_of", "actors": [{"actor_id", "actor_name", "role", "access", "elements",
  "first_date", "last_date", "legal_bases", "agreements", "datasets", "accessed", "could"}]}``.
* ``path_data`` (optional, exact hops) -- what :func:`student_paths` returns:
  ``{"student", "as_of", "datasets": {id: {"id", "name", "granularity", "holder", "access"}},
  "steps": [step, ...]}`` where a step has the shape of :func:`lineage.answers.explain_path`'s
  steps: ``{"kind", "via", "from", "to", "elements", "legal_basis", "agreement", "first_date",
  "last_date", "access"}`` plus, by kind, ``legal_bases``/``agreements`` (``holds``), ``scope``
  (``grant``), ``threat``, ``note`` (small cells) and ``covered`` (``access_log``). Kinds:
  ``coverage``/``membership``/``collection`` with ``from = None`` (student -> dataset),
  ``disclosure``/``transformation`` (dataset -> dataset, ``via`` = flow id), ``holds``/``grant``/
  ``access_log`` (dataset -> actor). An ``explain_path`` answer (``{"chains": [[step, ...]]}``)
  is accepted too.

Without ``path_data`` the hops between datasets are drawn from each actor's ``datasets`` list,
taken as one chain (root first): exact when every actor got the data along one chain, which is
the usual case; pass ``path_data`` for branching lineages (an actor fed by two chains).

Errors: :class:`~lineage.errors.RenderError` when ``dot`` is missing or fails, or the output
cannot be written; :class:`~lineage.errors.UsageError` for an output name that is not
``.svg``, ``.html`` or ``.png``.
"""

from __future__ import annotations

import html
import subprocess
import textwrap
import threading
from collections.abc import Iterable
from datetime import date
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

from lineage.core.errors import RenderError, UsageError

#: The Graphviz layout program (a name looked up on PATH, or a full path).
DOT_BINARY = "dot"

#: Seconds ``dot`` may take before :class:`RenderError`.
DOT_TIMEOUT = 120

#: Output formats :func:`render` writes, by file suffix.
FORMATS = (".svg", ".html", ".png")

#: How each class is drawn: border/edge colour, fill colour, and the legend text.
CLASS_STYLE: dict[str, dict[str, str]] = {
    "identifiable": {"color": "#b03a2e", "fill": "#fadbd8", "label": "identifiable",
                     "text": "held or could read records that identify the student"},
    "deidentified": {"color": "#b9770e", "fill": "#fdebd0", "label": "de-identified only",
                     "text": "received the student's row with identifiers removed"},
    "aggregate": {"color": "#1f618d", "fill": "#d6eaf8", "label": "aggregate only",
                  "text": "the student was counted in aggregates"},
}
_NEUTRAL = {"color": "#566573", "fill": "#f2f3f4"}
_RANK = {"identifiable": 3, "deidentified": 2, "aggregate": 1}
_FONT = "Helvetica"
#: Element names shown on an actor before "+ N more" (all are in the node's tooltip).
MAX_ELEMENT_LINES = 4


# -- small helpers -------------------------------------------------------------------------------
def _esc(text: Any) -> str:
    """Escape text for a Graphviz HTML-like label."""
    return html.escape("" if text is None else str(text), quote=True)


def _q(text: Any) -> str:
    """A Graphviz double-quoted string (for ids, plain labels, tooltips)."""
    s = "" if text is None else str(text)
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


class _Html(str):
    """An HTML-like label (``<...>``): written as it is, not quoted."""


def _attrs(**kw: Any) -> str:
    """``[a="x", b=<...>]`` from keyword arguments (``None`` values left out)."""
    parts = [f"{k}={v if isinstance(v, _Html) else _q(v)}" for k, v in kw.items() if v is not None]
    return "[" + ", ".join(parts) + "]"


def _row(text: str | None, *, size: int | None = None, color: str | None = None,
         bold: bool = False, left: bool = False) -> str:
    """One row of an HTML-like table label holding ``text`` (escaped); "" for no text."""
    if not text:
        return ""
    body = _esc(text)
    if bold:
        body = f"<B>{body}</B>"
    font = (f' POINT-SIZE="{size}"' if size else "") + (f' COLOR="{color}"' if color else "")
    if font:
        body = f"<FONT{font}>{body}</FONT>"
    align = ' ALIGN="LEFT"' if left else ""
    return f"<TR><TD{align}>{body}</TD></TR>"


def _table(rows: Iterable[str], extra: str = 'BORDER="0"', spacing: int = 0) -> _Html:
    return _Html(f'<<TABLE {extra} CELLBORDER="0" CELLSPACING="{spacing}" CELLPADDING="1">'
                 + "".join(rows) + "</TABLE>>")


def _basis(value: str | None) -> str:
    """A legal basis in plain words (``school_official`` -> ``school official``)."""
    if not value:
        return ""
    from lineage.core.vocabulary import LegalBasis

    try:
        return LegalBasis(value).label
    except ValueError:
        return value.replace("_", " ")


def _dates(first: str | None, last: str | None) -> str:
    """``2024-08-20 → 2025-06-10``, ``from 2024-08-25`` or ``on 2025-04-10``."""
    if first and last:
        return f"on {first}" if first == last else f"{first} → {last}"
    if first:
        return f"from {first}"
    if last:
        return f"until {last}"
    return ""


def _rank(access: str | None) -> int:
    return _RANK.get(access or "", 0)


def _strongest(values: Iterable[str | None]) -> str | None:
    vals = [v for v in values if v in _RANK]
    return max(vals, key=_rank) if vals else None


def _style(access: str | None) -> dict[str, str]:
    return CLASS_STYLE.get(access or "", _NEUTRAL)


def _class_label(access: str | None) -> str:
    return CLASS_STYLE.get(access or "", {}).get("label", access or "")


def _join(parts: Iterable[str | None], sep: str = " · ") -> str:
    return sep.join(p for p in parts if p)


def _lines(*parts: str | None) -> str:
    return "\n".join(p for p in parts if p)


def _ds(did: str) -> str:
    return "ds:" + did


def _actor_node(a: dict) -> str:
    return f"actor:{a['actor_id']}"


def _steps_of(path_data: dict | None) -> list[dict]:
    """The steps of ``path_data``: its ``steps``, or the flattened ``chains`` of explain_path."""
    if not path_data:
        return []
    if "steps" in path_data:
        return list(path_data["steps"])
    return [s for chain in path_data.get("chains") or [] for s in chain]


# -- the Graphviz source ---------------------------------------------------------------------------
class _Datasets(dict):
    """Dataset id -> {id, name, granularity, holder, access}; ``add`` keeps the strongest class."""

    def __init__(self, info: dict[str, dict]) -> None:
        super().__init__()
        self.info = info

    def add(self, did: str, access: str | None = None) -> None:
        d = self.setdefault(did, {"id": did, "access": None, **(self.info.get(did) or {})})
        d["access"] = _strongest([d.get("access"), access])


def lineage_dot(exposure_data: dict, path_data: dict | None = None, *, title: str = "",
                student_label: str = "student", legend: bool = True) -> str:
    """The Graphviz ``dot`` source of one student's lineage (see the module doc for shapes).

    ``student_label`` is what the student node shows: the ID the user typed, or "student"
    (never pass the pseudonym). ``legend`` adds a key of the colours and shapes (the HTML page
    has its own). Pure: no I/O, no errors beyond ``KeyError`` on malformed input.
    """
    actors = list(exposure_data.get("actors") or [])
    steps = _steps_of(path_data)
    datasets = _Datasets(dict((path_data or {}).get("datasets") or {}))
    if steps:
        for did, info in datasets.info.items():
            datasets.add(did, info.get("access"))
        edges = _step_edges(steps, actors, datasets)
    else:
        edges = _chain_edges(actors, datasets)
    out = [
        "digraph lineage {",
        "  graph " + _attrs(rankdir="LR", fontname=_FONT, fontsize=16, labelloc="t", labeljust="l",
                            nodesep=0.18, ranksep=0.9, pad=0.3, bgcolor="white", label=title,
                            tooltip=title or "lineage") + ";",
        "  node " + _attrs(fontname=_FONT, fontsize=11, style="filled", penwidth=1.4) + ";",
        "  edge " + _attrs(fontname=_FONT, fontsize=9, arrowsize=0.7, penwidth=1.2) + ";",
        "  student " + _attrs(id="student", shape="box", style="rounded,filled,bold",
                              fillcolor="#273746", color="#273746", fontcolor="white", fontsize=13,
                              margin="0.25,0.12", label=student_label, tooltip="the student") + ";",
    ]
    out.extend(_dataset_decl(datasets[did]) for did in sorted(datasets))
    out.extend(_actor_decl(a) for a in actors)
    out.extend(edges)
    if legend:
        out.extend(_legend_dot())
    out.append("}")
    return "\n".join(out) + "\n"


def _edge(src: str, dst: str, **kw: Any) -> str:
    return f"  {_q(src)} -> {_q(dst)} {_attrs(**kw)};"


def _start_text(step: dict) -> str:
    via = step.get("via") or ""
    if via.startswith("coverage:"):
        text = f"enrolled at {via.split(':', 1)[1]}"
    elif step.get("kind") == "membership" or via == "member":
        text = "listed as a member"
    else:
        text = f"collected ({via})" if via else "collected"
    return _join([text, _dates(step.get("first_date"), step.get("last_date"))])


def _step_edges(steps: list[dict], actors: list[dict], datasets: _Datasets) -> list[str]:
    """Edges from exact steps: student -> start datasets, flows, dataset -> actor."""
    by_id = {a["actor_id"]: a for a in actors}
    starts: dict[str, list[str]] = {}
    hops: dict[tuple, dict] = {}
    to_actor: dict[tuple, dict] = {}

    def keep(table: dict, key: tuple, step: dict) -> None:
        if key not in table or _rank(step.get("access")) > _rank(table[key].get("access")):
            table[key] = step

    for s in steps:
        kind, src, dst = s.get("kind"), s.get("from"), s.get("to")
        if kind in ("holds", "grant", "access_log"):
            if dst in by_id and src:
                datasets.add(src)
                keep(to_actor, (src, dst, kind, s.get("via") or ""), s)
        elif src is None:
            datasets.add(dst, s.get("access"))
            starts.setdefault(dst, []).append(_start_text(s))
        else:
            datasets.add(src)
            datasets.add(dst, s.get("access"))
            keep(hops, (src, dst, s.get("via") or ""), s)

    edges = [_edge("student", _ds(did), color="#273746", label=_lines(*dict.fromkeys(texts)))
             for did, texts in starts.items()]
    for (src, dst, via), s in sorted(hops.items()):
        st = _style(s.get("access"))
        label = _lines(_join([via, _basis(s.get("legal_basis")), s.get("agreement")]),
                       _dates(s.get("first_date"), s.get("last_date")), s.get("note"),
                       s.get("threat") and f"threat: {s['threat']}")
        tooltip = _join([via, ", ".join(s.get("elements") or [])], ": ")
        edges.append(_edge(_ds(src), _ds(dst), color=st["color"], fontcolor=st["color"],
                           label=label, tooltip=tooltip))
    for (src, dst, kind, via), s in sorted(to_actor.items()):
        edges.append(_actor_edge(by_id[dst], s, src, kind, via))
    linked = {k[1] for k in to_actor}
    edges.extend(_fallback_actor_edge(a, datasets) for a in actors if a["actor_id"] not in linked)
    return edges


def _actor_edge(a: dict, s: dict, src: str, kind: str, via: str) -> str:
    """The edge from a dataset into an actor: holds, grant or access log."""
    st = _style(s.get("access"))
    colour = {"color": st["color"], "fontcolor": st["color"]}
    if kind == "holds":
        bases, ags = s.get("legal_bases"), s.get("agreements")
        if bases is None:
            bases, ags = a.get("legal_bases") or [], a.get("agreements") or []
        head = _join(["holds", ", ".join(_basis(b) for b in bases), ", ".join(ags or [])])
    elif kind == "grant":
        scope = s.get("scope")
        head = _join([f"grant {via}" + (f" ({scope.replace('_', ' ')})" if scope else ""),
                      _basis(s.get("legal_basis")), s.get("agreement")])
    else:
        covered = s.get("covered", a.get("could", True))
        head = "read (access log)" if covered else "read WITHOUT a grant or flow"
        colour = {"color": "#922b21", "fontcolor": "#922b21", "style": "dashed", "penwidth": 1.8}
    label = _lines(head, _dates(s.get("first_date"), s.get("last_date")))
    return _edge(_ds(src), _actor_node(a), label=label, **colour)


def _actor_edge_label(a: dict) -> str:
    return _lines(_join([", ".join(_basis(b) for b in a.get("legal_bases") or []),
                         ", ".join(a.get("agreements") or [])]),
                  _dates(a.get("first_date"), a.get("last_date")))


def _fallback_actor_edge(a: dict, datasets: _Datasets) -> str:
    """An actor linked from the last dataset of its chain (or the student when it has none)."""
    st = _style(a.get("access"))
    chain = list(a.get("datasets") or [])
    src = "student"
    if chain:
        datasets.add(chain[-1])
        src = _ds(chain[-1])
    return _edge(src, _actor_node(a), color=st["color"], fontcolor=st["color"],
                 label=_actor_edge_label(a), style=None if a.get("could", True) else "dashed")


def _chain_edges(actors: list[dict], datasets: _Datasets) -> list[str]:
    """Edges from the actors' ``datasets`` chains only (no ``path_data``).

    A dataset's class is the strongest class of the actors whose chain contains it.
    """
    roots: list[str] = []
    pairs: dict[tuple[str, str], str | None] = {}
    for a in actors:
        chain = list(a.get("datasets") or [])
        for did in chain:
            datasets.add(did, a.get("access"))
        if chain and chain[0] not in roots:
            roots.append(chain[0])
        for x, y in zip(chain, chain[1:]):
            pairs[(x, y)] = _strongest([pairs.get((x, y)), a.get("access")])
    out = [_edge("student", _ds(r), color="#273746", label="records start here") for r in roots]
    for (x, y), acc in sorted(pairs.items()):
        out.append(_edge(_ds(x), _ds(y), color=_style(acc)["color"]))
    out.extend(_fallback_actor_edge(a, datasets) for a in actors)
    return out


def _dataset_decl(d: dict) -> str:
    did, name, access = d["id"], d.get("name"), d.get("access")
    st = _style(access)
    tag = _class_label(access) or d.get("granularity") or ""
    if d.get("granularity") == "aggregate" and access == "identifiable":
        tag = "aggregate with a small cell → identifiable"
    holder = d.get("holder") and f"held by {d['holder']}"
    rows = [_row(name or did, bold=True),
            _row(_join([did if name else None, holder]), size=9),
            _row(tag, size=9, color=st["color"])]
    return f"  {_q(_ds(did))} " + _attrs(
        id=f"dataset:{did}", **{"class": f"dataset {access or ''}".strip()}, shape="cylinder",
        fillcolor=st["fill"], color=st["color"], margin="0.12,0.06",
        label=_table(rows),
        tooltip=_join([name or did, did])) + ";"


def _actor_decl(a: dict) -> str:
    access = a.get("access")
    st = _style(access)
    could = a.get("could", True)
    cls = _class_label(access)
    rows = [_row(a.get("actor_name") or a["actor_id"], bold=True),
            _row(_join([a["actor_id"], a.get("role")]), size=9),
            _row(_join([cls, _dates(a.get("first_date"), a.get("last_date"))], "  "), size=9,
                 color=st["color"])]
    elements = list(a.get("elements") or [])
    if elements:
        shown = elements[:MAX_ELEMENT_LINES]
        more = len(elements) - len(shown)
        text = "; ".join(shown) + (f"; + {more} more" if more else "")
        rows.extend(_row(line, size=8, left=True) for line in textwrap.wrap(text, 44))
    notes = ["access log: read the record" if a.get("accessed") else None,
             None if could else "no grant or flow covers it"]
    if any(notes):
        rows.append(_row(_join(notes, "; "), size=8, color="#922b21"))
    return f"  {_q(_actor_node(a))} " + _attrs(
        id=_actor_node(a), **{"class": f"actor {access or ''}".strip()}, shape="box",
        style="rounded,filled" + ("" if could else ",dashed"), fillcolor=st["fill"],
        color=st["color"], margin="0.12,0.06", label=_table(rows),
        tooltip=_join([a.get("actor_name"), cls, ", ".join(elements)], " | ")) + ";"


def _legend_dot() -> list[str]:
    rows = ['<TR><TD COLSPAN="2" ALIGN="LEFT"><B>Legend</B></TD></TR>']
    for st in CLASS_STYLE.values():
        swatch = f'<TD BGCOLOR="{st["fill"]}" WIDTH="18" BORDER="1" COLOR="{st["color"]}"> </TD>'
        rows.append(f'<TR>{swatch}<TD ALIGN="LEFT"><FONT COLOR="{st["color"]}">'
                    f'<B>{_esc(st["label"])}</B></FONT>'
                    f'<FONT POINT-SIZE="9"> {_esc(st["text"])}</FONT></TD></TR>')
    for text, colour in (("cylinder = dataset; box = actor; edge = flow or grant with legal basis,"
                          " agreement, dates", None),
                         ("dashed = an access seen in a log (red: no grant or flow covers it)",
                          "#922b21")):
        font = f' COLOR="{colour}"' if colour else ""
        rows.append(f'<TR><TD COLSPAN="2" ALIGN="LEFT"><FONT POINT-SIZE="9"{font}>{_esc(text)}'
                    "</FONT></TD></TR>")
    label = _table(rows, 'BORDER="1" COLOR="#aab7b8"', spacing=2)
    return ["  legend " + _attrs(id="legend", shape="plaintext", style="", label=label) + ";",
            "  { rank=min; student; legend; }"]


# -- running dot -----------------------------------------------------------------------------------
def run_dot(source: str, fmt: str = "svg", *, dpi: int | None = None) -> bytes:
    """Lay out ``source`` with Graphviz ``dot -T<fmt>``; return the output bytes.

    Raises :class:`RenderError` when ``dot`` is not installed (naming the Debian package
    ``graphviz``), fails, or takes longer than :data:`DOT_TIMEOUT` seconds.
    """
    cmd = [DOT_BINARY, f"-T{fmt}"]
    if dpi:
        cmd.append(f"-Gdpi={dpi}")
    try:
        proc = subprocess.run(cmd, input=source.encode("utf-8"), capture_output=True,
                              timeout=DOT_TIMEOUT, check=False)
    except FileNotFoundError:
        raise RenderError(
            f"cannot draw the picture: Graphviz '{DOT_BINARY}' is not installed",
            hint="install Graphviz: 'apt-get install -y graphviz' (Debian/Ubuntu package "
                 "graphviz; 'brew install graphviz' on macOS)") from None
    except subprocess.TimeoutExpired:
        raise RenderError(f"Graphviz '{DOT_BINARY}' took longer than {DOT_TIMEOUT} s") from None
    except OSError as exc:
        raise RenderError(f"cannot run Graphviz '{DOT_BINARY}': {exc.strerror or exc}") from None
    if proc.returncode != 0 or not proc.stdout:
        detail = proc.stderr.decode("utf-8", "replace").strip().splitlines()[:3]
        raise RenderError("Graphviz failed to draw the picture"
                          + (f": {' '.join(detail)}" if detail else ""))
    return proc.stdout


def _strip_prolog(svg: str) -> str:
    """Drop the XML declaration, DOCTYPE and leading comments: the text from ``<svg`` on."""
    i = svg.find("<svg")
    return svg[i:] if i >= 0 else svg


def lineage_svg(exposure_data: dict, *, title: str = "", path_data: dict | None = None,
                student_label: str = "student", legend: bool = True) -> str:
    """The picture as inline SVG text (no XML prolog), to embed in an HTML page or report.

    Raises :class:`RenderError` when Graphviz is missing or fails.
    """
    src = lineage_dot(exposure_data, path_data, title=title, student_label=student_label,
                      legend=legend)
    return _strip_prolog(run_dot(src, "svg").decode("utf-8"))


def default_title(exposure_data: dict, student_label: str = "student") -> str:
    """"Who could have touched <label>'s information (ever | as of DATE)"."""
    as_of = exposure_data.get("as_of")
    return f"Who could have touched {student_label}'s information" + (
        f" (as of {as_of})" if as_of else " (ever)")


_PAGE_CSS = """
body{font-family:Helvetica,Arial,sans-serif;margin:0;color:#1c2833;background:#fff}
header{padding:16px 24px 8px;border-bottom:1px solid #d5d8dc}
h1{font-size:20px;margin:0 0 4px} p.sub{margin:0;color:#566573;font-size:13px}
.legend{display:flex;flex-wrap:wrap;gap:18px;padding:10px 24px;font-size:13px}
.legend span.sw{display:inline-block;width:14px;height:14px;border:2px solid;border-radius:3px;
 vertical-align:middle;margin-right:6px}
.figure{overflow:auto;padding:8px 24px}
#fit{margin-left:24px}
.fit{font-size:13px;color:#566573}
#fit:checked ~ .figure svg{width:100%;height:auto}
table{border-collapse:collapse;margin:8px 24px 24px;font-size:12px}
th,td{border-bottom:1px solid #e5e8e8;padding:4px 8px;text-align:left;vertical-align:top}
th{background:#f4f6f6} td.cls{font-weight:bold}
footer{padding:0 24px 24px;color:#808b96;font-size:11px}
"""


def lineage_html(exposure_data: dict, *, title: str = "", path_data: dict | None = None,
                 student_label: str = "student") -> str:
    """A small self-contained HTML page: title, legend, the inline SVG and a table of actors.

    No script, no external resource (works offline). Raises :class:`RenderError` (Graphviz).
    """
    title = title or default_title(exposure_data, student_label)
    svg = lineage_svg(exposure_data, title="", path_data=path_data, student_label=student_label,
                      legend=False)
    actors = exposure_data.get("actors") or []
    legend = []
    for key, st in CLASS_STYLE.items():
        n = sum(1 for a in actors if a.get("access") == key)
        swatch = (f'<span class="sw" style="background:{st["fill"]};'
                  f'border-color:{st["color"]}"></span>')
        legend.append(f'<div class="item">{swatch}<b style="color:{st["color"]}">'
                      f'{_esc(st["label"])}</b> ({n}): {_esc(st["text"])}</div>')
    legend.append('<div class="item">cylinder = dataset, box = actor; edges: flow or grant, legal'
                  " basis, agreement, dates; dashed = access seen in a log</div>")
    rows = []
    for a in actors:
        colour = _style(a.get("access"))["color"]
        bases = ", ".join(_basis(b) for b in a.get("legal_bases") or [])
        agreements = ", ".join(a.get("agreements") or [])
        log = ("yes" if a.get("accessed") else "") + ("" if a.get("could", True)
                                                      else " (no grant or flow)")
        cells = [f"{_esc(a.get('actor_name'))}<br><small>{_esc(a['actor_id'])}</small>",
                 _esc(a.get("role")),
                 f'<b style="color:{colour}">{_esc(_class_label(a.get("access")))}</b>',
                 _esc(_dates(a.get("first_date"), a.get("last_date"))),
                 _esc(bases) + (f"<br>{_esc(agreements)}" if agreements else ""),
                 _esc("; ".join(a.get("elements") or [])),
                 _esc(" → ".join(a.get("datasets") or [])),
                 _esc(log)]
        rows.append("<tr>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
    heads = ["actor", "role", "class", "when", "legal basis / agreement", "elements", "datasets",
             "accessed (log)"]
    return "\n".join([
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{_esc(title)}</title><style>{_PAGE_CSS}</style></head><body>",
        f'<header><h1>{_esc(title)}</h1><p class="sub">{len(actors)} actors. Made by'
        " <code>lineage graph</code>: the answer of <code>lineage exposure</code>, with each hop"
        " the student's records took.</p></header>",
        f'<section class="legend">{"".join(legend)}</section>',
        '<input type="checkbox" id="fit"><label class="fit" for="fit">fit the picture to the'
        " window width</label>",
        f'<section class="figure">\n{svg}\n</section>',
        "<table><thead><tr>" + "".join(f"<th>{h}</th>" for h in heads) + "</tr></thead><tbody>",
        *rows,
        "</tbody></table>",
        "<footer>Student identifiers are pseudonymous in the graph; this page shows only the"
        " label given when it was made.</footer>",
        "</body></html>",
    ]) + "\n"


def render(exposure_data: dict, out: Path, *, path_data: dict | None = None, title: str = "",
           student_label: str = "student", dpi: int = 110) -> Path:
    """Write the picture to ``out``; the suffix picks the format: ``.svg``, ``.html``, ``.png``.

    Returns ``out``. Raises :class:`UsageError` for another suffix and :class:`RenderError` when
    Graphviz is missing or fails or the file cannot be written.
    """
    out = Path(out)
    suffix = out.suffix.lower()
    if suffix not in FORMATS:
        raise UsageError(f"--out must end with {', '.join(FORMATS)}: got {out.name!r}")
    title = title or default_title(exposure_data, student_label)
    if suffix == ".html":
        data = lineage_html(exposure_data, title=title, path_data=path_data,
                            student_label=student_label).encode("utf-8")
    else:
        src = lineage_dot(exposure_data, path_data, title=title, student_label=student_label)
        data = run_dot(src, suffix[1:], dpi=dpi if suffix == ".png" else None)
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_bytes(data)
    except OSError as exc:
        raise RenderError(f"cannot write {out}: {exc.strerror or exc}") from None
    return out


# -- exact hops from the graph ---------------------------------------------------------------------
def _iso(value: Any) -> str | None:
    from lineage.core.windows import to_date

    d = to_date(value) if value is not None else None
    return d.isoformat() if d else None


def _dataset_info(d: dict, access: str | None) -> dict:
    return {"id": d.get("id"), "name": d.get("name"), "granularity": d.get("granularity"),
            "holder": (d.get("holder") or {}).get("id"), "access": access}


def student_paths(store, pseudo, student_id: str, *, as_of: date | None = None) -> dict[str, Any]:
    """Every hop of one student's lineage, evaluated by the rules (one evaluation for all actors).

    Returns ``path_data`` (see the module doc): the datasets reached with their class, and the
    steps -- starts, flows between datasets (with the student's own windows), and the edges
    into each actor (``holds`` with the bases/agreements of the flows into the dataset,
    ``grant`` only when its scope includes the student, ``access_log``). Raises
    :class:`~lineage.errors.NotFoundError` for an unknown student.
    """
    from lineage.questions.student import student_lineage
    from lineage.core.windows import to_date

    sl = student_lineage(store, pseudo, student_id, as_of)
    lin = sl.lineage
    exposures = {e.actor_id: e for e in lin.exposures(sl.actors)}
    datasets: dict[str, dict] = {}
    steps: list[dict] = []
    for did, levels in lin.reach.items():
        datasets[did] = _dataset_info(lin.ds[did], max(levels, key=lambda lv: lv.rank).value)
        for level, reach in levels.items():
            steps.extend(s.as_dict(did, level) for s in reach.steps)
    for e in lin.entries():  # the edges into actors, by the same rule as exposures()
        if e.actor_id not in exposures:
            continue
        step = e.as_dict()
        if e.grant is None:
            step["legal_bases"] = sorted({s.legal_basis for s in e.reach.steps if s.legal_basis})
            step["agreements"] = sorted({s.agreement for s in e.reach.steps if s.agreement})
        steps.append(step)
    for a in lin.ctx.accesses:
        at = to_date(a.get("at"))
        exp = exposures.get(a["actor"])
        if (as_of and at and at > as_of) or exp is None or not a.get("dataset"):
            continue
        did = a["dataset"]
        if did not in datasets:
            datasets[did] = _dataset_info(lin.ds.get(did) or {"id": did}, None)
        steps.append({"kind": "access_log", "via": a.get("action") or "read", "from": did,
                      "to": a["actor"], "elements": list(a.get("elements") or exp.elements),
                      "legal_basis": None, "agreement": None, "first_date": _iso(at),
                      "last_date": _iso(at), "access": exp.access.value, "covered": exp.could})
    return {"student": sl.key, "as_of": as_of.isoformat() if as_of else None,
            "datasets": datasets, "steps": steps}


# -- Neo4j Browser ---------------------------------------------------------------------------------
def browser_base(http_port: int, bolt_uri: str) -> str:
    """``http://<host of the Bolt URI>:<http_port>/browser/`` (the local server's Browser)."""
    host = urlsplit(bolt_uri).hostname or "127.0.0.1"
    if ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{http_port}/browser/"


def param_command(student_key: str) -> str:
    """The Browser command that sets the query's parameter: ``:param student_key => '<key>'``."""
    return f":param student_key => '{_check_key(student_key)}'"


def _check_key(student_key: str) -> str:
    if not student_key or not all(c in "0123456789abcdef" for c in student_key):
        raise UsageError("internal: a student key is a lowercase hex pseudonym")
    return student_key


def browser_query_text(student_key: str | None = None) -> str:
    """``cypher/queries/browse_exposure.cypher`` for Browser's editor, without its long header.

    Without ``student_key``: the statement as it is (it reads ``$student_key``; run
    :func:`param_command` first). With it: the one-run form ``lineage browse`` links to --
    the parameter written in as ``WITH '<key>' AS student_key`` on the first line, because
    Browser draws a graph only for a single statement (a ``:param ...;`` + query script shows
    summaries only) and does not keep parameters across page loads. The key must be a hex
    pseudonym (:class:`UsageError` otherwise), so nothing but hex digits is written in.
    """
    from lineage.graph.cypher import query

    lines = query("queries/browse_exposure").splitlines()
    while lines and lines[0].lstrip().startswith("//"):
        lines.pop(0)
    body = "\n".join(lines).strip()
    if student_key is None:
        return "// One student's lineage (cypher/queries/browse_exposure.cypher)\n" + body
    key = _check_key(student_key)
    if body.count("$student_key") != 1:
        raise UsageError("internal: browse_exposure.cypher must read $student_key exactly once")
    return (f"// lineage browse: cypher/queries/browse_exposure.cypher with {param_command(key)}"
            f" written in\nWITH '{key}' AS student_key\n"
            + body.replace("$student_key", "student_key"))


def browse_url(editor_text: str, *, base: str, bolt_uri: str | None = None,
               user: str | None = None, no_auth: bool = True, database: str | None = None,
               cmd: str = "edit") -> str:
    """A Neo4j Browser URL that opens with ``editor_text`` in the editor, ready to run
    (Browser URL parameters ``cmd=edit&arg=...``; Browser never runs it by itself). With
    ``cmd="play"`` the editor holds ``:play <editor_text>`` (a guide URL).

    ``bolt_uri`` pre-fills the connection (``dbms=``, the server the lineage commands use);
    ``no_auth`` preselects "No authentication" (else the user name is pre-filled). Browser
    decodes the whole URL before reading ``arg``, so the text must not contain ``&`` or ``#``:
    raises :class:`UsageError` if it does.
    """
    if "&" in editor_text or "#" in editor_text:
        raise UsageError("internal: a Browser editor text must not contain '&' or '#'")
    params = []
    if bolt_uri:
        parts = urlsplit(bolt_uri)
        netloc = parts.netloc.rsplit("@", 1)[-1]
        if user and not no_auth:
            netloc = f"{user}@{netloc}"
        params.append("dbms=" + quote(f"{parts.scheme}://{netloc}", safe=""))
    if database:
        params.append("db=" + quote(database, safe=""))
    params.append("preselectAuthMethod=" + ("NO_AUTH" if no_auth else "NATIVE"))
    if cmd not in ("edit", "play", "param", "params"):
        raise UsageError(f"internal: Browser has no URL command {cmd!r}")
    params.append(f"cmd={cmd}")
    params.append("arg=" + quote(editor_text, safe=""))
    sep = "&" if "?" in base else "?"
    return base + sep + "&".join(params)


def browser_dir() -> Path:
    """The folder holding ``style.grass`` and ``guide.html``."""
    from lineage.core.resources import cypher_dir

    return cypher_dir() / "browser"


class _GuideHandler(SimpleHTTPRequestHandler):
    """Static files with CORS (Browser fetches a guide from its own page's origin)."""

    def end_headers(self) -> None:  # noqa: D102
        self.send_header("Access-Control-Allow-Origin", "*")
        self.send_header("Cache-Control", "no-store")
        super().end_headers()

    def do_OPTIONS(self) -> None:  # noqa: N802 - CORS preflight (Browser sends no-cache headers)
        self.send_response(204)
        self.send_header("Access-Control-Allow-Methods", "GET, HEAD, OPTIONS")
        self.send_header("Access-Control-Allow-Headers",
                         self.headers.get("Access-Control-Request-Headers") or "*")
        self.send_header("Access-Control-Max-Age", "600")
        self.end_headers()

    def log_message(self, *args: Any) -> None:  # noqa: D102 - quiet
        return


def serve_guide(port: int = 8001, host: str = "localhost") -> tuple[ThreadingHTTPServer, str]:
    """Serve :func:`browser_dir` over HTTP with CORS in a background thread.

    Returns ``(server, guide_url)``; stop with ``server.shutdown()``. Browser plays guides only
    from hosts in ``browser.remote_content_hostname_allowlist`` (default ``localhost``).
    Raises :class:`RenderError` when the port cannot be opened.
    """
    handler = partial(_GuideHandler, directory=str(browser_dir()))
    try:
        server = ThreadingHTTPServer((host, port), handler)
    except OSError as exc:
        raise RenderError(f"cannot serve the guide on {host}:{port}: {exc.strerror or exc}",
                          hint="pick another port with --guide-port") from None
    thread = threading.Thread(target=server.serve_forever, name="lineage-guide", daemon=True)
    thread.start()
    return server, f"http://{host}:{server.server_address[1]}/guide.html"
