"""The field's fixed vocabularies: roles, legal bases, granularity, scopes, NDPA element catalogue.

Labels and relationship types used in Cypher come from :class:`Label` / :class:`Rel` only.
The NDPA Exhibit B catalogue (categories and elements) is the default element vocabulary; an
inventory may add elements of its own.

Sources: FERPA 34 CFR Part 99 (§99.31(a) exceptions, §99.32 record of disclosures), the Student
Data Privacy Consortium's National Data Privacy Agreement Exhibit B, PPRA (protected survey topics).
"""

from __future__ import annotations

from enum import Enum


class Label(str, Enum):
    """Node labels of the graph."""

    STUDENT = "Student"
    ELEMENT = "Element"
    ACTOR = "Actor"
    DATASET = "Dataset"
    AGREEMENT = "Agreement"
    FLOW = "Flow"
    GRANT = "Grant"
    SECTION = "Section"
    SMALL_CELL = "SmallCell"


class Rel(str, Enum):
    """Relationship types of the graph: every type the Cypher in ``cypher/`` creates or matches."""

    PART_OF = "PART_OF"            # (Actor)->(Actor) organisation hierarchy
    HOLDS = "HOLDS"                # (Actor)->(Dataset)
    KEEPS = "KEEPS"                # (Dataset)->(Element)
    COVERS = "COVERS"              # (Dataset)->(Actor school/district) population coverage
    SOURCE_OF = "SOURCE_OF"        # (Dataset)->(Flow)
    TARGETS = "TARGETS"            # (Flow)->(Dataset)
    CARRIES = "CARRIES"            # (Flow)->(Element)
    UNDER = "UNDER"                # (Flow|Grant)->(Agreement)
    PERMITS = "PERMITS"            # (Agreement)->(Element)
    NAMES = "NAMES"                # (Agreement)->(Actor) recipients named
    GRANTED_TO = "GRANTED_TO"      # (Grant)->(Actor)
    ON = "ON"                      # (Grant)->(Dataset)
    SCOPED_ON = "SCOPED_ON"        # (Grant)->(Dataset) a grant to one person (roster, own child)
    ALLOWS = "ALLOWS"              # (Grant)->(Element)
    ENROLLED_AT = "ENROLLED_AT"    # (Student)->(Actor school/district) {valid_from, valid_to}
    IN_SECTION = "IN_SECTION"      # (Student)->(Section) {valid_from, valid_to}
    TEACHES = "TEACHES"            # (Actor teacher)->(Section) {valid_from, valid_to}
    SECTION_OF = "SECTION_OF"      # (Section)->(Actor school)
    GUARDIAN_OF = "GUARDIAN_OF"    # (Actor parent)->(Student) {valid_from, valid_to}
    MEMBER_OF = "MEMBER_OF"        # (Student)->(Dataset) explicit membership
    SUBJECT_OF = "SUBJECT_OF"      # (Student)->(Flow) a flow about listed students only
    IN_CELL = "IN_CELL"            # (Student)->(SmallCell)
    CELL_OF = "CELL_OF"            # (SmallCell)->(Dataset)
    ACCESSED = "ACCESSED"          # (Actor)->(Student) {at, dataset, action} from access logs


class Role(str, Enum):
    """Actor roles, from the domain brief's table."""

    PARENT = "parent"
    ELIGIBLE_STUDENT = "eligible_student"
    TEACHER = "teacher"
    SCHOOL = "school"
    DISTRICT = "district"
    VENDOR = "vendor"
    STATE = "state"
    FEDERAL = "federal"
    RESEARCHER = "researcher"
    EMERGENCY = "emergency"
    COURT = "court"
    PUBLIC = "public"
    OTHER = "other"


ORGANISATION_ROLES = {Role.SCHOOL, Role.DISTRICT}

#: Roles of the people whose records they are (or whose child's): never school officials.
PERSON_ROLES = frozenset({Role.PARENT.value, Role.ELIGIBLE_STUDENT.value})


class Granularity(str, Enum):
    """A dataset's granularity: identifiable rows, de-identified rows, or aggregates."""

    STUDENT = "student"
    DEIDENTIFIED = "deidentified"
    AGGREGATE = "aggregate"


class Access(str, Enum):
    """The class of an actor's exposure to one student. Ordered: identifiable is the strongest."""

    IDENTIFIABLE = "identifiable"
    DEIDENTIFIED = "deidentified"
    AGGREGATE = "aggregate"

    @property
    def rank(self) -> int:
        """3 identifiable, 2 de-identified, 1 aggregate."""
        return _RANK[self.value]

    @classmethod
    def of(cls, g: Granularity) -> Access:
        """The access class a dataset of granularity ``g`` gives."""
        return _ACCESS_OF[g]


_RANK = {"identifiable": 3, "deidentified": 2, "aggregate": 1}
_ACCESS_OF = {"student": Access.IDENTIFIABLE, "deidentified": Access.DEIDENTIFIED,
              "aggregate": Access.AGGREGATE}


class Scope(str, Enum):
    """Scope of an access grant (which students of the dataset the actor may read)."""

    ALL = "all"
    ROSTER = "roster"          # students in the sections the actor teaches, while taught
    OWN_CHILD = "own_child"    # the guardian's own children, while guardian
    SCHOOL = "school"          # students enrolled at scope_org (a school)
    DISTRICT = "district"      # students enrolled at scope_org (a district) or its schools


class FlowKind(str, Enum):
    """What a flow is: data entering a dataset, a derivation, or data leaving for another actor."""

    COLLECTION = "collection"
    TRANSFORMATION = "transformation"
    DISCLOSURE = "disclosure"


class Operation(str, Enum):
    """How a flow derives its target."""

    COPY = "copy"
    SUBSET = "subset"
    JOIN = "join"
    DEIDENTIFY = "deidentify"
    AGGREGATE = "aggregate"


class Retention(str, Enum):
    """What happens to a student's records in a dataset after the student leaves its source.

    ``kept``: the records stay until the dataset ends (SIS history, longitudinal system,
    research extract, vendor copy not deleted). ``current``: the dataset mirrors its source's
    current population (a vendor sync that deletes departed students under its agreement).
    """

    KEPT = "kept"
    CURRENT = "current"


class AgreementKind(str, Enum):
    """Kinds of written agreement."""

    NDPA = "ndpa"
    DPA = "dpa"
    RESEARCH = "research"
    MOU = "mou"
    CONSENT = "consent"
    OTHER = "other"


class LegalBasis(str, Enum):
    """Legal bases for a disclosure or access, each citing its source (see :data:`LEGAL_BASES`)."""

    SCHOOL_OFFICIAL = "school_official"
    OTHER_SCHOOL = "other_school"
    AUDIT_EVALUATION = "audit_evaluation"
    STUDIES = "studies"
    HEALTH_SAFETY_EMERGENCY = "health_safety_emergency"
    DIRECTORY_INFORMATION = "directory_information"
    JUVENILE_JUSTICE = "juvenile_justice"
    CONSENT = "consent"
    PARENT = "parent"
    CHILD_NUTRITION = "child_nutrition"
    COURT_ORDER = "court_order"
    STATE_LAW = "state_law"
    FEDERAL_REPORTING = "federal_reporting"
    OTHER = "other"

    @property
    def label(self) -> str:
        """Plain-language name."""
        return LEGAL_BASES[self][0]

    @property
    def citation(self) -> str:
        """The rule's source, e.g. 'FERPA §99.31(a)(1)'."""
        return LEGAL_BASES[self][1]


LEGAL_BASES: dict[LegalBasis, tuple[str, str]] = {
    LegalBasis.SCHOOL_OFFICIAL: ("school official", "FERPA §99.31(a)(1)"),
    LegalBasis.OTHER_SCHOOL: ("other school (transfer)", "FERPA §99.31(a)(2), §99.34"),
    LegalBasis.AUDIT_EVALUATION: ("audit/evaluation", "FERPA §99.31(a)(3), §99.35"),
    LegalBasis.STUDIES: ("studies", "FERPA §99.31(a)(6)"),
    LegalBasis.HEALTH_SAFETY_EMERGENCY: ("health or safety emergency", "FERPA §99.31(a)(10), §99.36"),
    LegalBasis.DIRECTORY_INFORMATION: ("directory information", "FERPA §99.31(a)(11), §99.37"),
    LegalBasis.JUVENILE_JUSTICE: ("juvenile justice system", "FERPA §99.31(a)(5), §99.38"),
    LegalBasis.CONSENT: ("written consent", "FERPA §99.30"),
    LegalBasis.PARENT: ("parent / eligible student", "FERPA §99.10"),
    LegalBasis.CHILD_NUTRITION: ("child nutrition program", "42 U.S.C. §1758(b)(6)"),
    LegalBasis.COURT_ORDER: ("court order or subpoena", "FERPA §99.31(a)(9)"),
    LegalBasis.STATE_LAW: ("state law", "state statute"),
    LegalBasis.FEDERAL_REPORTING: ("federal reporting", "20 U.S.C. §9543; EDFacts"),
    LegalBasis.OTHER: ("other", "see agreement"),
}

#: Bases exempt from the record of disclosures, FERPA §99.32(d): the parent/eligible student,
#: school officials with legitimate educational interest, parties with written consent,
#: directory information. (Another school is NOT exempt.)
RECORD_EXEMPT = frozenset({
    LegalBasis.PARENT, LegalBasis.SCHOOL_OFFICIAL, LegalBasis.CONSENT,
    LegalBasis.DIRECTORY_INFORMATION,
})

#: Bases under which identifiable data may go to a researcher (domain brief; FERPA §99.31(a)(3), (a)(6)).
RESEARCH_BASES = frozenset({LegalBasis.STUDIES, LegalBasis.AUDIT_EVALUATION})

#: Aliases accepted when reading bases written by people (spreadsheets). Keys are lower-case.
#: Value: (basis, needs_warning). A warning names the row where an alias was used.
BASIS_ALIASES: dict[str, tuple[LegalBasis, bool]] = {
    "school official": (LegalBasis.SCHOOL_OFFICIAL, False),
    "school officials": (LegalBasis.SCHOOL_OFFICIAL, False),
    "other school": (LegalBasis.OTHER_SCHOOL, False),
    "transfer": (LegalBasis.OTHER_SCHOOL, False),
    "audit/evaluation": (LegalBasis.AUDIT_EVALUATION, False),
    "audit or evaluation": (LegalBasis.AUDIT_EVALUATION, False),
    "audit": (LegalBasis.AUDIT_EVALUATION, True),
    "studies": (LegalBasis.STUDIES, False),
    "study": (LegalBasis.STUDIES, True),
    "health or safety emergency": (LegalBasis.HEALTH_SAFETY_EMERGENCY, False),
    "health/safety emergency": (LegalBasis.HEALTH_SAFETY_EMERGENCY, False),
    "emergency": (LegalBasis.HEALTH_SAFETY_EMERGENCY, True),
    "directory information": (LegalBasis.DIRECTORY_INFORMATION, False),
    "directory": (LegalBasis.DIRECTORY_INFORMATION, True),
    "juvenile justice": (LegalBasis.JUVENILE_JUSTICE, False),
    "written parental consent": (LegalBasis.CONSENT, False),
    "parental consent": (LegalBasis.CONSENT, False),
    "written consent": (LegalBasis.CONSENT, False),
    "consent": (LegalBasis.CONSENT, False),
    "parent": (LegalBasis.PARENT, False),
    "child nutrition": (LegalBasis.CHILD_NUTRITION, False),
    "court order": (LegalBasis.COURT_ORDER, False),
    "subpoena": (LegalBasis.COURT_ORDER, False),
    "state law": (LegalBasis.STATE_LAW, False),
    "federal reporting": (LegalBasis.FEDERAL_REPORTING, False),
}
for _b in LegalBasis:
    BASIS_ALIASES.setdefault(_b.value, (_b, False))
    BASIS_ALIASES.setdefault(_b.value.replace("_", " "), (_b, False))


def parse_basis(text: str) -> tuple[LegalBasis, bool]:
    """Read a legal basis written by a person: ``(basis, is_alias_needing_warning)``.

    Case and surrounding white space are ignored. Raises ``ValueError`` naming the accepted
    values when ``text`` is not a known basis or alias.
    """
    key = " ".join(text.strip().lower().split())
    if key in BASIS_ALIASES:
        return BASIS_ALIASES[key]
    accepted = ", ".join(sorted({b.value for b in LegalBasis}))
    raise ValueError(f"unknown legal basis {text.strip()!r}; use one of: {accepted} "
                     "(or a FERPA exception name such as 'School Official', 'Studies')")


# --- NDPA Exhibit B catalogue -------------------------------------------------------------

#: Categories whose elements are sensitive (domain brief): Special Indicator, protected surveys.
SENSITIVE_CATEGORIES = frozenset({"Special Indicator", "Student Survey Responses"})

#: What an access-log event says the actor did (the ``action`` column of ``access_log`` files).
#: A closed list: the column sits beside student IDs, so free text could carry one into the graph.
ACCESS_ACTIONS = ("read", "view", "export", "download", "print", "update", "share")

#: category -> elements (names as used in inventories; NDPA Exhibit B wording, shortened where
#: Exhibit B repeats the category, e.g. "Address" under Student Contact Information becomes
#: "Student Contact Address").
NDPA_CATALOGUE: dict[str, list[str]] = {
    "Application Technology Meta Data": [
        "IP Addresses of users", "Use of cookies", "Other application technology meta data"],
    "Application Use Statistics": ["Meta data on user interaction with application"],
    "Assessment": ["Standardized test scores", "Observation data", "Other assessment data"],
    "Attendance": ["Student school (daily) attendance data", "Student class attendance data"],
    "Communications": ["Online communications captured"],
    "Conduct": ["Conduct or behavioral data"],
    "Demographics": ["Date of Birth", "Place of Birth", "Gender", "Ethnicity or race",
                     "Language information", "Other demographic information"],
    "Enrollment": ["Student school enrollment", "Student grade level", "Homeroom",
                   "Guidance counselor", "Specific curriculum programs", "Year of graduation",
                   "Other enrollment information"],
    "Parent/Guardian Contact Information": ["Parent/Guardian Address", "Parent/Guardian Email",
                                            "Parent/Guardian Phone"],
    "Parent/Guardian ID": ["Parent ID number"],
    "Parent/Guardian Name": ["Parent/Guardian Name"],
    "Schedule": ["Student scheduled courses", "Teacher names"],
    "Special Indicator": ["English language learner information", "Low income status",
                          "Medical alerts/health data", "Student disability information",
                          "Specialized education services (IEP or 504)",
                          "Living situations (homeless/foster care)", "Other indicator information"],
    "Student Contact Information": ["Student Contact Address", "Student Contact Email",
                                    "Student Contact Phone"],
    "Student Identifiers": ["Local ID number", "State ID number",
                            "Provider/App assigned student ID number", "Student app username",
                            "Student app passwords"],
    "Student Name": ["Student Name"],
    "Student In App Performance": ["Program/application performance"],
    "Student Program Membership": ["Academic or extracurricular activities"],
    "Student Survey Responses": ["Student responses to surveys or questionnaires"],
    "Student work": ["Student generated content", "Other student work data"],
    "Transcript": ["Student course grades", "Student course data",
                   "Student course grades/performance scores", "Other transcript data"],
    "Transportation": ["Student bus assignment", "Student pick up and/or drop off location",
                       "Student bus card ID number", "Other transportation data"],
    "Other": ["Other"],
}

NDPA_CATEGORIES = tuple(NDPA_CATALOGUE)

#: element name -> category
ELEMENT_CATEGORY: dict[str, str] = {e: c for c, es in NDPA_CATALOGUE.items() for e in es}
