"""Shared fixtures for every test that talks to the graph (domain fixtures live elsewhere).

Which Neo4j the tests use:

* ``NEO4J_URI`` set: that server (``NEO4J_USER`` / ``NEO4J_PASSWORD`` / ``NEO4J_DATABASE`` too).
* otherwise ``bolt://127.0.0.1:<LINEAGE_BOLT_PORT or 7687>`` if something answers there;
* otherwise the local server is started in ``LINEAGE_HOME`` (default ``<repo>/.lineage``) and
  stopped at the end of the session (only when this session started it).

The local server has authentication on: without ``NEO4J_PASSWORD``, the password is read from
``LINEAGE_HOME/password`` (as the CLI does, :func:`lineage.settings.with_local_password`).

A database that cannot be reached or started FAILS the tests that need it; they are never skipped.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

os.environ.setdefault("LINEAGE_PSEUDONYM_KEY", "test-key-not-secret-synthetic-data-only")

from lineage.core.errors import DatabaseUnavailable, LineageError  # noqa: E402
from lineage.core.settings import LineageSettings, Neo4jSettings, with_local_password  # noqa: E402
from lineage.graph import server  # noqa: E402
from lineage.graph.store import Store, probe  # noqa: E402

REPO = Path(__file__).resolve().parent.parent


def _reachable(settings: Neo4jSettings) -> str | None:
    """``None`` if ``settings.uri`` answers a query, else the reason (a message).

    One quick connection attempt first (the store's managed transactions retry for ~15 s).
    """
    try:
        probe(settings)
    except DatabaseUnavailable as exc:
        return exc.message
    try:
        with Store(settings) as store:
            store.verify()
    except LineageError as exc:
        return exc.message
    return None


@pytest.fixture(scope="session")
def neo4j_settings() -> Iterator[Neo4jSettings]:
    """How the tests reach Neo4j (a :class:`Neo4jSettings`); starts the local server if needed."""
    lineage = LineageSettings()
    home = lineage.home if lineage.home.is_absolute() else REPO / lineage.home
    if os.environ.get("NEO4J_URI"):
        settings = with_local_password(Neo4jSettings(), lineage, home)
        reason = _reachable(settings)
        if reason:
            pytest.fail(f"NEO4J_URI is set but {reason}", pytrace=False)
        yield settings
        return

    settings = with_local_password(
        Neo4jSettings(uri=f"bolt://127.0.0.1:{lineage.bolt_port}"), lineage, home)
    if _reachable(settings) is None:
        yield settings
        return

    try:
        server.start(home, bolt_port=lineage.bolt_port, http_port=lineage.http_port)
    except LineageError as exc:
        pytest.fail(f"no Neo4j at {settings.uri} and the local server could not start: "
                    f"{exc.message}", pytrace=False)
    try:
        yield settings
    finally:
        server.stop(home)


@pytest.fixture(scope="session")
def store(neo4j_settings: Neo4jSettings) -> Iterator[Store]:
    """One :class:`Store` for the whole session (closed at the end)."""
    with Store(neo4j_settings) as s:
        yield s


@pytest.fixture()
def empty_graph(store: Store) -> Store:
    """The session store after deleting every node and relationship (schema kept)."""
    store.reset()
    return store


@pytest.fixture(scope="session")
def env(neo4j_settings: Neo4jSettings) -> dict[str, str]:
    """Environment for CLI runs through click's CliRunner: the test database and the test key."""
    from tests.helpers import TEST_KEY

    e = {"NEO4J_URI": neo4j_settings.uri, "LINEAGE_PSEUDONYM_KEY": TEST_KEY,
         "LINEAGE_HTTP_PORT": str(LineageSettings().http_port)}
    auth = neo4j_settings.auth()
    if auth:
        e.update(NEO4J_USER=auth[0], NEO4J_PASSWORD=auth[1])
    return e


@pytest.fixture(scope="class")
def clean(store: Store) -> Store:
    """The graph holding the clean Riverside scenario (loaded once per test class)."""
    from tests.helpers import load_riverside

    load_riverside(store)
    return store


@pytest.fixture(scope="class")
def violated(store: Store) -> Store:
    """The graph holding Riverside with violations V1-V4 (loaded once per test class)."""
    from tests.helpers import load_riverside

    load_riverside(store, violations=True)
    return store
