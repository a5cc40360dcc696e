"""Look-up records: who in the district looked at which student's answers, and when.

Every student look-up (``exposure``, the record of disclosures, ``path``, the parent ``report``,
the lineage picture) and every breach-``impact`` export is recorded, from the CLI, the web
workspace and the JSON API, as one ``:Lookup`` node: **append-only** (``cypher/web/
lookup_create.cypher`` only creates; nothing updates or deletes a record except ``lineage db
reset``, which empties the whole graph). The student is named by pseudonym only, never by the
district's ID.

Shape of a record (``list_lookups``): ``{"at": ISO date-time (UTC), "who", "who_kind":
"user" | "api_key" | "os_user", "channel": "web" | "api" | "cli", "what", "student": pseudonym or
None, "detail": text or None}``.
"""

from __future__ import annotations

import getpass
import re
from datetime import date, datetime, time, timezone
from typing import Any

from lineage.core.errors import UsageError

#: What can be looked up (the ``what`` of a record).
WHAT = ("exposure", "record", "path", "report", "picture", "browse", "impact")
WHO_KINDS = ("user", "api_key", "os_user")
CHANNELS = ("web", "api", "cli")

_PSEUDONYM = re.compile(r"[0-9a-f]{32}")


def os_user() -> str:
    """The operating-system user running the CLI (who a CLI look-up is recorded for)."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no passwd entry, no LOGNAME/USER
        return "unknown"


def record_lookup(store, who: str, what: str, student_key: str | None = None,
                  detail: str | None = None, *, channel: str = "cli",
                  who_kind: str | None = None) -> None:
    """Record one look-up (append-only), at the current UTC time.

    ``who``: the signed-in user, the API key's name or the operating-system user;
    ``what``: one of :data:`WHAT`; ``student_key``: the student's **pseudonym** (32 hex
    characters; anything else is refused, so a raw student ID can never be recorded);
    ``detail``: e.g. ``"actor=univ-reading-lab"`` or ``"format=pdf"``. ``channel`` is ``cli``
    (default), ``web`` or ``api``; ``who_kind`` defaults to ``os_user`` for the CLI and ``user``
    otherwise. Raises :class:`ValueError` for a bad ``what``/``channel``/``who_kind`` or a
    ``student_key`` that is not a pseudonym; the store's errors.
    """
    if what not in WHAT:
        raise ValueError(f"what must be one of {WHAT}, not {what!r}")
    if channel not in CHANNELS:
        raise ValueError(f"channel must be one of {CHANNELS}, not {channel!r}")
    who_kind = who_kind or ("os_user" if channel == "cli" else "user")
    if who_kind not in WHO_KINDS:
        raise ValueError(f"who_kind must be one of {WHO_KINDS}, not {who_kind!r}")
    if student_key is not None and not _PSEUDONYM.fullmatch(student_key):
        raise ValueError("student_key must be a pseudonym (32 hex characters)")
    store.write("web/lookup_create", at=datetime.now(timezone.utc), who=who, who_kind=who_kind,
                channel=channel, what=what, student=student_key, detail=detail)


def impact_detail(actor: str | None, dataset: str | None, since: date | None,
                  until: date | None, fmt: str) -> str:
    """The ``detail`` of an impact look-up: ``"actor=ID since=D until=D format=F"`` (the parts
    given)."""
    parts = {"actor": actor, "dataset": dataset, "since": since, "until": until}
    return " ".join([f"{k}={v}" for k, v in parts.items() if v is not None] + [f"format={fmt}"])


def list_lookups(store, *, student_key: str | None = None, who: str | None = None,
                 since: date | datetime | None = None, limit: int = 1000
                 ) -> list[dict[str, Any]]:
    """Look-up records, newest first: of one student (by pseudonym), one ``who``, and/or from
    ``since`` (inclusive: a day from 00:00 UTC, or a moment; a naive date-time is UTC). At most
    ``limit`` rows (1..100000).

    Raises :class:`~lineage.core.errors.UsageError` for a bad ``limit``.
    """
    if not 1 <= limit <= 100_000:
        raise UsageError("limit must be between 1 and 100000")
    if isinstance(since, datetime):
        start = since if since.tzinfo else since.replace(tzinfo=timezone.utc)
    else:
        start = datetime.combine(since, time(0), tzinfo=timezone.utc) if since else None
    rows = store.read("web/lookups_list", student=student_key, who=who, since=start,
                      limit=limit)
    for r in rows:
        r["at"] = utc_text(r["at"])
    return rows


def for_report(store, student_key: str) -> list[dict[str, Any]]:
    """Who in the district looked at one student's records, oldest first, for the parent
    report (``lineage report --include-lookups``): ``[{"at", "who", "channel", "what"}]``,
    without the pseudonym (the report names the student only by the ID typed)."""
    rows = list_lookups(store, student_key=student_key, limit=100_000)
    return [{"at": r["at"], "who": r["who"], "channel": r["channel"], "what": r["what"]}
            for r in reversed(rows)]


def utc_text(value: Any) -> str | None:
    """A driver or Python date-time as ISO text, seconds precision, UTC (``Z``)."""
    if value is None:
        return None
    if hasattr(value, "to_native"):
        value = value.to_native()
    return value.astimezone(timezone.utc).replace(microsecond=0).isoformat().replace(
        "+00:00", "Z")
