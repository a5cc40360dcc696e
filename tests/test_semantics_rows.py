"""The evaluator (``lineage.rules.evaluator.Lineage``) on hand-built rows, without a database: the
rows have the shapes ``exposure_context.cypher`` returns (students, datasets)."""

from __future__ import annotations

from datetime import date

from lineage.core.vocabulary import Access
from lineage.core.windows import Window, WindowSet
from lineage.rules.evaluator import Lineage, StudentContext, possible_elements

D = date.fromisoformat


def ds(did: str, holder: str, gran: str = "student", *, elements=None, inflows=(), grants=(),
       retention: str = "kept", members_only: bool = False, origin: bool | None = None,
       valid_to: str | None = None, min_cell_size: int | None = None) -> dict:
    """A dataset row of ``exposure_context.cypher``."""
    return {"id": did, "name": did, "granularity": gran, "elements": elements,
            "members_only": members_only, "retention": retention, "valid_from": None,
            "valid_to": D(valid_to) if valid_to else None, "min_cell_size": min_cell_size,
            "suppressed": None, "origin": origin,
            "holder": {"id": holder, "name": holder, "role": "other"}, "coverage": [],
            "inflows": list(inflows), "grants": list(grants)}


def flow(fid: str, source: str | None, target: str, elements=(), *, kind: str = "disclosure",
         start: str | None = None, end: str | None = None, agreement: tuple | None = None,
         listing: bool = False) -> dict:
    """A flow row; ``agreement`` is ``(from, to)`` of the agreement it is made under."""
    return {"id": fid, "kind": kind, "operation": None, "source": source, "target": target,
            "elements": list(elements), "legal_basis": None, "agreement": "AG" if agreement else None,
            "purpose": None, "threat": None, "valid_from": D(start) if start else None,
            "valid_to": D(end) if end else None, "subjects_only": listing,
            "agreement_info": {"id": "AG", "valid_from": D(agreement[0]),
                               "valid_to": D(agreement[1])} if agreement else None}


def ctx(*, covered: tuple[str, str, str | None] | None = None, members=(), cells=(),
        accesses=(), subject_flows=()) -> StudentContext:
    """A student covered by ``(dataset, from, to)`` through school s1 of district d1."""
    enrol, cov = [], []
    if covered:
        did, a, b = covered
        enrol = [{"org": "s1", "chain": ["s1", "d1"], "valid_from": D(a),
                  "valid_to": D(b) if b else None}]
        cov = [{"dataset": did, "org": "s1", "enrol_from": D(a), "enrol_to": D(b) if b else None,
                "valid_from": None, "valid_to": None}]
    return StudentContext(enrol, cov, [{"dataset": m, "valid_from": D(a), "valid_to": None}
                                       for m, a in members],
                          set(subject_flows), list(cells), [], [], list(accesses))


def by_actor(lin: Lineage) -> dict[str, tuple]:
    return {e.actor_id: (e.access.value, e.elements, e.first_date, e.last_date, e.could)
            for e in lin.exposures()}


def test_elements_move_as_held_on_the_day():
    """Rule 4: the vendor's copy holds only what the SIS record held while the flow ran."""
    sis = ds("sis", "d1", inflows=[flow("C1", None, "sis", ["Student Name"], kind="collection"),
                                   flow("C2", None, "sis", ["Date of Birth"], kind="collection",
                                        start="2024-01-01")])
    app = ds("app", "v1", inflows=[flow("F1", "sis", "app", ["Student Name", "Date of Birth"],
                                        start="2023-09-01", end="2024-02-01")])
    lin = Lineage(ctx(covered=("sis", "2023-09-01", "2024-06-30")), {"sis": sis, "app": app})
    r = lin.reach["app"][Access.IDENTIFIABLE]
    assert r.dated == {"Student Name": WindowSet([Window(D("2023-09-01"))]),
                       "Date of Birth": WindowSet([Window(D("2024-01-01"))])}
    assert by_actor(lin)["v1"] == ("identifiable", ["Date of Birth", "Student Name"],
                                   D("2023-09-01"), None, True)
    # the flow ended before the second collection: the copy never gets the date of birth
    app["inflows"][0]["valid_to"] = D("2023-12-31")
    lin = Lineage(ctx(covered=("sis", "2023-09-01", "2024-06-30")), {"sis": sis, "app": app})
    assert by_actor(lin)["v1"][1] == ["Student Name"]


def test_current_retention_keeps_elements_while_held_without_a_break():
    """Rules 4 and 6: in a ``current`` copy an element stays while the record is held; after a
    gap the record starts again with what arrives."""
    sis = ds("sis", "d1", elements=["Student Name", "Date of Birth"], origin=True)
    mirror = ds("mirror", "v1", retention="current", inflows=[
        flow("A", "sis", "mirror", ["Student Name"], start="2024-01-01", end="2024-01-31"),
        flow("B", "sis", "mirror", ["Date of Birth"], start="2024-01-10", end="2024-01-12"),
        flow("A2", "sis", "mirror", ["Student Name"], start="2024-02-05", end="2024-02-10")])
    lin = Lineage(ctx(covered=("sis", "2023-09-01", None)), {"sis": sis, "mirror": mirror})
    r = lin.reach["mirror"][Access.IDENTIFIABLE]
    assert r.held == WindowSet([Window(D("2024-01-01"), D("2024-01-31")),
                                Window(D("2024-02-05"), D("2024-02-10"))])
    assert r.dated["Date of Birth"] == WindowSet([Window(D("2024-01-10"), D("2024-01-31"))])
    assert r.holds_at(D("2024-02-06")) == {"Student Name"}


def test_as_of_shows_a_window_open_on_the_day_as_open():
    """Rule 9: ``last_date`` is None when the window goes on after ``as_of``, the day itself
    when it ended then; steps that begin after ``as_of`` are not shown."""
    sis = ds("sis", "d1", elements=["Student Name"])
    app = ds("app", "v1", inflows=[flow("F1", "sis", "app", ["Student Name"], start="2024-01-01",
                                        end="2024-06-30")], retention="current")
    late = ds("late", "v2", inflows=[flow("F2", "sis", "late", ["Student Name"],
                                          start="2024-07-01")])
    datasets = {"sis": sis, "app": app, "late": late}
    student = ctx(covered=("sis", "2023-09-01", None))
    on_end = by_actor(Lineage(student, datasets, as_of=D("2024-06-30")))
    assert on_end == {"d1": ("identifiable", ["Student Name"], D("2023-09-01"), None, True),
                      "v1": ("identifiable", ["Student Name"], D("2024-01-01"), D("2024-06-30"),
                             True)}
    assert by_actor(Lineage(student, datasets, as_of=D("2024-06-29")))["v1"][3] is None
    lin = Lineage(student, datasets, as_of=D("2024-06-30"))
    assert "late" not in lin.reach
    assert lin.reach["app"][Access.IDENTIFIABLE].steps[0].as_dict("app", Access.IDENTIFIABLE)[
        "last_date"] == "2024-06-30"


def test_small_cell_below_a_deidentified_file():
    """Rule 5: the cell re-identifies whatever lies upstream, revealing what the source holds."""
    deid = ds("deid", "st1", "deidentified", elements=["Standardized test scores"], origin=True)
    agg = ds("agg", "pub", "aggregate", min_cell_size=10,
             inflows=[flow("AG", "deid", "agg", start="2024-06-01")],
             grants=[{"id": "G", "actor": "x1", "scope": "all", "scope_org": None,
                      "elements": [], "legal_basis": None, "agreement": None, "purpose": None,
                      "valid_from": None, "valid_to": None, "agreement_info": None}])
    cell = {"id": "c", "dataset": "agg", "label": "tiny", "size": 3, "suppressed": False,
            "elements": ["Standardized test scores", "Date of Birth"]}
    lin = Lineage(ctx(members=[("deid", "2024-01-01")], cells=[cell]), {"deid": deid, "agg": agg})
    got = by_actor(lin)
    assert got["pub"] == ("identifiable", ["Standardized test scores"], D("2024-06-01"), None, True)
    assert got["x1"] == got["pub"]
    assert got["st1"][0] == "deidentified"
    cell["suppressed"] = True
    assert by_actor(Lineage(ctx(members=[("deid", "2024-01-01")], cells=[cell]),
                            {"deid": deid, "agg": agg}))["pub"][0] == "aggregate"


def test_members_only_member_never_delivered_is_not_held():
    """Rule 2: membership alone does not put a record in a sample fed by flows."""
    sis = ds("sis", "d1", elements=["Student Name"])
    sample = ds("sample", "rs1", members_only=True, origin=False,
                inflows=[flow("R", "sis", "sample", ["Student Name"], start="2024-03-01")])
    member_only = ctx(members=[("sample", "2024-01-01")])
    assert Lineage(member_only, {"sis": sis, "sample": sample}).reach == {}
    both = ctx(covered=("sis", "2023-09-01", None), members=[("sample", "2024-05-01")])
    assert by_actor(Lineage(both, {"sis": sis, "sample": sample}))["rs1"][2] == D("2024-05-01")


def test_grant_window_is_cut_by_its_agreement():
    """Rule 3 applies to grants as to flows."""
    sis = ds("sis", "d1", elements=["Student Name"], grants=[{
        "id": "G", "actor": "v1", "scope": "all", "scope_org": None, "elements": [],
        "legal_basis": "school_official", "agreement": "AG", "purpose": None,
        "valid_from": D("2023-01-01"), "valid_to": None,
        "agreement_info": {"id": "AG", "valid_from": D("2025-01-01"), "valid_to": D("2025-12-31")}}])
    got = by_actor(Lineage(ctx(covered=("sis", "2022-09-01", None)), {"sis": sis}))
    assert got["v1"] == ("identifiable", ["Student Name"], D("2025-01-01"), D("2025-12-31"), True)


def test_uncovered_access_reads_the_class_held_that_day():
    """Rule 10: the class and elements of the dataset on the event's day."""
    deid = ds("deid", "st1", "deidentified", elements=["Date of Birth"],
              inflows=[flow("F", "sis", "deid", ["Date of Birth"], start="2024-03-01")])
    sis = ds("sis", "d1", elements=["Date of Birth"])
    events = [{"actor": "x1", "at": D("2024-02-01"), "dataset": "deid", "action": "read",
               "elements": []},
              {"actor": "x1", "at": D("2024-03-05"), "dataset": "deid", "action": "read",
               "elements": []}]
    got = by_actor(Lineage(ctx(covered=("sis", "2023-09-01", None), accesses=events),
                           {"sis": sis, "deid": deid}))
    assert got["x1"] == ("deidentified", ["Date of Birth"], D("2024-02-01"), D("2024-03-05"),
                         False)


def test_possible_elements_is_an_upper_bound_without_dates():
    datasets = [{"id": "sis", "elements": ["A", "B"], "starts": True},
                {"id": "deid", "elements": None, "starts": False},
                {"id": "agg", "elements": None, "starts": False}]
    flows = [{"source": "sis", "target": "deid", "elements": ["B", "C"]},
             {"source": None, "target": "deid", "elements": ["D"]},
             {"source": "deid", "target": "agg", "elements": []}]
    assert possible_elements(datasets, flows) == {"sis": {"A", "B"}, "deid": {"B", "D"},
                                                  "agg": set()}
