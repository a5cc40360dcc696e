"""The local Neo4j server and ``lineage db``: real servers, real Bolt.

The session server comes from ``conftest.neo4j_settings``; the restart and upgrade tests run
servers of their own in temporary folders on free ports. A hung server is a TCP peer that
accepts connections and never answers (not a mock of the database: a hung peer). Nothing here
empties the session database.
"""

from __future__ import annotations

import base64
import json
import os
import socket
import stat
import threading
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import neo4j
import pytest
from click.testing import CliRunner

from lineage.cli import main
from lineage.core.errors import DatabaseUnavailable, ServerError, redact_uri
from lineage.core.settings import LineageSettings, Neo4jSettings, with_local_password
from lineage.graph import server
from lineage.graph.store import Store


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
    auth = settings.auth()
    return {"NEO4J_URI": settings.uri, "NEO4J_USER": settings.user,
            "NEO4J_PASSWORD": auth[1] if auth else "", "NEO4J_DATABASE": settings.database}


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _http(url: str, *, origin: str | None = None, auth: tuple[str, str] | None = None,
          body: dict | None = None) -> tuple[int, dict[str, str], bytes]:
    """POST ``body`` as JSON to ``url``; return ``(status, headers, body)`` (errors included)."""
    req = urllib.request.Request(url, data=json.dumps(body or {}).encode(), method="POST",
                                 headers={"Content-Type": "application/json",
                                          "Accept": "application/json"})
    if origin:
        req.add_header("Origin", origin)
    if auth:
        req.add_header("Authorization",
                       "Basic " + base64.b64encode(f"{auth[0]}:{auth[1]}".encode()).decode())
    try:
        with urllib.request.urlopen(req, timeout=20) as resp:  # noqa: S310 - loopback only
            return resp.status, dict(resp.headers), resp.read()
    except urllib.error.HTTPError as err:
        return err.code, dict(err.headers), err.read()


class _HungPeer:
    """A TCP listener on 127.0.0.1 that accepts every connection and never answers a byte:
    what a SIGSTOPped (or wedged) server looks like to a client."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.port = self.sock.getsockname()[1]
        self.conns: list[socket.socket] = []
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.conns.append(conn)

    def close(self) -> None:
        self.sock.close()
        for c in self.conns:
            c.close()


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


@pytest.mark.parametrize(("command", "timeout", "bound"), [
    (["db", "status"], "6", 12), (["check"], "6", 12), (["upstream", "rsd-sis"], "6", 12),
    # the default NEO4J_TIMEOUT (45 s): a 30 s wait; its settings are checked without waiting
    # by test_driver_waits_are_bounded_by_neo4j_timeout, the wait itself runs nightly
    pytest.param(["check"], None, 60, marks=pytest.mark.nightly),
])
def test_a_hung_server_exits_3_in_bounded_time(tmp_path: Path, command, timeout, bound) -> None:
    peer = _HungPeer()
    uri = f"bolt://127.0.0.1:{peer.port}"
    env = {"NEO4J_URI": uri, "NEO4J_TIMEOUT": timeout, "LINEAGE_HOME": str(tmp_path)}
    args = command + (["--home", str(tmp_path)] if command[0] == "db" else [])
    try:
        t0 = time.monotonic()
        result = CliRunner().invoke(main, args, env=env)
        elapsed = time.monotonic() - t0
    finally:
        peer.close()
    assert result.exit_code == 3, result.output
    assert f"database unreachable at {uri}" in result.output
    assert "Traceback" not in result.output
    assert peer.conns, "the command never reached the hung peer"
    assert elapsed < bound, f"waited {elapsed:.1f} s"
    assert elapsed >= float(timeout or 45) / 3 * 0.9  # it did wait for an answer, then gave up


def test_driver_waits_are_bounded_by_neo4j_timeout(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NEO4J_TIMEOUT", "30")
    monkeypatch.setenv("NEO4J_TRANSACTION_TIMEOUT", "0")
    s = Neo4jSettings()
    assert s.driver_config() == {"connection_timeout": 10.0,
                                 "connection_acquisition_timeout": 10.0,
                                 "max_transaction_retry_time": 10.0}
    assert s.tx_timeout() is None
    fields = Neo4jSettings.model_fields
    assert (fields["timeout"].default, fields["transaction_timeout"].default) == (45.0, 600.0)
    monkeypatch.setenv("NEO4J_TIMEOUT", "0")
    result = CliRunner().invoke(main, ["db", "reset"])
    assert result.exit_code == 2 and "NEO4J_TIMEOUT" in result.output


def test_store_transactions_carry_the_transaction_timeout(neo4j_settings: Neo4jSettings) -> None:
    short = neo4j_settings.model_copy(update={"transaction_timeout": 1.0})
    t0 = time.monotonic()
    with Store(short) as st, pytest.raises(DatabaseUnavailable) as err:
        st.read_text("CALL apoc.util.sleep(20000) RETURN 1 AS one")
    assert time.monotonic() - t0 < 15
    assert "NEO4J_TRANSACTION_TIMEOUT=1 s" in err.value.message


@pytest.mark.parametrize("uri", ["bolt://neo4j:s3cret-pw@127.0.0.1:1",
                                 "neo4j://admin:s3cret-pw@db.example.org:7687",
                                 "bolx://neo4j:s3cret-pw@127.0.0.1:1"])
def test_credentials_in_a_uri_are_never_printed(uri: str) -> None:
    result = CliRunner().invoke(main, ["--uri", uri, "db", "reset", "--yes"])
    assert result.exit_code == 2, result.output
    assert "s3cret-pw" not in result.output
    assert "***@" in result.output and "NEO4J_URI" in result.output


def test_redact_uri_removes_userinfo_everywhere() -> None:
    text = ("database unreachable at neo4j+s://neo4j:p@ss@x.databases.neo4j.io (Given URI: "
            "'bolt://u:pw@127.0.0.1:1'.) see http://127.0.0.1:7474/browser/")
    assert redact_uri(text) == ("database unreachable at neo4j+s://***@x.databases.neo4j.io "
                                "(Given URI: 'bolt://***@127.0.0.1:1'.) see "
                                "http://127.0.0.1:7474/browser/")
    err = DatabaseUnavailable("bolt://u:pw@h:1", "URI 'bolt://u:pw@h:1' refused")
    assert "pw" not in err.message and err.uri == "bolt://***@h:1"


def test_wrong_password_is_exit_2_and_never_printed(neo4j_settings: Neo4jSettings) -> None:
    """A wrong NEO4J_PASSWORD is a setting to fix (exit 2), not a refused statement."""
    if neo4j_settings.auth() is None:
        pytest.fail("the test database runs without authentication", pytrace=False)
    env = {**_env(neo4j_settings), "NEO4J_PASSWORD": "not-the-password-42"}
    result = CliRunner().invoke(main, ["db", "reset", "--yes"], env=env)
    assert result.exit_code == 2, result.output
    assert "authentication failed" in result.output
    assert "not-the-password-42" not in result.output
    assert neo4j_settings.auth()[1] not in result.output


def test_the_cli_reads_the_local_password_file(tmp_path: Path) -> None:
    (tmp_path / "password").write_text("from-the-file-123\n")
    lineage = LineageSettings(home=tmp_path, bolt_port=17999)
    local = with_local_password(Neo4jSettings(uri="bolt://localhost:17999"), lineage)
    assert local.auth() == ("neo4j", "from-the-file-123")
    # another server, another user, or a password given: the file is not used
    assert with_local_password(Neo4jSettings(uri="bolt://db.example.org:17999"),
                               lineage).auth() is None
    assert with_local_password(Neo4jSettings(uri="bolt://127.0.0.1:17999", user="alice"),
                               lineage).auth() is None
    given = with_local_password(Neo4jSettings(uri="bolt://127.0.0.1:17999", password="given"),
                                lineage)
    assert given.auth() == ("neo4j", "given")


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
def test_restart_keeps_data_and_apoc_and_browser_work(tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    home = tmp_path / "srv"
    bolt, http = _free_ports()
    # secrets in the caller's environment must not reach the server process
    monkeypatch.setenv("LINEAGE_PSEUDONYM_KEY", "key-that-must-not-leak-0123456789abcdef")
    monkeypatch.setenv("NEO4J_PASSWORD", "password-that-must-not-leak")
    settings = Neo4jSettings(uri=f"bolt://127.0.0.1:{bolt}", user="neo4j", password="",
                             password_file=home / "password", database="neo4j")
    runner = CliRunner()
    args = ["db", "start", "--home", str(home), "--bolt-port", str(bolt),
            "--http-port", str(http), "--heap", "512m"]
    local_env = {"NEO4J_URI": None, "NEO4J_PASSWORD": None, "NEO4J_USER": None,
                 "LINEAGE_HOME": str(home), "LINEAGE_BOLT_PORT": str(bolt),
                 "LINEAGE_HTTP_PORT": str(http)}
    try:
        info = server.start(home, bolt_port=bolt, http_port=http, heap="512m", pagecache="64m")
        assert info.version is not None and info.version.startswith("5.26."), info
        assert info.edition == "community"
        assert not info.already_running and info.auth_enabled
        assert server.is_running(home)
        assert (home / "neo4j.pid").read_text().strip() == str(info.pid)

        # nobody else: home 0700, data 0700, the generated password 0600
        assert _mode(home) == 0o700 and _mode(home / "data") == 0o700
        assert _mode(home / "password") == 0o600
        secret = (home / "password").read_text().strip()
        assert len(secret) == 32 and secret == server.password(home)
        environ = Path(f"/proc/{info.pid}/environ").read_bytes().split(b"\0")
        names = {e.split(b"=", 1)[0].decode() for e in environ if e}
        assert "CLASSPATH" in names and "PATH" in names
        assert not names & {"LINEAGE_PSEUDONYM_KEY", "NEO4J_PASSWORD"}, names
        assert b"must-not-leak" not in b"\0".join(environ)
        assert secret not in Path(f"/proc/{info.pid}/cmdline").read_text()

        # the HTTP API: 401 without credentials, no CORS allowance for another origin
        tx = f"http://127.0.0.1:{http}/db/neo4j/tx/commit"
        query = {"statements": [{"statement": "CREATE (:Intruder) RETURN 1"}]}
        status, headers, body = _http(tx, body=query)
        assert status == 401, body
        status, headers, _ = _http(tx, body=query, origin="http://evil.example")
        assert status == 401
        assert headers.get("Access-Control-Allow-Origin") in (None, f"http://127.0.0.1:{http}")
        status, headers, body = _http(tx, auth=("neo4j", secret), origin="http://evil.example",
                                      body={"statements": [{"statement": "RETURN 41 + 1"}]})
        assert status == 200 and json.loads(body)["results"][0]["data"][0]["row"] == [42]
        assert headers.get("Access-Control-Allow-Origin") != "http://evil.example"
        # Bolt without the password is refused; with the file's password it works
        with neo4j.GraphDatabase.driver(settings.uri, auth=None) as drv, \
                pytest.raises(neo4j.exceptions.AuthError):
            drv.verify_connectivity()

        with Store(settings) as st:
            assert st.read_text("MATCH (i:Intruder) RETURN count(i) AS n") == [{"n": 0}]
            st.write_text("CREATE (:Kept {name: 'survives a restart'})")
            assert st.read_text("RETURN apoc.version() AS v")[0]["v"].startswith("5.26")
        with urllib.request.urlopen(info.browser_url, timeout=10) as resp:
            assert resp.status == 200

        # the CLI finds the password by itself; `db password` is the one place it is shown
        shown = runner.invoke(main, ["db", "password"], env=local_env)
        assert shown.exit_code == 0 and shown.output == secret + "\n"
        status_out = runner.invoke(main, ["db", "status"], env=local_env)
        assert status_out.exit_code == 0, status_out.output
        assert "is this local server" in status_out.output and secret not in status_out.output

        assert server.stop(home) is True
        assert not server.is_running(home)
        assert not (home / "neo4j.pid").exists()

        result = runner.invoke(main, args, env=_env(settings))
        assert result.exit_code == 0, result.output
        assert "started" in result.output and "5.26." in result.output
        assert secret not in result.output
        again = runner.invoke(main, args, env=_env(settings))
        assert again.exit_code == 0, again.output
        assert "already running" in again.output
        assert server.password(home) == secret  # kept across restarts

        counted = runner.invoke(main, ["db", "reset", "--yes"], env=local_env)
        assert counted.exit_code == 0, counted.output
        assert counted.output.startswith("Deleted 1 nodes and 0 relationships at "
                                         f"bolt://127.0.0.1:{bolt}")

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


@pytest.mark.slow
def test_a_home_made_with_auth_off_is_upgraded_on_start(tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """A home of an older version: world-readable folders, no password file, and a system
    database whose neo4j user still has the default password (auth was off, so it was never
    set). The next start narrows the folders, generates the password and sets it over Bolt."""
    home = tmp_path / "old"
    (home / "data").mkdir(parents=True, mode=0o755)
    home.chmod(0o755)
    bolt, http = _free_ports()
    # the older version set no password before the first start
    monkeypatch.setattr(server, "_set_initial_password", lambda *a, **k: None)
    try:
        info = server.start(home, bolt_port=bolt, http_port=http, heap="512m", pagecache="64m")
        assert info.version is not None and info.auth_enabled
        assert _mode(home) == 0o700 and _mode(home / "data") == 0o700
        assert _mode(home / "password") == 0o600
        secret = server.password(home)
        uri = info.bolt_uri
        with neo4j.GraphDatabase.driver(uri, auth=("neo4j", secret)) as drv:
            records, _, _ = drv.execute_query("RETURN 1 AS one", database_="neo4j")
            assert records[0]["one"] == 1
        with neo4j.GraphDatabase.driver(uri, auth=("neo4j", "neo4j")) as drv, \
                pytest.raises(neo4j.exceptions.AuthError):
            drv.verify_connectivity()
    finally:
        server.stop(home)


def test_a_port_nobody_listens_on_is_exit_3_at_once(neo4j_settings: Neo4jSettings) -> None:
    """Connection refused is said at once (not after the driver's retries): exit 3, the URI."""
    import socket
    import time

    with socket.socket() as s:  # a free port, closed again: nothing listens there
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**_env(neo4j_settings), "NEO4J_URI": f"bolt://127.0.0.1:{port}"}
    t0 = time.monotonic()
    result = CliRunner().invoke(main, ["check"], env=env)
    took = time.monotonic() - t0
    assert result.exit_code == 3, result.output
    assert f"database unreachable at bolt://127.0.0.1:{port} (connection refused" in result.output
    assert took < 10, f"took {took:.1f} s"


@pytest.mark.parametrize("code, hinted", [
    ("Neo.TransientError.General.MemoryPoolOutOfMemoryError", True),
    ("Neo.ClientError.Statement.SyntaxError", False),
])
def test_a_refused_statement_is_exit_5_and_out_of_memory_says_what_to_do(code, hinted) -> None:
    """The driver's error for a statement the server refuses becomes DatabaseError (exit 5,
    code and message kept); running out of transaction memory adds how to give the server
    more (found when impact of a vendor of 129 districts exceeded a 4g heap)."""
    from lineage.core.errors import DatabaseError
    from lineage.graph.store import _translate

    err = neo4j.exceptions.Neo4jError._hydrate_neo4j(code=code, message="synthetic message")
    with pytest.raises(DatabaseError) as info:
        with _translate("bolt://user:secret@127.0.0.1:1"):
            raise err
    assert str(info.value) == f"the database refused a statement: {code}: synthetic message"
    assert info.value.exit_code == 5
    assert (info.value.hint is not None and "lineage db start --heap 8g" in info.value.hint) \
        == hinted


def test_a_generated_password_never_starts_with_a_dash(tmp_path: Path, monkeypatch) -> None:
    """neo4j-admin reads an argument starting with '-' as an option (exit 64): a new home whose
    random password began with one failed to start, once in 64 homes."""
    drawn = iter(["-" + "a" * 31, "_" + "b" * 31])
    monkeypatch.setattr(server.secrets, "token_urlsafe", lambda n: next(drawn))
    assert server._ensure_password(tmp_path) == "_" + "b" * 31
    assert (tmp_path / "password").read_text() == "_" + "b" * 31 + "\n"
    assert stat.S_IMODE((tmp_path / "password").stat().st_mode) == 0o600


def test_the_server_environment_is_an_allow_list_without_secrets() -> None:
    environ = {"PATH": "/usr/bin", "HOME": "/home/x", "LC_ALL": "C.UTF-8", "LC_TIME": "C",
               "JAVA_HOME": "/opt/jdk", "LINEAGE_PSEUDONYM_KEY": "k" * 40,
               "NEO4J_PASSWORD": "pw", "AWS_SECRET_ACCESS_KEY": "a", "LCX": "no",
               "PYTHONPATH": "/p"}
    assert server.server_env(environ, NEO4J_CONF="/c") == {
        "PATH": "/usr/bin", "HOME": "/home/x", "LC_ALL": "C.UTF-8", "LC_TIME": "C",
        "JAVA_HOME": "/opt/jdk", "NEO4J_CONF": "/c"}
