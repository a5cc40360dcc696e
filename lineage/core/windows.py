"""Inclusive date windows and sets of them (the time arithmetic of the lineage rules).

A :class:`Window` is ``[start, end]``, both inclusive ISO dates; an open start is
``date.min`` and an open end ``date.max`` internally (``None`` at the edges of the library).
Rule (domain brief): windows **intersect** along a path; "ever" means a non-empty window.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date, timedelta
from typing import Any, NamedTuple

OPEN_START = date.min
OPEN_END = date.max


def to_date(value: Any) -> date | None:
    """Convert a driver date (``neo4j.time.Date``), ``date`` or ISO string to ``date``/``None``."""
    if type(value) is date:
        return value
    if value is None:
        return None
    if isinstance(value, date):
        return value
    native = getattr(value, "to_native", None)
    if native is not None:
        return native()
    if value == "":
        return None
    return date.fromisoformat(str(value)[:10])


_ISO_SHAPE = re.compile(r"(\d{4})-(\d{2})-(\d{2})")


def parse_day(text: str) -> date:
    """Read one ISO date ``YYYY-MM-DD`` (a date-time ``YYYY-MM-DDTHH:MM...`` keeps its date).

    Raises ``ValueError`` whose message says what is wrong **without repeating the text** (callers
    may be reading a file that holds student IDs): ``"not an ISO date (YYYY-MM-DD)"`` for another
    shape, ``"not a real date: month 02 has no day 30 (YYYY-MM-DD)"`` for a day the calendar does
    not have, ``"not a real date: there is no month 13 (YYYY-MM-DD)"``. The one date reader of
    the package (CLI options, web forms, inventories, bulk files, exports).
    """
    text = text.strip()
    try:
        if len(text) > 10 and text[10:11] in ("T", " "):
            return date.fromisoformat(text[:10])
        return date.fromisoformat(text)
    except ValueError:
        pass
    m = _ISO_SHAPE.fullmatch(text[:10]) if len(text) == 10 or text[10:11] in ("T", " ") else None
    if m:
        month, day = int(m.group(2)), int(m.group(3))
        if not 1 <= month <= 12:
            raise ValueError(f"not a real date: there is no month {month:02d} (YYYY-MM-DD)")
        raise ValueError(f"not a real date: month {month:02d} has no day {day:02d} "
                         "in that year (YYYY-MM-DD)")
    raise ValueError("not an ISO date (YYYY-MM-DD)")


def iso(value: Any, missing: str | None = None) -> str | None:
    """A date (``date``, driver date or ISO string) as ISO text ``YYYY-MM-DD``; ``missing`` (by
    default ``None``) when there is no date. The one date-to-text helper of the package."""
    d = value if type(value) is date else to_date(value)
    return d.isoformat() if d else missing


class Window(NamedTuple):
    """An inclusive window of days. Empty when ``end < start``.

    A named tuple ``(start, end)``: built, compared and ordered as the tuple (the rules make
    hundreds of thousands of windows per answer, and a tuple is the cheapest immutable pair)."""

    start: date = OPEN_START
    end: date = OPEN_END

    @classmethod
    def of(cls, start: Any = None, end: Any = None) -> Window:
        """Build from optional dates (``None`` = open)."""
        return cls(to_date(start) or OPEN_START, to_date(end) or OPEN_END)

    @property
    def empty(self) -> bool:
        """True when no day is in the window."""
        return self[1] < self[0]

    def __and__(self, other: Window) -> Window:  # type: ignore[override]
        s, e = self
        os_, oe = other
        return Window(s if s >= os_ else os_, e if e <= oe else oe)

    def contains(self, d: date) -> bool:  # type: ignore[override]
        """True when ``d`` is in the window."""
        return self[0] <= d <= self[1]

    @property
    def first(self) -> date | None:
        """The start, ``None`` when open."""
        return None if self[0] == OPEN_START else self[0]

    @property
    def last(self) -> date | None:
        """The end, ``None`` when open (still running)."""
        return None if self[1] == OPEN_END else self[1]


ALWAYS = Window()


class WindowSet:
    """A union of windows, kept sorted and merged (adjacent days merge).

    Invariant: ``parts`` are sorted, non-empty, and neither overlap nor touch (a day apart at
    least). Intersections keep it by themselves, so they skip the merge; a set is never
    changed after it is made (operations return new sets)."""

    __slots__ = ("parts",)

    def __init__(self, parts: Iterable[Window] = ()) -> None:
        self.parts: list[Window] = self._merge([w for w in parts if w[0] <= w[1]])

    @classmethod
    def _merged(cls, parts: list[Window]) -> WindowSet:
        """A set of parts that already keep the invariant (no sort, no merge)."""
        ws = cls.__new__(cls)
        ws.parts = parts
        return ws

    @staticmethod
    def _merge(ws: list[Window]) -> list[Window]:
        if len(ws) <= 1:
            return ws
        ws = sorted(ws)
        out = [ws[0]]
        for w in ws[1:]:
            last = out[-1]
            if last.end == OPEN_END or w.start <= last.end + timedelta(days=1):
                if w.end > last.end:
                    out[-1] = Window(last.start, w.end)
            else:
                out.append(w)
        return out

    def __bool__(self) -> bool:
        return bool(self.parts)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, WindowSet) and self.parts == other.parts

    def __repr__(self) -> str:
        return f"WindowSet({self.parts})"

    def intersect(self, w: Window) -> WindowSet:
        """Each part intersected with ``w``."""
        ws, we = w
        out = []
        for s, e in self.parts:
            if s < ws:
                s = ws
            if e > we:
                e = we
            if s <= e:
                out.append(Window(s, e))
        return WindowSet._merged(out)

    def intersect_set(self, other: WindowSet) -> WindowSet:
        """Pairwise intersection of two sets."""
        out = []
        theirs = other.parts
        for ps, pe in self.parts:
            for qs, qe in theirs:
                s = ps if ps >= qs else qs
                e = pe if pe <= qe else qe
                if s <= e:
                    out.append(Window(s, e))
        # parts of one set, each cut by the sorted parts of the other: still sorted and apart
        return WindowSet._merged(out)

    def meets(self, other: WindowSet) -> bool:
        """True when some day is in both sets (``bool(self.intersect_set(other))``)."""
        theirs = other.parts
        for ps, pe in self.parts:
            for qs, qe in theirs:
                if ps <= qe and qs <= pe:
                    return True
        return False

    def contains(self, d: date) -> bool:
        """True when day ``d`` is in one of the windows."""
        return any(s <= d <= e for s, e in self.parts)

    def from_first(self, arrivals: WindowSet) -> WindowSet:
        """For each part of this set that meets ``arrivals``: from the first day of ``arrivals``
        in it to the end of the part (what a record holds from the day something arrives for as
        long as it is held without a break)."""
        out = []
        theirs = arrivals.parts
        for ps, pe in self.parts:
            for qs, qe in theirs:  # sorted: the first that meets the part starts the hit
                if qs <= pe and ps <= qe:
                    out.append(Window(ps if ps >= qs else qs, pe))
                    break
        return WindowSet._merged(out)

    def union(self, other: WindowSet) -> WindowSet:
        """All days in either set."""
        if not other.parts:
            return self
        if not self.parts:
            return other
        return WindowSet(self.parts + other.parts)

    @property
    def first(self) -> date | None:
        """Earliest day (``None`` if open or empty)."""
        return self.parts[0].first if self.parts else None

    @property
    def start(self) -> date:
        """Earliest day (``date.min`` if open). Raises ``IndexError`` when empty."""
        return self.parts[0].start

    @property
    def end(self) -> date:
        """Latest day (``date.max`` if open). Raises ``IndexError`` when empty."""
        return self.parts[-1].end

    @property
    def last(self) -> date | None:
        """Latest day, ``None`` when still running (or empty)."""
        return self.parts[-1].last if self.parts else None

    def hull(self) -> Window:
        """The smallest single window containing every part."""
        return Window(self.start, self.end)
