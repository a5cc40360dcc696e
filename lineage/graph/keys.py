"""The pseudonym key against the graph: the graph keeps only a check value of the key (an HMAC
of a fixed label, :attr:`lineage.core.pseudonym.Pseudonymizer.check`); these read and record it."""

from __future__ import annotations

import hmac

from lineage.core.pseudonym import Pseudonymizer, key_mismatch
from lineage.graph.store import Store


def key_state(store: Store) -> dict:
    """What the graph records about the key: ``{"check": hex | None, "demo": bool,
    "empty": bool}`` (``empty``: no node but the key check node). One read
    (``cypher/admin/key_check.cypher``)."""
    return store.read("admin/key_check")[0]


def verify_key(store: Store, pseudo: Pseudonymizer) -> None:
    """Refuse a student question (or the start of a load) made with another key.

    Reads the key check value the first load recorded; a graph without one (empty, or loaded
    before check values existed) passes. Raises :class:`ConfigurationError` (exit 2) when the
    value differs from ``pseudo.check``.
    """
    check_recorded(key_state(store)["check"], pseudo)


def check_recorded(recorded: str | None, pseudo: Pseudonymizer) -> None:
    """:func:`verify_key` on a check value already read (``None``: the graph records none,
    which passes), e.g. the ``key_check`` column of ``cypher/queries/exposure_context.cypher``
    (a student question in one round trip). Raises :class:`ConfigurationError` (exit 2) when
    it differs from ``pseudo.check``."""
    if recorded is not None and not hmac.compare_digest(recorded, pseudo.check):
        raise key_mismatch()


def claim_key(store: Store, pseudo: Pseudonymizer, *, demo: bool = False) -> None:
    """Record the key check value when the graph has none (the first load), atomically
    (``cypher/ingest/key_check.cypher``; a uniqueness constraint makes two first loads agree),
    then verify it. ``demo``: mark the graph as made by ``lineage demo``. Raises
    :class:`ConfigurationError` (exit 2) for another key.
    """
    verify_key(store, pseudo)      # another key: refused before anything is written
    store.write("ingest/key_check", check=pseudo.check, demo=demo)
    verify_key(store, pseudo)      # a concurrent first load with another key won the MERGE
