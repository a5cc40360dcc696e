"""One specification per bulk kind: the single place a kind of bulk rows is described.

A bulk kind (:class:`~lineage.core.models.BulkKind`) is a stream of rows about many students or
people (enrolments, rosters, guardians, ...). Its :class:`BulkSpec` says which columns it has,
what they refer to, who the people it names may be, which Cypher statement writes it, how its
rows are spread over concurrent writers, and what the synthetic generator writes. Validation
(:mod:`lineage.sources.inventory`), the writer (:mod:`lineage.graph.writer`), the native
columns of the format adapters (:mod:`lineage.sources.common`) and the generator
(:mod:`lineage.sources.synth`) all read :data:`BULK`.

Adding a bulk kind: a member of ``BulkKind``, one entry here, and one ``cypher/ingest/*.cypher``
file taking ``$rows`` (the row dicts of :meth:`BulkSpec.param`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from lineage.core.models import BulkKind
from lineage.core.vocabulary import Role

#: Prefixes of the actor ids the format adapters give people (:mod:`lineage.sources.oneroster`,
#: :mod:`lineage.sources.edfi`): a teacher ``staff:<id>``, a guardian ``parent:<id>``.
STAFF_PREFIX = "staff:"
PARENT_PREFIX = "parent:"


def person_id(actor_id: str) -> str | None:
    """The district's own id of a person whose actor id a format adapter prefixed
    (``staff:T-100`` -> ``T-100``), else ``None``. Validation compares it with student IDs: a
    person's id must never be a student's, prefixed or not."""
    if actor_id.startswith(STAFF_PREFIX):
        return actor_id[len(STAFF_PREFIX):]
    if actor_id.startswith(PARENT_PREFIX):
        return actor_id[len(PARENT_PREFIX):]
    return None


@dataclass(frozen=True)
class Ref:
    """A column whose value must name an existing thing: ``kind`` is the catalog's name for it
    (``actors``, ``sections``, ``datasets``, ``flows``); ``orgs`` restricts actors to
    organisations (district, school)."""

    column: str
    kind: str
    orgs: bool = False


@dataclass(frozen=True)
class BulkSpec:
    """Everything the package knows about one bulk kind.

    * ``required`` / ``optional``: CSV columns (a header row is required; extra columns are
      ignored; optional ones are read when present). Dates: ``valid_from``, ``valid_to``, ``at``
      (ISO); ``elements``: names joined by ';'; every other column is an ID.
    * ``refs``: the columns that must name an existing thing (:class:`Ref`).
    * ``person_column`` / ``person_roles``: the column naming a person the load creates
      (teacher, guardian) and the roles an inventory may give that person.
    * ``statement``: the Cypher statement writing the rows (``cypher/<statement>.cypher``);
      ``creates_role``: the role of the actors it creates (its ``$role`` parameter).
    * ``partition``: how rows are spread over concurrent writers so that two writers rarely
      lock the same node: a column name, ``"section.school"`` (the section's school) or
      ``"blocks"`` (consecutive blocks of rows: siblings, who share guardians, are adjacent).
    * ``defaults``: values a row gets when a column is missing or empty; ``key``: the columns
      of the idempotency key ``k`` the statement merges on (none: no ``k``).
    * ``synth_file`` / ``synth_columns``: the file and header the synthetic generator writes.
    """

    kind: BulkKind
    required: tuple[str, ...]
    optional: tuple[str, ...]
    statement: str
    partition: str
    synth_file: str
    synth_columns: tuple[str, ...]
    refs: tuple[Ref, ...] = ()
    person_column: str | None = None
    person_roles: frozenset[Role] = frozenset()
    creates_role: Role | None = None
    defaults: dict[str, Any] = field(default_factory=dict)
    key: tuple[str, ...] = ()

    @property
    def columns(self) -> tuple[str, ...]:
        """Required then optional columns (the native CSV's order)."""
        return self.required + self.optional

    @property
    def student_bearing(self) -> bool:
        """True when rows hold student IDs: no value read from them is ever echoed."""
        return "student_id" in self.required

    @property
    def extra_params(self) -> dict[str, str]:
        """Parameters the statement takes besides ``$rows``."""
        return {"role": self.creates_role.value} if self.creates_role else {}

    def partition_key(self, section_school: dict[str, str], size: int
                      ) -> Callable[[dict], str | int]:
        """The writer-partition key of a row (see ``partition``); ``size`` is the batch size."""
        if self.partition == "section.school":
            return lambda r: section_school.get(r["section"], r["section"])
        if self.partition == "blocks":
            counter = iter(range(1 << 62))
            return lambda r: next(counter) // size
        column = self.partition
        return lambda r: r[column]


_DATED = {"valid_from": None, "valid_to": None}

#: The bulk kinds, in the order they are validated and written: kinds that create actors and
#: sections (teaching, guardians) come before the rows that refer to them.
BULK: dict[BulkKind, BulkSpec] = {s.kind: s for s in (
    BulkSpec(BulkKind.TEACHING, ("section", "school", "teacher"), ("valid_from", "valid_to"),
             "ingest/teaching", "school", "teaching.csv",
             ("section", "school", "teacher", "valid_from", "valid_to"),
             refs=(Ref("school", "actors", orgs=True),), person_column="teacher",
             person_roles=frozenset({Role.TEACHER}), creates_role=Role.TEACHER,
             defaults=_DATED, key=("valid_from",)),
    BulkSpec(BulkKind.GUARDIANS, ("guardian", "student_id"), ("valid_from", "valid_to"),
             "ingest/guardians", "blocks", "guardians.csv",
             ("guardian", "student_id", "valid_from", "valid_to"),
             person_column="guardian",
             person_roles=frozenset({Role.PARENT, Role.ELIGIBLE_STUDENT}),
             creates_role=Role.PARENT, defaults=_DATED, key=("valid_from",)),
    BulkSpec(BulkKind.ENROLMENTS, ("student_id", "org"), ("valid_from", "valid_to"),
             "ingest/enrolments", "org", "enrolments.csv",
             ("student_id", "org", "valid_from", "valid_to"),
             refs=(Ref("org", "actors", orgs=True),), defaults=_DATED, key=("valid_from",)),
    BulkSpec(BulkKind.ROSTERS, ("student_id", "section"), ("valid_from", "valid_to"),
             "ingest/rosters", "section.school", "rosters.csv",
             ("student_id", "section", "valid_from", "valid_to"),
             refs=(Ref("section", "sections"),), defaults=_DATED, key=("valid_from",)),
    BulkSpec(BulkKind.MEMBERS, ("dataset", "student_id"), ("valid_from", "valid_to"),
             "ingest/members", "dataset", "members.csv",
             ("dataset", "student_id", "valid_from", "valid_to"),
             refs=(Ref("dataset", "datasets"),), defaults=_DATED, key=("valid_from",)),
    BulkSpec(BulkKind.SUBJECTS, ("flow", "student_id"), (),
             "ingest/subjects", "flow", "subjects.csv", ("flow", "student_id"),
             refs=(Ref("flow", "flows"),)),
    BulkSpec(BulkKind.ACCESS_LOG, ("at", "actor", "student_id", "dataset"), ("action", "elements"),
             "ingest/access_log", "actor", "access_log.csv",
             ("at", "actor", "student_id", "dataset", "action"),
             refs=(Ref("actor", "actors"), Ref("dataset", "datasets")),
             defaults={"action": "read", "elements": ()}, key=("at", "dataset", "action")),
)}

#: Order in which bulk files are validated and written (that of :data:`BULK`).
BULK_ORDER: tuple[BulkKind, ...] = tuple(BULK)
