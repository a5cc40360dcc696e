"""Exact hops of one student's lineage for the picture: one evaluation of the rules, shaped as
``path_data`` (see :mod:`lineage.render.dot`)."""

from __future__ import annotations

from datetime import date
from typing import Any

from lineage.core.windows import iso, to_date
from lineage.questions.student import student_lineage


def _dataset_info(d: dict, access: str | None) -> dict:
    return {"id": d.get("id"), "name": d.get("name"), "granularity": d.get("granularity"),
            "holder": (d.get("holder") or {}).get("id"), "access": access}


def student_paths(store, pseudo, student_id: str, *, as_of: date | None = None) -> dict[str, Any]:
    """Every hop of one student's lineage, evaluated by the rules (one evaluation for all actors).

    Returns ``path_data`` (see the module doc): the datasets reached with their class, and the
    steps -- starts, flows between datasets (with the student's own windows), and the edges
    into each actor (``holds`` with the bases/agreements of the flows into the dataset,
    ``grant`` only when its scope includes the student, ``access_log``). Raises
    :class:`~lineage.core.errors.NotFoundError` for an unknown student.
    """

    sl = student_lineage(store, pseudo, student_id, as_of)
    lin = sl.lineage
    exposures = {e.actor_id: e for e in lin.exposures(sl.actors)}
    datasets: dict[str, dict] = {}
    steps: list[dict] = []
    for did, levels in lin.reached().items():
        datasets[did] = _dataset_info(lin.dataset(did), levels[0].value)
        for level in levels:
            steps.extend(s.as_dict(did, level) for s in lin.steps(did, level))
    for e in lin.entries():  # the edges into actors, by the same rule as exposures()
        if e.actor_id not in exposures:
            continue
        step = e.as_dict()
        if e.grant is None:
            step["legal_bases"], step["agreements"] = e.inflow_bases()
        steps.append(step)
    for a in lin.access_events():
        at = to_date(a.get("at"))
        exp = exposures.get(a["actor"])
        if exp is None or not a.get("dataset"):
            continue
        did = a["dataset"]
        if did not in datasets:
            datasets[did] = _dataset_info(lin.dataset(did) or {"id": did}, None)
        steps.append({"kind": "access_log", "via": a.get("action") or "read", "from": did,
                      "to": a["actor"], "elements": list(a.get("elements") or exp.elements),
                      "legal_basis": None, "agreement": None, "first_date": iso(at),
                      "last_date": iso(at), "access": exp.access.value, "covered": exp.could})
    return {"student": sl.key, "as_of": as_of.isoformat() if as_of else None,
            "datasets": datasets, "steps": steps}
