"""The local Neo4j server and ``lineage db``: real servers, real Bolt.

The session server comes from ``conftest.neo4j_settings``; the restart test runs a second server
of its own in a temporary folder on free ports. Nothing here empties the session database.
"""

from __future__ import annotations

import os
import socket
import urllib.request
import uuid
from pathlib import Path

import pytest
from click.testing import CliRunner

from lineage import server
from lineage.cli import main
from lineage.errors import ServerError
from lineage.settings import Neo4jSettings
from lineage.store import Store


def _free_ports(n: int = 2) -> list[int]:
    """``n`` distinct TCP ports free on 127.0.0.1 right now."""
    socks = []
    try:
        for _ in range(n):
            s = socket.socket()
            s.bind(("127.0.0.1", 0))
            socks.append(s)
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


def _env(settings: Neo4jSettings) -> dict[str, str]:
    return {"NEO4J_URI": settings.uri, "NEO4J_USER": settings.user,
            "NEO4J_PASSWORD": settings.password.get_secret_value(),
            "NEO4J_DATABASE": settings.database}


# --------------------------------------------------------------------------- the session server


def test_write_and_read_over_bolt(store: Store) -> None:
    tag = uuid.uuid4().hex
    counters = store.write_text("CREATE (:LineageServerTest {tag: $tag, n: 42})", tag=tag)
    try:
        assert counters.nodes_created == 1
        rows = store.read_text("MATCH (t:LineageServerTest {tag: $tag}) RETURN t.n AS n", tag=tag)
        assert rows == [{"n": 42}]
    finally:
        store.write_text("MATCH (t:LineageServerTest {tag: $tag}) DELETE t", tag=tag)


def test_db_status_reports_version_5_26(neo4j_settings: Neo4jSettings, tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["db", "status", "--home", str(tmp_path)],
                                env=_env(neo4j_settings))
    assert result.exit_code == 0, result.output
    assert "Neo4j 5.26." in result.output
    assert neo4j_settings.uri in result.output


# --------------------------------------------------------------------------- no server needed


def test_status_of_unreachable_database_exits_3(tmp_path: Path) -> None:
    uri = "bolt://127.0.0.1:1"
    result = CliRunner().invoke(main, ["--uri", uri, "db", "status", "--home", str(tmp_path)])
    assert result.exit_code == 3, result.output
    assert "database unreachable" in result.output
    assert uri in result.output
    assert "Traceback" not in result.output
    assert isinstance(result.exception, SystemExit)


def test_reset_without_yes_exits_2_and_deletes_nothing() -> None:
    # an unreachable URI proves the command refuses before connecting
    result = CliRunner().invoke(main, ["--uri", "bolt://127.0.0.1:1", "db", "reset"])
    assert result.exit_code == 2, result.output
    assert "--yes" in result.output
    assert "nothing was deleted" in result.output


@pytest.mark.parametrize("taken", ["bolt", "http"])
def test_start_refuses_a_port_in_use(tmp_path: Path, taken: str) -> None:
    home = tmp_path / "srv"
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        busy = s.getsockname()[1]
        (free,) = _free_ports(1)
        ports = {"bolt_port": busy, "http_port": free} if taken == "bolt" else \
                {"bolt_port": free, "http_port": busy}
        with pytest.raises(ServerError) as err:
            server.start(home, **ports)
    assert str(busy) in err.value.message
    assert "already in use" in err.value.message
    assert not (home / "neo4j.pid").exists()


def test_start_without_java_or_mvn_says_so(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    bolt, http = _free_ports()
    real_which = server.shutil.which
    for missing in ("java", "mvn"):
        monkeypatch.setattr(server.shutil, "which",
                            lambda name, m=missing: None if name == m else real_which(name))
        with pytest.raises(ServerError) as err:
            server.start(tmp_path / missing, bolt_port=bolt, http_port=http)
        assert err.value.message.startswith(missing), err.value.message
        assert not server.is_running(tmp_path / missing)


def test_maven_failure_shows_its_output(tmp_path: Path) -> None:
    pom = tmp_path / "pom.xml"
    pom.write_text("<project><modelVersion>4.0.0</modelVersion><broken></project>\n")
    bolt, http = _free_ports()
    with pytest.raises(ServerError) as err:
        server.start(tmp_path / "srv", bolt_port=bolt, http_port=http, pom=pom)
    assert "Maven could not resolve" in err.value.message
    assert "pom" in err.value.message.lower()  # Maven's own words are shown


def test_classpath_is_cached_by_pom_hash(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pom = tmp_path / "pom.xml"
    pom.write_bytes(server.POM.read_bytes())
    home = tmp_path / "srv"
    home.mkdir()
    cp = server._classpath(home, pom)
    assert "neo4j-kernel" in cp and (home / "plugins").is_dir()
    # unchanged pom: Maven is not needed again
    real_which = server.shutil.which
    monkeypatch.setattr(server.shutil, "which", lambda n: None if n == "mvn" else real_which(n))
    assert server._classpath(home, pom) == cp
    # a changed pom re-resolves (here: fails, as Maven is "missing")
    pom.write_text(pom.read_text() + "<!-- changed -->\n")
    with pytest.raises(ServerError, match="mvn"):
        server._classpath(home, pom)


def test_no_server_and_stale_pid_file(tmp_path: Path) -> None:
    assert server.status(tmp_path) is None
    assert server.stop(tmp_path) is False
    # a pid file naming a live process that is not our server (pid reuse) is stale
    (tmp_path / "neo4j.pid").write_text(f"{os.getpid()}\n")
    assert not server.is_running(tmp_path)
    assert server.status(tmp_path) is None
    assert server.stop(tmp_path) is False
    assert not (tmp_path / "neo4j.pid").exists()


# --------------------------------------------------------------------------- a second, own server


@pytest.mark.slow
def test_restart_keeps_data_and_apoc_and_browser_work(tmp_path: Path) -> None:
    home = tmp_path / "srv"
    bolt, http = _free_ports()
    settings = Neo4jSettings(uri=f"bolt://127.0.0.1:{bolt}", user="neo4j", password="",
                             database="neo4j")
    runner = CliRunner()
    args = ["db", "start", "--home", str(home), "--bolt-port", str(bolt),
            "--http-port", str(http), "--heap", "512m"]
    try:
        info = server.start(home, bolt_port=bolt, http_port=http, heap="512m", pagecache="64m")
        assert info.version is not None and info.version.startswith("5.26."), info
        assert info.edition == "community"
        assert not info.already_running
        assert server.is_running(home)
        assert (home / "neo4j.pid").read_text().strip() == str(info.pid)

        with Store(settings) as st:
            st.write_text("CREATE (:Kept {name: 'survives a restart'})")
            assert st.read_text("RETURN apoc.version() AS v")[0]["v"].startswith("5.26")
        with urllib.request.urlopen(info.browser_url, timeout=10) as resp:
            assert resp.status == 200

        assert server.stop(home) is True
        assert not server.is_running(home)
        assert not (home / "neo4j.pid").exists()

        result = runner.invoke(main, args, env=_env(settings))
        assert result.exit_code == 0, result.output
        assert "started" in result.output and "5.26." in result.output
        again = runner.invoke(main, args, env=_env(settings))
        assert again.exit_code == 0, again.output
        assert "already running" in again.output

        with Store(settings) as st:
            rows = st.read_text("MATCH (k:Kept) RETURN k.name AS name")
        assert rows == [{"name": "survives a restart"}]

        result = runner.invoke(main, ["db", "stop", "--home", str(home)])
        assert result.exit_code == 0, result.output
        assert "stopped" in result.output
        assert not server.is_running(home)

        # not up in time: a clear error with the log, and nothing left running
        with pytest.raises(ServerError) as err:
            server.start(home, bolt_port=bolt, http_port=http, heap="512m", timeout=1)
        assert "did not answer" in err.value.message and str(bolt) in err.value.message
        assert not server.is_running(home)
    finally:
        server.stop(home)
