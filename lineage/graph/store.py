"""The one seam that owns the Neo4j driver.

:class:`Store` opens the official ``neo4j`` driver (6.x), names the database on every call
(``database_``), routes reads as reads (``routing_=READ``: works against a single server, a
cluster or Aura by URI alone), retries transient errors through managed transactions
(``execute_query`` / ``execute_read`` / ``execute_write``) and maps every driver error to the
library's own (:class:`~lineage.core.errors.DatabaseUnavailable`, :class:`~lineage.core.errors.DatabaseError`).
Close it with a ``with`` block; it never relies on ``__del__``.

No wait is unbounded: connecting, acquiring a connection and retrying are bounded by
``NEO4J_TIMEOUT`` (:meth:`~lineage.core.settings.Neo4jSettings.driver_config`), every transaction
carries ``NEO4J_TRANSACTION_TIMEOUT``, and a server that stops answering mid-query is noticed by
the receive timeout it announced; each ends as :class:`~lineage.core.errors.DatabaseUnavailable`
(exit 3) naming the URI with any credentials redacted.
"""

from __future__ import annotations

import queue
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlsplit

import neo4j
from neo4j import GraphDatabase, RoutingControl
from neo4j import exceptions as nex

from lineage.core.errors import (ConfigurationError, DatabaseError, DatabaseUnavailable,
                                 redact_uri)
from lineage.core.settings import LOOPBACK, Neo4jSettings
from lineage.graph.cypher import query, statements

#: Server error codes of a transaction that ran longer than its timeout.
_TIMED_OUT = ("Neo.ClientError.Transaction.TransactionTimedOut",
              "Neo.ClientError.Transaction.TransactionTimedOutClientConfiguration")


#: The server ran out of the memory its transactions may use (70 % of the heap by default).
_OUT_OF_MEMORY = "Neo.TransientError.General.MemoryPoolOutOfMemoryError"
_MEMORY_HINT = ("the server needs more memory for this question: restart the local server with "
                "a larger heap ('lineage db stop', then 'lineage db start --heap 8g'), or raise "
                "the server's dbms.memory.heap.max_size (and dbms.memory.transaction.total.max)")


@contextmanager
def _translate(uri: str, tx_timeout: float | None = None):
    """Translate driver exceptions raised inside the block into library errors (messages
    never show a URI's credentials)."""
    try:
        yield
    except (nex.ServiceUnavailable, nex.SessionExpired, nex.ConnectionAcquisitionTimeoutError,
            OSError) as exc:
        raise DatabaseUnavailable(uri, type(exc).__name__) from None
    except nex.AuthError as exc:
        raise ConfigurationError(
            f"authentication failed at {redact_uri(uri)}: {redact_uri(exc.message or '')}",
            hint="check NEO4J_USER / NEO4J_PASSWORD (or --user / --password); the local "
            "server's password is in LINEAGE_HOME/password ('lineage db password')",
        ) from None
    except nex.ConfigurationError as exc:
        raise DatabaseUnavailable(uri, str(exc)) from None
    except nex.Neo4jError as exc:
        if exc.code == "Neo.ClientError.Database.DatabaseNotFound":
            raise ConfigurationError(
                f"the server at {redact_uri(uri)} has no such database: "
                f"{redact_uri(exc.message or '')}",
                hint="set NEO4J_DATABASE (or --database) to a database the server holds "
                "('SHOW DATABASES' in Neo4j Browser lists them; Community Edition serves one, "
                "usually 'neo4j')") from None
        if exc.code in _TIMED_OUT:
            raise DatabaseUnavailable(
                uri, f"a transaction ran longer than NEO4J_TRANSACTION_TIMEOUT="
                f"{tx_timeout or 0:g} s") from None
        raise DatabaseError(f"the database refused a statement: {exc.code}: "
                            f"{redact_uri(exc.message or '')}",
                            hint=_MEMORY_HINT if exc.code == _OUT_OF_MEMORY else None) from None
    except nex.DriverError as exc:
        raise DatabaseError(f"driver error: {redact_uri(str(exc))}") from None


def refused(uri: str, timeout: float = 2.0) -> str | None:
    """The reason when the URI's host refuses TCP connections or does not resolve (nothing
    listens there: say so at once rather than after the driver's retries), else ``None`` (it
    answers, or is slow: the driver's bounded waits decide). One TCP connection, closed."""
    parts = urlsplit(uri)
    try:
        port = parts.port or 7687
    except ValueError:
        return None
    if not parts.hostname:
        return None
    try:
        socket.create_connection((parts.hostname, port), timeout=timeout).close()
    except ConnectionRefusedError:
        return "connection refused: nothing listens there"
    except socket.gaierror:
        return "the host name does not resolve"
    except OSError:
        return None
    return None


def probe(settings: Neo4jSettings) -> None:
    """Fail fast with :class:`DatabaseUnavailable` when nothing answers at ``settings.uri``
    (``lineage db status``, the tests' set-up).

    One connection attempt, no retries (the store's managed transactions retry for ~15 s).
    Other failures (authentication, ...) are left for the store to report.
    """
    try:
        with GraphDatabase.driver(settings.uri, auth=settings.auth(),
                                  **settings.driver_config()) as driver:
            driver.verify_connectivity()
    except (nex.ServiceUnavailable, nex.SessionExpired, nex.ConnectionAcquisitionTimeoutError,
            OSError) as exc:
        raise DatabaseUnavailable(settings.uri, type(exc).__name__) from None
    except ValueError as exc:
        raise DatabaseUnavailable(settings.uri, f"invalid URI: {exc}") from None
    except (nex.Neo4jError, nex.DriverError):
        return


def run_once(uri: str, auth: tuple[str, str] | None, name: str, *, database: str,
             timeout: float, **params: Any) -> list[dict[str, Any]] | None:
    """Run ``cypher/<name>.cypher`` once at ``uri`` for the local server's launcher: no retry,
    each wait bounded by ``timeout`` seconds (at least 0.5). Returns the rows as dicts, or
    ``None`` when nothing answers (network, driver, server or URI error). Lets
    :class:`neo4j.exceptions.AuthError` through: what a refused password means is the
    caller's to say."""
    t = max(timeout, 0.5)
    try:
        with GraphDatabase.driver(uri, auth=auth, connection_timeout=t,
                                  connection_acquisition_timeout=t,
                                  max_transaction_retry_time=0) as driver:
            records, _, _ = driver.execute_query(query(name), parameters_=params,
                                                 database_=database)
    except nex.AuthError:
        raise
    except (nex.Neo4jError, nex.DriverError, OSError, ValueError):
        return None
    return [r.data() for r in records]


_GRAPH_TYPES = (neo4j.graph.Node, neo4j.graph.Relationship, neo4j.graph.Path)


def _keys_values(result: neo4j.Result) -> tuple[list[str], list[list[Any]]]:
    """A result's column names and its rows' values, as decoded (no copy); a row holding a
    node, relationship or path in a column (the Browser's path queries) is converted as
    ``Record.data()`` converts it."""
    keys = result.keys()
    rows = []
    for record in result:
        values = record.values()
        if any(isinstance(v, _GRAPH_TYPES) for v in values):
            data = record.data()
            values = [data[k] for k in keys]
        rows.append(values)
    return keys, rows


def _release(rows: list) -> None:
    """Empty a batch once its transaction has committed.

    The driver keeps every statement's parameters in its ``ResultSummary``, and the summary
    sits in a reference cycle with its ``Result`` and transaction: only the cyclic garbage
    collector frees it. Row dicts of plain values are not tracked by that collector, so it
    seldom runs while a bulk file streams, and the written batches (20,000 rows each) piled up
    until it did: 300-600 MB at 100 k students, 3 GB at 1 M. Emptied, each batch left behind
    costs a few hundred bytes. Never called before the commit: a retried transaction needs the
    rows again."""
    rows.clear()


class Store:
    """Owns one driver. Shape of results: lists of plain ``dict`` rows, column name -> value.

    The queries (``cypher/**/*.cypher``) return maps, lists and scalars, so a row is made of the
    values the driver decoded, without the recursive copy of ``Record.data()``; only a row with
    a node, relationship or path in a column (``browse_exposure``) is converted as ``data()``
    does. Graph entities nested in lists or maps are not converted: queries never return them.

    Usage::

        with Store(Neo4jSettings()) as store:
            rows = store.read("queries/actors_by_id", ids=["rsd"])
    """

    def __init__(self, settings: Neo4jSettings) -> None:
        self.settings = settings
        self.uri = settings.uri
        self.database = settings.database
        self.tx_timeout = settings.tx_timeout()
        with self._translate():
            try:
                self._driver = GraphDatabase.driver(
                    settings.uri, auth=settings.auth(), notifications_min_severity="OFF",
                    **settings.driver_config(),
                )
            except ValueError as exc:  # malformed URI
                raise DatabaseUnavailable(settings.uri, f"invalid URI: {exc}") from None
        reason = refused(settings.uri)
        if reason:
            self._driver.close()
            raise DatabaseUnavailable(settings.uri, reason)

    # context management -------------------------------------------------
    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _translate(self):
        return _translate(self.uri, self.tx_timeout)

    def _query(self, cypher: str) -> neo4j.Query:
        """``cypher`` with the transaction timeout (``NEO4J_TRANSACTION_TIMEOUT``)."""
        return neo4j.Query(cypher, timeout=self.tx_timeout)

    def close(self) -> None:
        """Close the driver (idempotent)."""
        self._driver.close()

    def reopen(self) -> None:
        """Close the driver and open a new one with the same settings: after the database was
        replaced offline (``lineage load --initial``), the old driver's bookmarks name
        transactions the new database never had (``BookmarkTimeout``); a new driver has none.
        Raises :class:`DatabaseUnavailable` when the server does not answer."""
        self._driver.close()
        with self._translate():
            self._driver = GraphDatabase.driver(
                self.settings.uri, auth=self.settings.auth(), notifications_min_severity="OFF",
                **self.settings.driver_config(),
            )

    # checks --------------------------------------------------------------
    def refuse_if_down(self) -> None:
        """Raise :class:`DatabaseUnavailable` at once when the store's server is on this machine
        and refuses connections (stopped): a long-lived store (the web workspace) would
        otherwise wait out the driver's retries (a third of ``NEO4J_TIMEOUT`` per
        transaction). One TCP connection of at most 0.5 s; nothing is checked for a remote
        server (a connection there costs a network round trip: the driver's bounded waits
        decide)."""
        host = urlsplit(self.uri).hostname
        if host in LOOPBACK:
            reason = refused(self.uri, timeout=0.5)
            if reason:
                raise DatabaseUnavailable(self.uri, reason)

    def verify(self) -> dict[str, str]:
        """Check connectivity; return ``{"name", "version", "edition"}`` of the server.

        Raises :class:`DatabaseUnavailable` when it cannot be reached.
        """
        with self._translate():
            self._driver.verify_connectivity()
        rows = self.read("admin/components")
        return rows[0] if rows else {}

    # reads ---------------------------------------------------------------
    def read(self, name: str, **params: Any) -> list[dict[str, Any]]:
        """Run ``cypher/<name>.cypher`` as a routed read; return every row as a dict."""
        return self.read_text(query(name), **params)

    def read_text(self, cypher: str, **params: Any) -> list[dict[str, Any]]:
        """Run a read statement given as text (only for fixed statements, never templated)."""
        with self._translate():
            keys, rows = self._driver.execute_query(
                self._query(cypher), params, database_=self.database,
                routing_=RoutingControl.READ, result_transformer_=_keys_values,
            )
        return [dict(zip(keys, r)) for r in rows]

    def read_one_trip(self, name: str, **params: Any) -> list[dict[str, Any]]:
        """:meth:`read`, in one network round trip: an auto-commit read (``RUN`` and ``PULL``
        sent together) where a managed transaction makes two (``BEGIN``/``RUN``/``PULL``, then
        ``COMMIT``). For one short read statement answered while a user waits (a student's
        exposure). Causally chained like :meth:`read` (the driver's bookmark manager), and
        retried like it on transient errors within the retry time (``NEO4J_TIMEOUT`` / 3): a
        read can be run again."""
        cypher = self._query(query(name))
        give_up = time.monotonic() + self.settings.driver_config()["max_transaction_retry_time"]
        delay = 0.2
        with self._translate():
            while True:
                try:
                    with self._driver.session(
                            database=self.database, default_access_mode=neo4j.READ_ACCESS,
                            bookmark_manager=self._driver.execute_query_bookmark_manager,
                    ) as session:
                        keys, rows = _keys_values(session.run(cypher, params))
                    return [dict(zip(keys, r)) for r in rows]
                except (nex.Neo4jError, nex.DriverError) as exc:
                    if not exc.is_retryable() or time.monotonic() + delay > give_up:
                        raise
                time.sleep(delay)
                delay *= 2

    def stream(self, name: str, fetch_size: int = 2000, **params: Any) -> Iterator[dict[str, Any]]:
        """Stream the rows of a read query lazily (for millions of rows), routed as a read.

        Not retried: a failure mid-stream raises :class:`DatabaseUnavailable`/:class:`DatabaseError`.
        """
        cypher = query(name)
        with self._translate():
            with self._driver.session(
                database=self.database, default_access_mode=neo4j.READ_ACCESS, fetch_size=fetch_size
            ) as session:
                result = session.run(self._query(cypher), params)
                keys = result.keys()
                for record in result:
                    # queries return maps and lists, never nodes: skip data()'s recursive copy
                    yield dict(zip(keys, record))

    # writes --------------------------------------------------------------
    def write(self, name: str, **params: Any) -> neo4j.SummaryCounters:
        """Run ``cypher/<name>.cypher`` in a managed write transaction; return its counters."""
        return self.write_text(query(name), **params)

    def write_text(self, cypher: str, **params: Any) -> neo4j.SummaryCounters:
        """Run a write statement given as text (fixed statements only)."""
        with self._translate():
            _, summary, _ = self._driver.execute_query(
                self._query(cypher), params, database_=self.database,
                routing_=RoutingControl.WRITE,
            )
        return summary.counters

    def write_rows(self, name: str, **params: Any) -> list[dict[str, Any]]:
        """Run ``cypher/<name>.cypher`` in a managed write transaction; return its rows."""
        with self._translate():
            records, _, _ = self._driver.execute_query(
                self._query(query(name)), params, database_=self.database,
                routing_=RoutingControl.WRITE,
            )
        return [r.data() for r in records]

    def run_statements(self, name: str, **params: Any
                       ) -> list[tuple[list[dict[str, Any]], neo4j.SummaryCounters]]:
        """Run each statement of ``cypher/<name>.cypher`` (separated by ``;``) in an auto-commit
        transaction, in order (for ``CALL ... IN TRANSACTIONS`` batches: large changes never in
        one transaction). Returns ``(rows, counters)`` per statement. Not retried."""
        out = []
        with self._translate():
            with self._driver.session(database=self.database) as session:
                for st in statements(name):
                    result = session.run(self._query(st), params)
                    rows = [r.data() for r in result]
                    out.append((rows, result.consume().counters))
        return out

    def write_batches(self, name: str, batches, **params: Any) -> dict[str, int]:
        """Run ``cypher/<name>.cypher`` once per batch (``$rows``), one managed transaction each.

        ``batches`` is an iterable of lists of dicts; each list is emptied once its transaction
        has committed (see :func:`_release`). Returns summed counters
        (``nodes_created``, ``relationships_created``, ``relationships_deleted``,
        ``properties_set``).
        """
        cypher = query(name)
        totals = {"nodes_created": 0, "relationships_created": 0, "relationships_deleted": 0,
                  "properties_set": 0}

        @neo4j.unit_of_work(timeout=self.tx_timeout)
        def work(tx, rows):
            summary = tx.run(cypher, rows=rows, **params).consume()
            return summary.counters

        with self._translate():
            with self._driver.session(database=self.database) as session:
                for rows in batches:
                    if not rows:
                        continue
                    c = session.execute_write(work, rows)
                    _release(rows)
                    totals["nodes_created"] += c.nodes_created
                    totals["relationships_created"] += c.relationships_created
                    totals["relationships_deleted"] += c.relationships_deleted
                    totals["properties_set"] += c.properties_set
        return totals

    def write_partitioned(self, name: str, batches, writers: int = 2,
                          **params: Any) -> dict[str, int]:
        """Like :meth:`write_batches`, but ``batches`` yields ``(partition, rows)`` and
        ``writers`` sessions write concurrently, partition ``p`` always on writer ``p % writers``
        (so one partition's batches stay in order, and partitions chosen to touch disjoint nodes
        rarely wait on each other's locks; a deadlock is retried like any transient error).

        Each batch list is emptied once its transaction has committed (:func:`_release`).
        Returns summed counters. The first error of any writer is raised here (translated like
        every driver error) after the other writers stop.
        """
        if writers <= 1:
            return self.write_batches(name, (rows for _, rows in batches), **params)
        cypher = query(name)
        totals = {"nodes_created": 0, "relationships_created": 0, "properties_set": 0}
        lock = threading.Lock()
        queues = [queue.Queue(maxsize=2) for _ in range(writers)]
        errors: list[BaseException] = []
        stop = threading.Event()

        @neo4j.unit_of_work(timeout=self.tx_timeout)
        def work(tx, rows):
            return tx.run(cypher, rows=rows, **params).consume().counters

        def writer(q: queue.Queue) -> None:
            try:
                with self._driver.session(database=self.database) as session:
                    while True:
                        rows = q.get()
                        if rows is None:
                            return
                        if stop.is_set():
                            continue
                        c = session.execute_write(work, rows)
                        _release(rows)
                        with lock:
                            totals["nodes_created"] += c.nodes_created
                            totals["relationships_created"] += c.relationships_created
                            totals["properties_set"] += c.properties_set
            except BaseException as exc:  # noqa: BLE001 -- re-raised in the caller's thread
                errors.append(exc)
                stop.set()
                while q.get() is not None:  # drain so the producer never blocks
                    pass

        threads = [threading.Thread(target=writer, args=(q,), name=f"lineage-writer-{i}",
                                    daemon=True) for i, q in enumerate(queues)]
        for t in threads:
            t.start()
        try:
            for part, rows in batches:
                if stop.is_set():
                    break
                if rows:
                    queues[part % writers].put(rows)
        finally:
            for q in queues:
                q.put(None)
            for t in threads:
                t.join()
        if errors:
            with self._translate():
                raise errors[0]
        return totals

    def run_schema(self, name: str = "schema") -> None:
        """Run every statement of a schema file (idempotent ``IF NOT EXISTS`` statements)."""
        for st in statements(name):
            self.write_text(st)

    def run_auto(self, name: str, **params: Any) -> None:
        """Run every statement of ``cypher/<name>.cypher`` in an auto-commit transaction (for
        ``CALL ... IN TRANSACTIONS``: batched writes of any size, no transaction timeout)."""
        with self._translate():
            with self._driver.session(database=self.database) as session:
                for st in statements(name):
                    session.run(st, params).consume()

    def explain(self, cypher: str) -> None:
        """EXPLAIN a statement (plans it without running it); raises :class:`DatabaseError`."""
        with self._translate():
            with self._driver.session(database=self.database) as session:
                session.run(self._query("EXPLAIN " + cypher)).consume()

    def counts(self) -> dict[str, int]:
        """``{"nodes": n, "relationships": m}`` of the whole graph."""
        return self.read("admin/counts")[0]

    def reset(self) -> None:
        """Delete every node and relationship (in batches). Constraints and indexes stay."""
        with self._translate():
            with self._driver.session(database=self.database) as session:
                for st in statements("admin/reset"):  # batched: no transaction timeout
                    session.run(st).consume()
