"""Documents: the parent's report and the public data inventory (Markdown, HTML, PDF through the
Jinja2 templates in ``lineage/templates/``), the inventory CSV, and the picture written to a file
(``.svg``, ``.html`` page from ``templates/picture.html.j2``, ``.png``).

Errors: :class:`~lineage.core.errors.RenderError` (a template, WeasyPrint or Graphviz fails, or
the file cannot be written); :class:`~lineage.core.errors.UsageError` for a picture suffix that is
not one of :data:`lineage.render.tables.PICTURE_SUFFIXES`.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from lineage.core.errors import RenderError, UsageError
from lineage.core.pseudonym import Pseudonymizer
from lineage.graph.store import Store
from lineage.questions.reports import ACCESS_LABELS, role_words
from lineage.render.answers import disclosure_date
from lineage.render.dot import (
    CLASS_STYLE,
    access_style,
    basis_words,
    class_label,
    date_span,
    default_title,
    esc,
    lineage_dot,
    lineage_svg,
    run_dot,
)
from lineage.render.tables import PICTURE_SUFFIXES, cell, render_csv


def lineage_html(exposure_data: dict, *, title: str = "", path_data: dict | None = None,
                 student_label: str = "student") -> str:
    """A small self-contained HTML page (``templates/picture.html.j2``): title, legend, the inline
    SVG and a table of actors. No script, no external resource (works offline).
    Raises :class:`RenderError` (Graphviz or the template).
    """
    from markupsafe import Markup

    title = title or default_title(exposure_data, student_label)
    svg = lineage_svg(exposure_data, title="", path_data=path_data, student_label=student_label,
                      legend=False)
    actors = exposure_data.get("actors") or []
    legend = [{**st, "n": sum(1 for a in actors if a.get("access") == key)}
              for key, st in CLASS_STYLE.items()]
    rows = [{"name": a.get("actor_name"), "id": a["actor_id"], "role": a.get("role"),
             "colour": access_style(a.get("access"))["color"],
             "cls": class_label(a.get("access")),
             "dates": date_span(a.get("first_date"), a.get("last_date")),
             "bases": ", ".join(basis_words(b) for b in a.get("legal_bases") or []),
             "agreements": ", ".join(a.get("agreements") or []),
             "elements": "; ".join(a.get("elements") or []),
             "datasets": " → ".join(a.get("datasets") or []),
             "log": ("yes" if a.get("accessed") else "")
             + ("" if a.get("could", True) else " (no grant or flow)")}
            for a in actors]
    heads = ["actor", "role", "class", "when", "legal basis / agreement", "elements", "datasets",
             "accessed (log)"]
    return render_template("picture.html.j2", title=title, actors=actors, legend=legend,
                           rows=rows, heads=heads, svg=Markup(svg))


def check_picture_path(out: Path) -> None:
    """Raise :class:`UsageError` unless ``out`` ends with a picture suffix (``.svg``, ``.html``,
    ``.png``): checked before any work (and before the look-up is recorded)."""
    if Path(out).suffix.lower() not in PICTURE_SUFFIXES:
        raise UsageError(f"--out must end with {', '.join(PICTURE_SUFFIXES)}: got {Path(out).name!r}")


def render_picture(exposure_data: dict, out: Path, *, path_data: dict | None = None, title: str = "",
           student_label: str = "student", dpi: int = 110) -> Path:
    """Write the picture to ``out``; the suffix picks the format: ``.svg``, ``.html``, ``.png``.

    Returns ``out``. Raises :class:`UsageError` for another suffix and :class:`RenderError` when
    Graphviz is missing or fails or the file cannot be written.
    """
    out = Path(out)
    check_picture_path(out)
    suffix = out.suffix.lower()
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


TEMPLATES_DIR = Path(__file__).resolve().parent.parent / "templates"


INVENTORY_CSV_COLUMNS = [
    "section", "recipient_id", "recipient", "role", "access", "element_count", "elements",
    "purposes", "legal_bases", "citations", "agreements", "agreement_dates", "population",
    "datasets", "min_cell_size", "suppressed",
]


_MD_ESCAPES = str.maketrans({"\\": "\\\\", "|": "\\|", "[": "\\[", "]": "\\]", "`": "\\`",
                             "<": "&lt;", ">": "&gt;", "&": "&amp;", "\r": " ", "\n": " "})


def _md(value: Any) -> str:
    """A value as Markdown text on one line (a table cell, a heading, a list item): lists joined
    by '; '; pipes, brackets and backticks backslash-escaped, ``< > &`` as HTML entities, line
    breaks as spaces. A name such as ``<script>`` or ``[x](javascript:...)`` from an inventory
    is shown as text by every Markdown renderer, never run or linked."""
    return cell(value).translate(_MD_ESCAPES)


def _env():
    import jinja2
    from markupsafe import Markup

    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES_DIR)),
        autoescape=jinja2.select_autoescape(enabled_extensions=("html", "html.j2"),
                                            default_for_string=False),
        trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True,
        undefined=jinja2.StrictUndefined,
    )
    env.filters["md"] = _md
    env.filters["x"] = lambda v: Markup(esc(v))  # html.escape, as the DOT labels
    env.filters["cell"] = cell
    env.filters["when"] = disclosure_date
    env.filters["role"] = role_words
    env.filters["access"] = lambda a: ACCESS_LABELS.get(a or "", a or "")
    env.filters["basis"] = lambda b: (f"{b['label']} ({b['citation']})" if b and b.get("citation")
                                      else (b or {}).get("label", ""))
    return env


def render_template(name: str, **context: Any) -> str:
    """Render ``lineage/templates/<name>`` with ``context``. Raises :class:`RenderError`."""
    import jinja2

    try:
        return _env().get_template(name).render(**context)
    except jinja2.TemplateError as exc:
        raise RenderError(f"template {name} could not be rendered: {exc}") from None


PDF_HINT = ("install WeasyPrint (pip install 'student-data-lineage[pdf]') and its system "
            "libraries (Debian/Ubuntu: apt-get install -y libpango-1.0-0 libpangoft2-1.0-0)")


def html_to_pdf(html: str) -> bytes:
    """Render an HTML document to PDF bytes with WeasyPrint.

    Raises :class:`RenderError` naming what to install when WeasyPrint or its system
    libraries (Pango) are missing, or when rendering fails.
    """
    try:
        from weasyprint import HTML
    except ImportError as exc:
        raise RenderError(f"PDF output needs WeasyPrint, which is not installed ({exc.name})",
                          hint=PDF_HINT) from None
    except OSError as exc:  # WeasyPrint present, Pango/GObject shared libraries missing
        raise RenderError(f"PDF output needs the Pango library, which could not be loaded "
                          f"({exc})", hint=PDF_HINT) from None
    try:
        return HTML(string=html, base_url=str(TEMPLATES_DIR)).write_pdf()
    except Exception as exc:  # noqa: BLE001 - any rendering failure becomes a RenderError
        raise RenderError(f"the PDF could not be rendered: {type(exc).__name__}: {exc}") from None


def student_picture(store: Store, pseudo: Pseudonymizer, report: dict[str, Any]) -> tuple[str | None, str | None]:
    """The lineage picture of a report as inline SVG: ``(svg, None)``, or ``(None, why)`` when
    the picture module or Graphviz is missing (the report then shows a table instead).

    The picture names the student only by the typed ID (``report["student"]``).
    """
    try:
        from lineage.render.dot import lineage_svg  # noqa: F811 (may be missing)
    except ImportError as exc:
        return None, f"the picture module is not available ({exc})"
    exposure = {"student": report["student"], "as_of": report["as_of"],
                "actors": report["exposure"]["actors"]}
    try:
        path_data = None
        try:
            from lineage.questions.picture import student_paths
        except ImportError:
            student_paths = None
        if student_paths is not None:
            as_of = date.fromisoformat(report["as_of"]) if report["as_of"] else None
            path_data = student_paths(store, pseudo, report["student"], as_of=as_of)
            path_data = {**path_data, "student": report["student"]}
        return lineage_svg(exposure, path_data=path_data, student_label=report["student"]), None
    except RenderError as exc:
        return None, exc.message


def report_markdown(report: dict[str, Any]) -> str:
    """The parent's report as Markdown (``templates/report.md.j2``)."""
    return render_template("report.md.j2", r=report)


def report_html(report: dict[str, Any], picture: str | None = None,
                picture_note: str | None = None) -> str:
    """The parent's report as one self-contained HTML page (``templates/report.html.j2``).

    ``picture`` is inline SVG (see :func:`student_picture`); without it a table of who holds
    what stands in its place, with ``picture_note`` saying why.
    """
    return render_template("report.html.j2", r=report, picture=picture,
                           picture_note=picture_note)


def report_pdf(report: dict[str, Any], picture: str | None = None,
               picture_note: str | None = None) -> bytes:
    """The parent's report as PDF (the HTML rendered by WeasyPrint). Raises :class:`RenderError`."""
    return html_to_pdf(report_html(report, picture, picture_note))


def _agreement_text(ag: dict) -> str:
    kind = f"{ag['kind']}, " if ag.get("kind") else ""
    return f"{ag['id']} ({kind}{ag.get('valid_from') or 'open'}..{ag.get('valid_to') or 'open'})"


def inventory_csv(inv: dict[str, Any]) -> str:
    """The inventory as CSV: one row per recipient (:data:`INVENTORY_CSV_COLUMNS`); ``section``
    is ``recipient``, ``aggregate`` or ``case_by_case``. Lists are joined by '; '."""
    rows = []
    for r in inv["recipients"]:
        rows.append({
            "section": "recipient", "recipient_id": r["id"], "recipient": r["name"],
            "role": r["role"], "access": r["access"], "element_count": r["element_count"],
            "elements": r["elements"], "purposes": r["purposes"],
            "legal_bases": [b["label"] for b in r["bases"]],
            "citations": [b["citation"] for b in r["bases"]],
            "agreements": [a["id"] for a in r["agreements"]],
            "agreement_dates": [_agreement_text(a) for a in r["agreements"]],
            "population": r["populations"], "datasets": r["datasets"]})
    for a in inv["aggregates"]:
        rows.append({
            "section": "aggregate", "recipient_id": a["recipient_id"],
            "recipient": a["recipient"], "role": a["role"], "access": "aggregate",
            "element_count": 0, "purposes": a["purposes"],
            "legal_bases": [b["label"] for b in a["bases"]],
            "citations": [b["citation"] for b in a["bases"]],
            "agreements": [x["id"] for x in a["agreements"]],
            "agreement_dates": [_agreement_text(x) for x in a["agreements"]],
            "datasets": [a["dataset"]], "min_cell_size": a["min_cell_size"],
            "suppressed": a["suppressed"]})
    for c in inv["case_by_case"]:
        rows.append({
            "section": "case_by_case", "recipient_id": c["id"], "recipient": c["name"],
            "role": c["role"], "access": "identifiable", "element_count": c["element_count"],
            "elements": c["elements"], "legal_bases": [b["label"] for b in c["bases"]],
            "citations": [b["citation"] for b in c["bases"]]})
    return render_csv(rows, INVENTORY_CSV_COLUMNS)


def inventory_markdown(inv: dict[str, Any]) -> str:
    """The inventory as Markdown (``templates/inventory.md.j2``)."""
    return render_template("inventory.md.j2", inv=inv)


def inventory_html(inv: dict[str, Any]) -> str:
    """The inventory as one self-contained HTML page (``templates/inventory.html.j2``)."""
    return render_template("inventory.html.j2", inv=inv)
