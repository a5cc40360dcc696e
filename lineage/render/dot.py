"""Seeing one student's lineage: a Graphviz picture (SVG, HTML, PNG) and Neo4j Browser links.

The picture reads left to right: the **student** -> the **datasets** their records reach (through
enrolment coverage, membership, collection, then flows) -> the **actors** that hold or may read
each dataset. Datasets and actors are coloured by the class of the student's information there
(identifiable / de-identified / aggregate, :data:`CLASS_STYLE`); edges carry the flow or grant,
its legal basis, agreement and dates. Everything is drawn offline by Graphviz's ``dot`` (Debian
package ``graphviz``): no network, no CDN, no JavaScript.

Data shapes (plain dicts, as the rest of the library):

* ``exposure_data`` -- what :func:`lineage.questions.student.exposure` returns:
  ``{"student", "as_of", "actors": [{"actor_id", "actor_name", "role", "access", "elements",
  "first_date", "last_date", "legal_bases", "agreements", "datasets", "accessed", "could"}]}``.
* ``path_data`` (optional, exact hops) -- what :func:`student_paths` returns:
  ``{"student", "as_of", "datasets": {id: {"id", "name", "granularity", "holder", "access"}},
  "steps": [step, ...]}`` where a step has the shape of :func:`lineage.questions.student.explain_path`'s
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

Errors: :class:`~lineage.core.errors.RenderError` when ``dot`` is missing or fails, or the output
cannot be written; :class:`~lineage.core.errors.UsageError` for an output name that is not
``.svg``, ``.html`` or ``.png``.
"""

from __future__ import annotations

import html
import subprocess
import textwrap
from collections.abc import Iterable
from typing import Any

from lineage.core.errors import RenderError
from lineage.core.vocabulary import Access, LegalBasis

#: The Graphviz layout program (a name looked up on PATH, or a full path).
DOT_BINARY = "dot"

#: Seconds ``dot`` may take before :class:`RenderError`.
DOT_TIMEOUT = 120


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
_FONT = "Helvetica"
#: Element names shown on an actor before "+ N more" (all are in the node's tooltip).
MAX_ELEMENT_LINES = 4


# -- small helpers -------------------------------------------------------------------------------
def esc(text: Any) -> str:
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
    body = esc(text)
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


def basis_words(value: str | None) -> str:
    """A legal basis in plain words (``school_official`` -> ``school official``)."""
    if not value:
        return ""
    try:
        return LegalBasis(value).label
    except ValueError:
        return value.replace("_", " ")


def date_span(first: str | None, last: str | None) -> str:
    """``2024-08-20 → 2025-06-10``, ``from 2024-08-25`` or ``on 2025-04-10``."""
    if first and last:
        return f"on {first}" if first == last else f"{first} → {last}"
    if first:
        return f"from {first}"
    if last:
        return f"until {last}"
    return ""


def _rank(access: str | None) -> int:
    """:attr:`Access.rank` of a class name; 0 for none or an unknown one."""
    try:
        return Access(access).rank
    except ValueError:
        return 0


def _strongest(values: Iterable[str | None]) -> str | None:
    vals = [v for v in values if _rank(v)]
    return max(vals, key=_rank) if vals else None


def access_style(access: str | None) -> dict[str, str]:
    return CLASS_STYLE.get(access or "", _NEUTRAL)


def class_label(access: str | None) -> str:
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
    return _join([text, date_span(step.get("first_date"), step.get("last_date"))])


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
        st = access_style(s.get("access"))
        label = _lines(_join([via, basis_words(s.get("legal_basis")), s.get("agreement")]),
                       date_span(s.get("first_date"), s.get("last_date")), s.get("note"),
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
    st = access_style(s.get("access"))
    colour = {"color": st["color"], "fontcolor": st["color"]}
    if kind == "holds":
        bases, ags = s.get("legal_bases"), s.get("agreements")
        if bases is None:
            bases, ags = a.get("legal_bases") or [], a.get("agreements") or []
        head = _join(["holds", ", ".join(basis_words(b) for b in bases), ", ".join(ags or [])])
    elif kind == "grant":
        scope = s.get("scope")
        head = _join([f"grant {via}" + (f" ({scope.replace('_', ' ')})" if scope else ""),
                      basis_words(s.get("legal_basis")), s.get("agreement")])
    else:
        covered = s.get("covered", a.get("could", True))
        head = "read (access log)" if covered else "read WITHOUT a grant or flow"
        colour = {"color": "#922b21", "fontcolor": "#922b21", "style": "dashed", "penwidth": 1.8}
    label = _lines(head, date_span(s.get("first_date"), s.get("last_date")))
    return _edge(_ds(src), _actor_node(a), label=label, **colour)


def _actor_edge_label(a: dict) -> str:
    return _lines(_join([", ".join(basis_words(b) for b in a.get("legal_bases") or []),
                         ", ".join(a.get("agreements") or [])]),
                  date_span(a.get("first_date"), a.get("last_date")))


def _fallback_actor_edge(a: dict, datasets: _Datasets) -> str:
    """An actor linked from the last dataset of its chain (or the student when it has none)."""
    st = access_style(a.get("access"))
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
        out.append(_edge(_ds(x), _ds(y), color=access_style(acc)["color"]))
    out.extend(_fallback_actor_edge(a, datasets) for a in actors)
    return out


def _dataset_decl(d: dict) -> str:
    did, name, access = d["id"], d.get("name"), d.get("access")
    st = access_style(access)
    tag = class_label(access) or d.get("granularity") or ""
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
    st = access_style(access)
    could = a.get("could", True)
    cls = class_label(access)
    rows = [_row(a.get("actor_name") or a["actor_id"], bold=True),
            _row(_join([a["actor_id"], a.get("role")]), size=9),
            _row(_join([cls, date_span(a.get("first_date"), a.get("last_date"))], "  "), size=9,
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
                    f'<B>{esc(st["label"])}</B></FONT>'
                    f'<FONT POINT-SIZE="9"> {esc(st["text"])}</FONT></TD></TR>')
    for text, colour in (("cylinder = dataset; box = actor; edge = flow or grant with legal basis,"
                          " agreement, dates", None),
                         ("dashed = an access seen in a log (red: no grant or flow covers it)",
                          "#922b21")):
        font = f' COLOR="{colour}"' if colour else ""
        rows.append(f'<TR><TD COLSPAN="2" ALIGN="LEFT"><FONT POINT-SIZE="9"{font}>{esc(text)}'
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


