"""A literal, slow reference implementation of ``docs/rules.md``, for tests only.

It shares no code with ``lineage.rules.evaluator``: it reads the inventory as the plain mapping an
inventory file holds (what the test wrote to YAML) and the bulk rows as the test wrote them to
CSV, and walks the calendar **one day at a time**, applying each rule of the page literally to
that day. It is meant to be obviously right, not fast: use it on small graphs only.

Every date of the input lies in ``[first, last]``; the day before ``first`` (or before the
as-of date, when that is earlier) stands for every earlier day and the day after ``last`` (or
after the as-of date) for every later one (nothing changes outside the input's dates), so a
window that touches them is open (``None``).

``evaluate(student)`` returns ``{actor_id: {"access", "elements", "first_date", "last_date",
"legal_bases", "agreements", "datasets", "accessed", "could"}}`` (dates ISO; ``elements``,
``legal_bases``, ``agreements`` and ``datasets`` sorted lists), the fields of ``lineage
exposure`` with ``datasets`` compared as a set. ``unexplained_members()`` counts, per
``members_only`` dataset fed by flows, the listed members whose record never arrives there.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta

DAY = timedelta(days=1)
RANK = {"identifiable": 3, "deidentified": 2, "aggregate": 1}
CLASS_OF = {"student": "identifiable", "deidentified": "deidentified", "aggregate": "aggregate"}
LEVELS = ("identifiable", "deidentified", "aggregate")


def _d(x) -> date | None:
    if x is None or x == "":
        return None
    return x if isinstance(x, date) else date.fromisoformat(str(x))


def _in(day: date, start, end) -> bool:
    """Rule 3: is ``day`` in the inclusive window (open ends allowed)?"""
    start, end = _d(start), _d(end)
    return (start is None or start <= day) and (end is None or day <= end)


def _weaker(a: str, b: str) -> str:
    return a if RANK[a] <= RANK[b] else b


class Reference:
    """The rules over one inventory (``inv``: the YAML mapping) and its bulk ``rows`` (kind ->
    list of dicts with the CSV columns, raw student IDs)."""

    def __init__(self, inv: dict, rows: dict[str, list[dict]], default_min_cell_size: int = 10):
        self.inv = inv
        self.rows = rows
        self.min_cell = default_min_cell_size
        self.actors = {a["id"]: a for a in inv.get("actors", [])}
        self.datasets = {d["id"]: d for d in inv.get("datasets", [])}
        self.agreements = {a["id"]: a for a in inv.get("agreements", [])}
        self.flows = inv.get("flows", [])
        self.grants = inv.get("grants", [])
        self.sections = {s["id"]: s for s in inv.get("sections", [])}
        dates = set()

        def collect(obj):
            if isinstance(obj, dict):
                for v in obj.values():
                    collect(v)
            elif isinstance(obj, list):
                for v in obj:
                    collect(v)
            elif isinstance(obj, date):
                dates.add(obj)
        collect(inv)
        for rs in rows.values():
            for r in rs:
                for k in ("valid_from", "valid_to", "at"):
                    if _d(r.get(k)):
                        dates.add(_d(r[k]))
        self.first = min(dates) if dates else date(2024, 1, 1)
        self.last = max(dates) if dates else date(2024, 1, 1)

    # -- facts about the student on a day ---------------------------------------------------
    def chain(self, org: str) -> list[str]:
        out = [org]
        while self.actors.get(out[-1], {}).get("part_of"):
            out.append(self.actors[out[-1]]["part_of"])
        return out

    def enrolled_within(self, student: str, org: str, day: date) -> bool:
        return any(r["student_id"] == student and org in self.chain(r["org"])
                   and _in(day, r.get("valid_from"), r.get("valid_to"))
                   for r in self.rows.get("enrolments", []))

    def member(self, student: str, dataset: str, day: date) -> bool:
        return any(r["student_id"] == student and r["dataset"] == dataset
                   and _in(day, r.get("valid_from"), r.get("valid_to"))
                   for r in self.rows.get("members", []))

    def teaches_student(self, teacher: str, student: str, day: date, org: str | None) -> bool:
        """``teacher`` teaches, on ``day``, a section ``student`` is in on ``day`` (at a school
        within ``org`` when given)."""
        for r in self.rows.get("rosters", []):
            if r["student_id"] != student or not _in(day, r.get("valid_from"), r.get("valid_to")):
                continue
            sec = self.sections[r["section"]]
            if org is not None and org not in self.chain(sec["school"]):
                continue
            for t in sec.get("teachers", []):
                if t["actor"] == teacher and _in(day, t.get("valid_from"), t.get("valid_to")):
                    return True
        return False

    def teachers_of(self, student: str) -> set[str]:
        return {t["actor"] for r in self.rows.get("rosters", []) if r["student_id"] == student
                for t in self.sections[r["section"]].get("teachers", [])}

    def guardian(self, person: str, student: str, day: date) -> bool:
        return any(r["guardian"] == person and r["student_id"] == student
                   and _in(day, r.get("valid_from"), r.get("valid_to"))
                   for r in self.rows.get("guardians", []))

    def guardians_of(self, student: str) -> set[str]:
        return {r["guardian"] for r in self.rows.get("guardians", []) if r["student_id"] == student}

    def keeps(self, d: dict) -> set[str] | None:
        """Rule 4: the elements a dataset lists; None when it lists none (keeps what arrives)."""
        return set(d["elements"]) if d.get("elements") else None

    def origin(self, d: dict) -> bool:
        """Rule 1: no flow from another dataset enters it."""
        return not any(f.get("source") and f["target"] == d["id"] for f in self.flows)

    def alive(self, d: dict, day: date) -> bool:
        return _in(day, d.get("valid_from"), d.get("valid_to"))

    def agreement_ok(self, obj: dict, day: date) -> bool:
        ag = self.agreements.get(obj.get("agreement")) if obj.get("agreement") else None
        return ag is None or _in(day, ag.get("valid_from"), ag.get("valid_to"))

    def cells(self, d: dict, student: str) -> list[dict]:
        """Rule 5: the student's named cells published unsuppressed below the minimum."""
        if d["granularity"] != "aggregate":
            return []
        minimum = d.get("min_cell_size") or self.min_cell
        out = []
        for c in d.get("small_cells", []):
            suppressed = c["suppressed"] if c.get("suppressed") is not None else bool(d.get("suppressed"))
            if student in c.get("students", []) and not suppressed and c["size"] < minimum:
                out.append(c)
        return out

    def scope_includes(self, g: dict, who: str, student: str, day: date) -> bool:
        """Rule 7: does grant ``g`` include the student for ``who`` on ``day``?"""
        scope, org, role = g["scope"], g.get("scope_org"), g.get("actor") is None
        if scope == "all":
            return True
        if scope in ("school", "district"):
            return self.enrolled_within(student, org, day)
        if scope == "roster":
            return self.teaches_student(who, student, day, org if role else None)
        if scope == "own_child":
            return self.guardian(who, student, day) and (
                not role or org is None or self.enrolled_within(student, org, day))
        return False

    def grantees(self, g: dict, student: str) -> list[str]:
        if g.get("actor"):
            return [g["actor"]]
        if g["scope"] == "roster":
            return sorted(self.teachers_of(student))
        return sorted(self.guardians_of(student))

    # -- the day-by-day walk ---------------------------------------------------------------
    def walk(self, student: str, until: date, start: date | None = None):
        """Yield ``(day, state, steps)`` for each day from ``start`` (default: the day before
        the first date) to ``until``. ``state[(dataset, class)]`` = {"held", "live", "els"} that day; ``steps``
        [(dataset, class)] = set of (source dataset, source class, legal basis, agreement)
        that delivered that day (a counted collection has no source)."""
        hist: dict = defaultdict(lambda: {"ever": False, "ever_flow": False, "held": False,
                                          "els": set(), "els_nc": set()})
        day = start or self.first - DAY
        while day <= until:
            arr: dict = defaultdict(lambda: {"pop": False, "flow": False, "els": set(),
                                             "els_nc": set(), "steps": set()})
            collected: dict = {}

            def today(key, arr=arr, day=day):
                d = self.datasets[key[0]]
                a, h = arr[key], hist[key]
                if d.get("retention") == "current":
                    held = a["pop"] or a["flow"]
                    live = held
                else:
                    held = (h["ever"] or a["pop"] or a["flow"]) and self.alive(d, day)
                    live = a["pop"] or ((h["ever_flow"] or a["flow"]) and self.alive(d, day))
                els = ((h["els"] if h["held"] else set()) | a["els"]) if held else set()
                nc = ((h["els_nc"] if h["held"] else set()) | a["els_nc"]) if held else set()
                return {"held": held, "live": live, "els": els, "els_nc": nc}

            def arrive(key, *, pop=False, flow=False, els=(), step=None, arr=arr):
                a = arr[key]
                before = (a["pop"], a["flow"], len(a["els"]), len(a["steps"]))
                a["pop"] |= pop
                a["flow"] |= flow
                a["els"] |= set(els)
                a["els_nc"] |= set(els)
                if step:
                    a["steps"].add(step)
                return before != (a["pop"], a["flow"], len(a["els"]), len(a["steps"]))

            # rule 1: starts (coverage; members of an origin dataset); members_only filter (2)
            for d in self.datasets.values():
                if not self.alive(d, day):
                    continue
                if d.get("members_only") and not self.member(student, d["id"], day):
                    covered = False
                else:
                    covered = any(_in(day, c.get("valid_from"), c.get("valid_to"))
                                  and self.enrolled_within(student, c["org"], day)
                                  for c in d.get("coverage", []))
                listed = self.origin(d) and self.member(student, d["id"], day)
                if covered or listed:
                    keeps = self.keeps(d) or set()
                    arrive((d["id"], CLASS_OF[d["granularity"]]), pop=True, els=keeps)
                    for c in self.cells(d, student):
                        arrive((d["id"], "identifiable"), pop=True,
                               els=set(c.get("elements", [])) & keeps)

            changed = True
            while changed:  # flows move records the same day: repeat until nothing changes
                changed = False
                for f in self.flows:
                    if f["kind"] == "collection":
                        continue
                    t = self.datasets[f["target"]]
                    if not (_in(day, f.get("valid_from"), f.get("valid_to"))
                            and self.agreement_ok(f, day) and self.alive(t, day)):
                        continue
                    listing = bool(f.get("students"))
                    if listing and student not in f["students"]:
                        continue
                    if t.get("members_only") and not self.member(student, t["id"], day):
                        continue
                    for lv in LEVELS:
                        src = today((f["source"], lv))
                        if not (src["held"] if listing else src["live"]):
                            continue
                        keeps = self.keeps(t)
                        moved = src["els"] & set(f.get("elements", []))
                        if keeps is not None:
                            moved &= keeps
                        step = (f["source"], lv, f.get("legal_basis"), f.get("agreement"))
                        changed |= arrive((t["id"], _weaker(lv, CLASS_OF[t["granularity"]])),
                                          flow=True, els=moved, step=step)
                        for c in self.cells(t, student):
                            changed |= arrive((t["id"], "identifiable"), flow=True,
                                              els=src["els"] & set(c.get("elements", [])),
                                              step=step)
                for f in self.flows:
                    if f["kind"] != "collection":
                        continue
                    d = self.datasets[f["target"]]
                    key = (d["id"], CLASS_OF[d["granularity"]])
                    if not (_in(day, f.get("valid_from"), f.get("valid_to"))
                            and self.agreement_ok(f, day) and today(key)["live"]):
                        continue
                    keeps = self.keeps(d)
                    got = set(f.get("elements", [])) & (keeps if keeps is not None else {
                        *f.get("elements", [])})
                    if got:
                        a = arr[key]
                        if not got <= a["els"]:
                            a["els"] |= got
                            changed = True
                        collected[(f["id"], key)] = (got, f)

            state = {key: today(key) for key in list(arr) + list(hist)}
            steps: dict = defaultdict(set)
            for key, a in arr.items():
                steps[key] |= a["steps"]
            for (_fid, key), (got, f) in collected.items():
                # a collection counts where it adds what the record would not hold otherwise
                if got - state[key]["els_nc"]:
                    steps[key].add((None, None, f.get("legal_basis"), f.get("agreement")))
            yield day, state, steps
            for key, s in state.items():
                h = hist[key]
                a = arr[key]
                h["ever"] |= a["pop"] or a["flow"]
                h["ever_flow"] |= a["flow"]
                h["held"], h["els"], h["els_nc"] = s["held"], s["els"], s["els_nc"]
            day += DAY

    def evaluate(self, student: str, as_of: date | None = None) -> dict[str, dict]:
        """The answer of ``lineage exposure`` for ``student`` (ever, or as of a date)."""
        until = (as_of or self.last) + DAY
        # the day before every date of the input and the as-of date stands for all earlier days
        start = min(self.first, as_of or self.first) - DAY
        shown = (lambda day: day <= as_of) if as_of else (lambda day: True)
        # entry -> {"days", "els", "bases", "ags", "ds": set of (dataset, class)}
        entries: dict = defaultdict(lambda: {"days": set(), "els": set(), "bases": set(),
                                             "ags": set(), "at": set()})
        src_steps: dict = defaultdict(set)  # (dataset, class) -> sources seen on shown days
        held_on: dict = {}                  # (dataset, class, day) -> elements (rule 10)
        for day, state, steps in self.walk(student, until, start):
            for key, s in state.items():
                if not s["held"]:
                    continue
                held_on[(key[0], key[1], day)] = s["els"]
                did, lv = key
                d = self.datasets[did]
                holder = d["holder"]
                e = entries[(holder, lv, "holds", did)]
                e["days"].add(day)
                e["at"].add(key)
                if shown(day):
                    e["els"] |= s["els"]
                    for src, slv, basis, ag in steps.get(key, ()):
                        e["bases"].add(basis)
                        e["ags"].add(ag)
                        if src:
                            src_steps[key].add((src, slv))
                for g in self.grants:
                    if g["dataset"] != did or not (_in(day, g.get("valid_from"), g.get("valid_to"))
                                                   and self.agreement_ok(g, day)):
                        continue
                    for who in self.grantees(g, student):
                        if who == holder or not self.scope_includes(g, who, student, day):
                            continue
                        e = entries[(who, lv, g["id"], did)]
                        e["days"].add(day)
                        e["at"].add(key)
                        e["bases"].add(g.get("legal_basis"))
                        e["ags"].add(g.get("agreement"))
                        if shown(day):
                            allowed = set(g.get("elements") or []) or s["els"]
                            e["els"] |= s["els"] & allowed

        def ancestry(key, seen):
            if key in seen:
                return set()
            seen.add(key)
            out = {key[0]}
            for src in src_steps.get(key, ()):
                out |= ancestry(src, seen)
            return out

        per: dict = defaultdict(lambda: defaultdict(lambda: {"days": set(), "els": set(),
                                                             "bases": set(), "ags": set(),
                                                             "ds": set()}))
        for (actor, lv, _via, _did), e in entries.items():
            if not any(shown(x) for x in e["days"]):
                continue
            slot = per[actor][lv]
            slot["days"] |= e["days"]
            slot["els"] |= e["els"]
            slot["bases"] |= {b for b in e["bases"] if b}
            slot["ags"] |= {a for a in e["ags"] if a}
            for key in e["at"]:
                slot["ds"] |= ancestry(key, set())

        events = [r for r in self.rows.get("access_log", []) if r["student_id"] == student
                  and (as_of is None or _d(r["at"]) <= as_of)]
        out: dict[str, dict] = {}
        for actor, levels in per.items():
            lv = max(levels, key=RANK.get)
            slot = levels[lv]
            days = slot["days"]
            out[actor] = {
                "access": lv, "elements": sorted(slot["els"]) if lv != "aggregate" else [],
                "first_date": None if min(days) <= start else min(days).isoformat(),
                # still running: on as_of and after it; a part starting the day after as_of
                # does not count yet (rule 9: a student away on as_of, back the next day)
                "last_date": (None if until in days and (as_of is None or as_of in days)
                              else max(d for d in days if d < until).isoformat()),
                "legal_bases": sorted(slot["bases"]), "agreements": sorted(slot["ags"]),
                "datasets": sorted(slot["ds"]),
                "accessed": any(r["actor"] == actor for r in events), "could": True}

        # rule 10: actors seen only in access logs
        readers: dict = defaultdict(list)
        for r in events:
            if r["actor"] not in out:
                readers[r["actor"]].append(r)
        for actor, evs in readers.items():
            read = []
            for r in evs:
                at, did = _d(r["at"]), r["dataset"]
                d = self.datasets[did]
                here = [lv for lv in LEVELS if (did, lv, at) in held_on]
                lv = max(here, key=RANK.get) if here else CLASS_OF[d["granularity"]]
                record = held_on.get((did, lv, at), set())
                if r.get("elements"):
                    els = set(r["elements"])
                else:
                    naming = [g for g in self.grants if g["dataset"] == did
                              and self.names_reader(g, actor, student)]
                    els = set(record)
                    if naming:
                        allowed = set()
                        for g in naming:
                            allowed |= set(g.get("elements") or []) or record
                        els &= allowed
                read.append((at, did, lv, els))
            lv = max((x[2] for x in read), key=RANK.get)
            mine = [x for x in read if x[2] == lv]
            out[actor] = {
                "access": lv,
                "elements": sorted(set().union(*(x[3] for x in mine))) if lv != "aggregate" else [],
                "first_date": min(x[0] for x in mine).isoformat(),
                "last_date": max(x[0] for x in mine).isoformat(),
                "legal_bases": [], "agreements": [], "datasets": sorted({x[1] for x in mine}),
                "accessed": True, "could": False}
        return out

    def names_reader(self, g: dict, actor: str, student: str) -> bool:
        """Rule 10: the reader's own grant, or a role grant whose scope includes the student
        for the reader on some day."""
        if g.get("actor"):
            return g["actor"] == actor
        if actor not in self.grantees(g, student):
            return False
        day = self.first - DAY
        while day <= self.last + DAY:
            if self.scope_includes(g, actor, student, day):
                return True
            day += DAY
        return False

    def unexplained_members(self) -> dict[str, int]:
        """Rule 2 / ``lineage check`` rule unexplained-members: per members_only dataset with a
        flow from another dataset into it, the listed members whose record never arrives."""
        out = {}
        for d in self.datasets.values():
            if not d.get("members_only") or self.origin(d):
                continue
            members = sorted({r["student_id"] for r in self.rows.get("members", [])
                              if r["dataset"] == d["id"]})
            n = 0
            for s in members:
                if not any(st["held"] for _, state, _ in self.walk(s, self.last + DAY)
                           for key, st in state.items() if key[0] == d["id"]):
                    n += 1
            if n:
                out[d["id"]] = n
        return out
