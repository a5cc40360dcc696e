"""One student's answer as a person reads it in a terminal: the first line that counts the actors
per access class, element lists shortened to a count and the first few names, and the three
groups the demo prints. Pure functions over the plain answers of
:mod:`lineage.questions.student` (no database, no I/O): tests compare whole outputs.

Colour is a parameter (``colors``: a rich colour system name, or ``None`` for plain text, see
:func:`lineage.render.tables.output_colors`); the class colours are the picture's
(:data:`lineage.render.dot.CLASS_STYLE`).
"""

from __future__ import annotations

import textwrap
from collections.abc import Iterable, Sequence

from lineage.render.dot import basis_words, class_label
from lineage.render.tables import cell, paint

#: The access classes, strongest first (the values of ``access`` in an exposure answer).
CLASSES = ("identifiable", "deidentified", "aggregate")

#: Columns of a record of disclosures as a table or CSV (``lineage exposure --view record``,
#: the workspace's download): ``date_recorded`` says whether ``date`` is a day on record or only
#: the first day the disclosure could have included the student (a flow without a date);
#: ``flow`` or ``grant`` names what made the disclosure.
RECORD_COLUMNS = ["date", "date_recorded", "actor_id", "legal_basis", "agreement", "elements",
                  "discloser_id", "redisclosure", "threat", "purpose", "flow", "grant"]

#: Columns of an impact as CSV (``lineage impact --format csv``, the workspace's download).
IMPACT_COLUMNS = ["student", "elements", "first_date", "last_date", "datasets"]

#: Element names a short list shows before "…" (``--wide`` shows them all).
FEW_ELEMENTS = 3


def class_counts(actors: Iterable[dict]) -> dict[str, int]:
    """Actors per access class: ``{"identifiable": n, "deidentified": n, "aggregate": n}``
    (every class present, 0 when none)."""
    counts = dict.fromkeys(CLASSES, 0)
    for a in actors:
        if a.get("access") in counts:
            counts[a["access"]] += 1
    return counts


def exposure_summary(data: dict, student: str, warnings: Sequence[str] = (), *,
                     colors: str | None = None) -> str:
    """The first lines of ``lineage exposure``: who, the actors per class and the period, e.g.
    ``RSD-1001: 10 identifiable · 1 de-identified only · 2 aggregate only (ever)`` (``(as of
    2024-06-01)`` for an answer with ``as_of``), then one ``warning: <line>`` per entry of
    ``warnings``, as given (e.g. "the graph may be incomplete: source X did not finish").

    ``data``: an exposure answer (:func:`lineage.questions.student.exposure`: ``{"student",
    "as_of", "actors": [{"access", ...}]}``). ``student``: how to name the student (the ID the
    user typed, or words such as "This student"; never the pseudonym). Every class is counted,
    0 included. Ends with a newline.
    """
    counts = class_counts(data.get("actors") or [])
    parts = [paint(f"{counts[c]} {class_label(c)}", c, colors) for c in CLASSES]
    period = f"as of {data['as_of']}" if data.get("as_of") else "ever"
    lines = [f"{student}: {' · '.join(parts)} ({period})"]
    lines += [f"warning: {w}" for w in warnings]
    return "\n".join(lines) + "\n"


def short_elements(elements: Sequence[str] | None, few: int = FEW_ELEMENTS) -> str:
    """A list of data elements as a count and the first ``few`` names, in the answer's order:
    ``"22 elements: Date of Birth; Gender; Local ID number; …"``; all of them when there are
    no more than ``few`` (``"1 element: Student Name"``); ``""`` for none."""
    names = list(elements or [])
    if not names:
        return ""
    head = "; ".join(names[:few]) + ("; …" if len(names) > few else "")
    return f"{len(names)} element{'s' if len(names) != 1 else ''}: {head}"


def readable_rows(rows: Iterable[dict], wide: bool) -> list[dict]:
    """``rows`` for a terminal table: each ``elements`` list shortened by
    :func:`short_elements` unless ``wide`` (then the rows as they are)."""
    if wide:
        return list(rows)
    return [{**r, "elements": short_elements(r.get("elements"))} if "elements" in r else r
            for r in rows]


#: The demo's three groups: (class, heading); ``{student}`` is the ID typed.
GROUPS = (
    ("identifiable", "Could see information that identifies {student}"),
    ("deidentified", "Received only de-identified rows (identity removed)"),
    ("aggregate", "Received only counts of many students (aggregate)"),
)


def _why(actor: dict) -> str:
    """How an actor got the data, in a few words: legal bases and agreements."""
    bases = [basis_words(b) for b in actor.get("legal_bases") or []]
    return ", ".join(bases + list(actor.get("agreements") or []))


def demo_answer(data: dict, record: dict, student: str, *, width: int | None = 80,
                colors: str | None = None) -> str:
    """The answer the demo prints, as a person reads it: the summary line
    (:func:`exposure_summary`), then the three groups of the parent report (who could see
    information that identifies the student, who received only de-identified rows, who only
    aggregate counts), one line per actor (``actor_id  name · how``), then the FERPA §99.32
    record of disclosures in one sentence.

    ``data``: an exposure answer; ``record``: a record-of-disclosures answer
    (:func:`lineage.questions.student.record_of_disclosures`); ``student``: the ID typed.
    ``width``: wrap at this many columns (``None``: no wrapping, for a file or a pipe; nothing
    is ever cut). Ends with a newline.
    """
    actors = list(data.get("actors") or [])
    out = [exposure_summary(data, student, colors=colors).rstrip("\n"), ""]
    pad = max((len(a["actor_id"]) for a in actors), default=0)

    def wrap(text: str, indent: str = "", hang: str = "") -> list[str]:
        if width is None:
            return [indent + text]
        return textwrap.wrap(text, width, initial_indent=indent, subsequent_indent=hang,
                             break_on_hyphens=False) or [indent]

    for access, heading in GROUPS:
        members = [a for a in actors if a.get("access") == access]
        if not members:
            continue
        title = f"{heading.format(student=student)} ({len(members)}):"
        out += [paint(line, access, colors) for line in wrap(title)]
        for a in members:
            name = a.get("actor_name") or a["actor_id"]
            how = _why(a)
            text = f"{a['actor_id']:<{pad}}  {name}" + (f" · {how}" if how else "")
            out += wrap(text, "  ", " " * (pad + 4))
        out.append("")
    disclosures = (record or {}).get("disclosures") or []
    sentence = "Record of disclosures (FERPA §99.32): " + (", ".join(
        f"{d['actor_id']} ({d['legal_basis']}, {disclosure_date(d)})" for d in disclosures)
        if disclosures else "none")
    out += wrap(sentence)
    return "\n".join(out) + "\n"


def disclosure_date(d: dict) -> str:
    """The date of a record-of-disclosures entry (``{"date", "date_recorded"}``) as a person
    reads it: ``2025-03-15``; ``date not recorded, from 2024-08-20`` when the disclosing flow has
    no date of its own (the day shown is then only the first it could have included the
    student); ``date not recorded`` without any day."""
    day = d.get("date")
    if d.get("date_recorded", True) and day:
        return str(day)
    return f"date not recorded, from {day}" if day else "date not recorded"


def next_commands(commands: Sequence[tuple[str, str]], *, width: int | None = 80) -> str:
    """"Try next": one ``command`` per line with what it shows after it (``# ...``) when it
    fits ``width``, else on the line below. ``commands``: ``(command, what)`` pairs."""
    out = ["Try next:"]
    for cmd, what in commands:
        line = f"  {cmd}  # {what}"
        if width is None or len(line) <= width:
            out.append(line)
        else:
            out += [f"  {cmd}"] + textwrap.wrap(f"# {what}", width, initial_indent="    ",
                                                 subsequent_indent="    ")
    return "\n".join(out) + "\n"



def shell_command(command: str, width: int | None = 80, indent: str = "  ") -> str:
    """A shell command to copy, indented: on one line when it fits ``width`` (``None``: always),
    else broken after its last ``=`` or space that fits, with a backslash-newline (POSIX shells
    and fish join the lines back into one word, so the continued line starts at column 0).
    A piece that still does not fit is left whole: a command is never cut. Ends with a newline.
    """
    line = indent + command
    if width is None or len(line) <= width:
        return line + "\n"
    room = width - len(indent) - 1  # the backslash
    cut = max(command.rfind("=", 0, room), command.rfind(" ", 0, room))
    if cut <= 0:
        return line + "\n"
    return f"{indent}{command[:cut + 1]}\\\n{command[cut + 1:]}\n"
