"""The local Neo4j 5.26 Community server: a real server, assembled from Maven Central, no Docker.

``lineage/data/neo4j-server.pom.xml`` (shipped in the wheel) names the artifacts (``org.neo4j:neo4j``, ``org.neo4j.app:neo4j-server``,
``org.neo4j.client:neo4j-browser``, APOC core). :func:`start` asks Maven once for their classpath
(cached in ``HOME/cp.txt``, keyed by the pom's SHA-256, so editing the pom re-resolves), writes
``HOME/conf/neo4j.conf`` and runs the distribution's own launcher class,
``org.neo4j.server.CommunityEntryPoint``, in the background (its own session, so it outlives the
command that started it). Layout of ``HOME`` (``LINEAGE_HOME``, default ``./.lineage``)::

    HOME/                    created mode 0700 (an existing one is narrowed to 0700 on start)
    HOME/password            the generated password of the ``neo4j`` user (mode 0600)
    HOME/conf/neo4j.conf     rewritten on every start (ports may change); do not edit
    HOME/data/               the databases: kept across restarts; `lineage db reset` empties the graph
    HOME/logs/               neo4j.log, debug.log, query.log, console.log (the JVM's stdout/stderr)
    HOME/plugins/            APOC core and the jars it needs (rebuilt when the pom changes)
    HOME/import/             the folder LOAD CSV reads from
    HOME/cp.txt, cp.sha256   the cached classpath and the pom hash it was resolved from
    HOME/neo4j.pid           the server's process id while it runs

Security: the server listens on 127.0.0.1 only, with authentication **enabled**. The password
of the ``neo4j`` user is generated on the first start (``secrets.token_urlsafe``, 32 characters),
kept in ``HOME/password`` (0600, in a 0700 ``HOME``) and set offline before the server ever runs
(``neo4j-admin dbms set-initial-password``, class :data:`ADMIN_CLASS`, with the password in a
0600 argument file, never on a command line). A home made by an older version (auth off, the
``neo4j`` user still on its default password) is upgraded on its next start over Bolt
(``cypher/admin/set_initial_password.cypher`` on the ``system`` database). The HTTP API allows
only the server's own origin (``dbms.security.http_access_control_allow_origin``), so a web page
elsewhere gets no CORS allowance; the JVM runs with umask 077 and only the environment variables
it needs (:data:`SERVER_ENV`), never ``LINEAGE_PSEUDONYM_KEY`` or ``NEO4J_PASSWORD``.

POSIX only (process groups, ``/proc`` or ``ps``). Every failure raises
:class:`lineage.core.errors.ServerError` with one clear message (and the tail of the relevant log).
"""

from __future__ import annotations

import errno
import hashlib
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from lineage.core.environment import allowed
from lineage.core.errors import ServerError
from lineage.core.settings import PASSWORD_FILE
from lineage.graph.store import run_once

MAIN_CLASS = "org.neo4j.server.CommunityEntryPoint"
#: neo4j-admin's entry point (``neo4j-admin dbms set-initial-password``), in neo4j-command-line.
ADMIN_CLASS = "org.neo4j.cli.AdminTool"
#: The user whose password :data:`PASSWORD_FILE` holds.
USER = "neo4j"
#: Environment variables passed on to the JVM (names, and prefixes ending in ``_``); nothing
#: else of the caller's environment reaches the server (no keys, no passwords).
SERVER_ENV = ("PATH", "HOME", "USER", "LOGNAME", "LANG", "LANGUAGE", "LC_", "TZ", "TMPDIR",
              "JAVA_HOME")
POM = Path(__file__).resolve().parent.parent / "data" / "neo4j-server.pom.xml"

# JVM flags the official launcher also sets (minus the ones only the tarball layout needs).
_JVM_FLAGS = [
    "-XX:+UseG1GC",
    "-XX:-OmitStackTraceInFastThrow",
    "-XX:+ExitOnOutOfMemoryError",
    "-Djdk.nio.maxCachedBufferSize=1024",
    "-Dio.netty.tryReflectionSetAccessible=true",
    "-Dlog4j2.disable.jmx=true",
    "-Dfile.encoding=UTF-8",
    "--add-opens=java.base/java.nio=ALL-UNNAMED",
    "--add-opens=java.base/java.io=ALL-UNNAMED",
    "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED",
]

# Popen objects of servers started by this Python process, so stop() can reap them (no zombies).
_CHILDREN: dict[int, subprocess.Popen] = {}


@dataclass(frozen=True)
class ServerInfo:
    """A local server as seen by :func:`start` / :func:`status`.

    ``version``/``edition`` come from ``CALL dbms.components()`` over Bolt (e.g. ``"5.26.30"``,
    ``"community"``); both are ``None`` when the process runs but Bolt does not answer yet.
    ``already_running`` is True when :func:`start` found the server running and started nothing.
    ``auth_enabled`` is False only for a server started by an older version (auth off) that
    still runs: the next start turns authentication on.
    """

    home: Path
    pid: int
    bolt_port: int
    http_port: int
    version: str | None = None
    edition: str | None = None
    already_running: bool = False
    auth_enabled: bool = True

    @property
    def bolt_uri(self) -> str:
        """``bolt://127.0.0.1:<bolt_port>``: the value for ``NEO4J_URI``."""
        return f"bolt://127.0.0.1:{self.bolt_port}"

    @property
    def browser_url(self) -> str:
        """``http://127.0.0.1:<http_port>/browser/``: Neo4j Browser (user ``neo4j``, the password
        of ``lineage db password``)."""
        return f"http://127.0.0.1:{self.http_port}/browser/"

    @property
    def password_file(self) -> Path:
        """``HOME/password``: the ``neo4j`` user's password (mode 0600)."""
        return self.home / PASSWORD_FILE

# --------------------------------------------------------------------------- public API


def start(
    home: Path,
    bolt_port: int = 7687,
    http_port: int = 7474,
    heap: str = "1g",
    timeout: float = 120,
    *,
    pagecache: str = "512m",
    pom: Path | None = None,
) -> ServerInfo:
    """Start the local server in ``home`` and return once Bolt answers queries.

    ``home``: the server folder (created if missing; relative paths are resolved against the
    current directory). ``bolt_port``/``http_port``: TCP ports on 127.0.0.1. ``heap``: JVM max heap
    (``-Xmx``, e.g. ``"1g"``, ``"512m"``). ``timeout``: seconds to wait for Bolt after the JVM
    started (the Maven download on a first run is not counted). ``pagecache``: Neo4j page cache
    size. ``pom``: the pom to resolve (default ``lineage/data/neo4j-server.pom.xml`` (shipped in the wheel) of this checkout).

    If our server already runs in ``home`` nothing is started: its info is returned with
    ``already_running=True`` (even if it listens on other ports than asked).

    Raises :class:`ServerError` when: a port is taken by another process, ``java`` is missing or
    older than 17, ``mvn`` is missing (only needed when the classpath is not cached), Maven fails
    (last lines of its output shown), the JVM exits during start-up, Bolt does not answer
    within ``timeout`` (the server is then stopped; the log tail is shown), or the server refuses
    the password of ``HOME/password`` (see :func:`password`).

    Authentication is on: the first start generates the ``neo4j`` user's password into
    ``HOME/password`` (0600) and sets it offline before the server first runs; an older home
    (auth off, default password) is switched to it over Bolt. ``HOME`` is made (or narrowed to)
    mode 0700, ``HOME/data`` too.
    """
    home = _make_home(home)
    with _lock(home):
        running = _running_pid(home)
        if running is not None:
            ports = _conf_ports(home) or (bolt_port, http_port)
            version, edition = _wait_for_bolt(home, running, ports[0], timeout, started=False)
            return ServerInfo(home, running, ports[0], ports[1], version, edition,
                              already_running=True, auth_enabled=_conf_auth(home))
        _pid_file(home).unlink(missing_ok=True)

        for what, size in (("heap", heap), ("page cache", pagecache)):
            if not re.fullmatch(r"\d+[kKmMgG]?", size):
                raise ServerError(f"invalid {what} size {size!r}: use e.g. 512m or 2g")
        if bolt_port == http_port:
            raise ServerError(f"the Bolt and HTTP ports must differ (both are {bolt_port})")
        for name, port in (("Bolt", bolt_port), ("HTTP", http_port)):
            _check_port_free(name, port)
        java = _check_java()
        classpath = _classpath(home, Path(pom) if pom else POM)

        _write_conf(home, bolt_port, http_port, pagecache)
        for sub in ("data", "logs", "plugins", "import"):
            (home / sub).mkdir(mode=0o700, exist_ok=True)
            (home / sub).chmod(0o700)
        password = _ensure_password(home)
        _set_initial_password(home, java, classpath, password)
        console = home / "logs" / "console.log"
        env = server_env(os.environ, CLASSPATH=f"{classpath}{os.pathsep}{home / 'plugins'}/*")
        cmd = [java, f"-Xmx{heap}", *_JVM_FLAGS, MAIN_CLASS,
               f"--home-dir={home}", f"--config-dir={home / 'conf'}"]
        with open(console, "ab") as out:
            try:
                proc = subprocess.Popen(
                    cmd, cwd=home, env=env, stdin=subprocess.DEVNULL, stdout=out,
                    stderr=subprocess.STDOUT, start_new_session=True, umask=0o077,
                )
            except OSError as exc:
                raise ServerError(f"could not run java: {exc}") from None
        _CHILDREN[proc.pid] = proc
        _pid_file(home).write_text(f"{proc.pid}\n", encoding="ascii")
        try:
            version, edition = _wait_for_bolt(home, proc.pid, bolt_port, timeout, started=True)
        except ServerError:
            _terminate(home, proc.pid, 30)
            raise
        return ServerInfo(home, proc.pid, bolt_port, http_port, version, edition)


def stop(home: Path, timeout: float = 60) -> bool:
    """Stop the local server of ``home``; return True if one was running, False if none was.

    Sends SIGTERM to the server's process group (Neo4j checkpoints and shuts down cleanly, ~10 s),
    waits up to ``timeout`` seconds, then sends SIGKILL. Removes ``HOME/neo4j.pid``.
    Raises :class:`ServerError` if the process survives SIGKILL or cannot be signalled.
    """
    home = Path(home).expanduser().resolve()
    pid = _running_pid(home)
    if pid is None:
        _pid_file(home).unlink(missing_ok=True)
        return False
    _terminate(home, pid, timeout)
    return True


def status(home: Path, timeout: float = 5) -> ServerInfo | None:
    """The local server of ``home``, or ``None`` when none runs there.

    Asks the server its version over Bolt, waiting at most ``timeout`` seconds; when Bolt does not
    answer (still starting), ``version`` and ``edition`` are ``None``. Never raises for a server
    that is down; raises :class:`ServerError` only if ``HOME/conf/neo4j.conf`` is unreadable.
    """
    home = Path(home).expanduser().resolve()
    pid = _running_pid(home)
    if pid is None:
        return None
    ports = _conf_ports(home)
    if ports is None:
        raise ServerError(f"a server runs in {home} (pid {pid}) but {home}/conf/neo4j.conf "
                          "has no ports; stop it with 'lineage db stop'")
    version, edition = _query_version(home, f"bolt://127.0.0.1:{ports[0]}", timeout)
    return ServerInfo(home, pid, ports[0], ports[1], version, edition,
                      auth_enabled=_conf_auth(home))


def password_file(home: Path) -> Path:
    """``HOME/password``: where the local server's ``neo4j`` password is kept (mode 0600)."""
    return Path(home).expanduser().resolve() / PASSWORD_FILE


def password(home: Path) -> str | None:
    """The ``neo4j`` user's password of the local server in ``home``, or ``None`` when the
    server was never started there (no ``HOME/password``) or the file cannot be read.

    This is the one place the secret is read for display (``lineage db password``); the CLI and
    the tests read it through :meth:`lineage.core.settings.Neo4jSettings.auth`.
    """
    try:
        text = password_file(home).read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError):
        return None
    return text or None


def server_env(environ: dict[str, str] | os._Environ, **extra: str) -> dict[str, str]:
    """The environment for the JVM: only the variables of :data:`SERVER_ENV` from ``environ``
    (locale, time zone, ``PATH``, ``HOME``, ``JAVA_HOME``...), plus ``extra``.

    Everything else -- ``LINEAGE_PSEUDONYM_KEY``, ``NEO4J_PASSWORD``, cloud credentials -- stays
    out of the server process (its ``/proc/PID/environ`` is readable by its owner).
    """
    keep = allowed(environ, SERVER_ENV)
    keep.update(extra)
    return keep


def is_running(home: Path) -> bool:
    """True when the pid file of ``home`` names a live Neo4j process started for this ``home``.

    A stale pid file (process gone, or the pid reused by another program) counts as not running.
    """
    return _running_pid(Path(home).expanduser().resolve()) is not None


# --------------------------------------------------------------------------- home and password


def _make_home(home: Path) -> Path:
    """Resolve ``home``, create it mode 0700 (parents as usual) or narrow an existing one to 0700."""
    home = Path(home).expanduser().resolve()
    try:
        home.mkdir(mode=0o700, parents=True, exist_ok=True)
        home.chmod(0o700)
    except OSError as exc:
        raise ServerError(f"cannot create the server folder {home}: {exc.strerror or exc}") from None
    return home


def _ensure_password(home: Path) -> str:
    """The password in ``HOME/password``; generated (``secrets.token_urlsafe(24)``: 32 URL-safe
    characters, 192 bits, never starting with ``-``, which ``neo4j-admin dbms
    set-initial-password`` would take for an option) and written mode 0600 when the file is
    missing or empty. An existing file is narrowed to 0600."""
    path = home / PASSWORD_FILE
    existing = password(home)
    if existing:
        path.chmod(0o600)
        return existing
    new = secrets.token_urlsafe(24)
    while new.startswith("-"):  # neo4j-admin would read it as an option (1 home in 64)
        new = secrets.token_urlsafe(24)
    tmp = home / f".{PASSWORD_FILE}.tmp"
    tmp.unlink(missing_ok=True)
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as fh:
        fh.write(new + "\n")
    tmp.replace(path)
    return new


def _set_initial_password(home: Path, java: str, classpath: str, secret: str) -> None:
    """Before the first start of ``HOME/data`` (no ``system`` database yet): set the ``neo4j``
    user's password offline with ``neo4j-admin dbms set-initial-password`` (writes
    ``HOME/data/dbms/auth.ini``, read once when the system database is created).

    The password goes in a 0600 argument file (``java @file``), not on the command line, so no
    other user sees it in ``ps``. Does nothing for an existing system database (an older home:
    :func:`_wait_for_bolt` switches it over Bolt). Raises :class:`ServerError` if the tool fails.
    """
    if (home / "data" / "databases" / "system").exists():
        return
    # token_urlsafe characters need no quoting in a java argument file
    out = _run_admin(home, java, classpath, ["dbms", "set-initial-password", secret],
                     "set-initial-password", timeout=300)
    if out.returncode != 0:
        raise ServerError("neo4j-admin could not set the initial password (exit "
                          f"{out.returncode}):\n{_tail_text(out.stdout + out.stderr, 15)}")


def _run_admin(home: Path, java: str, classpath: str, args: list[str], what: str, *,
               timeout: float, jvm: list[str] | None = None) -> subprocess.CompletedProcess:
    """Run ``neo4j-admin ARGS`` (class :data:`ADMIN_CLASS` on the server's classpath) with its
    arguments in a 0600 argument file (``java @file``: nothing secret on a command line), the
    environment of :func:`server_env` and umask 077. One argument per line, in double quotes
    (backslashes doubled: paths with spaces work); an argument must not hold a line break or a
    double quote. Raises :class:`ServerError` when java cannot run or ``timeout`` seconds pass."""
    for a in args:
        if any(c in a for c in "\n\r\""):
            raise ServerError(f"neo4j-admin {what}: an argument holds a line break or a double "
                              "quote, which a java argument file cannot carry")
    argfile = home / ".admin-args"
    argfile.unlink(missing_ok=True)
    fd = os.open(argfile, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write("\n".join([ADMIN_CLASS, *('"' + a.replace("\\", "\\\\") + '"' for a in args)])
                 + "\n")
    env = server_env(os.environ, NEO4J_HOME=str(home), NEO4J_CONF=str(home / "conf"))
    try:
        return subprocess.run([java, *(jvm or []), "-cp", classpath, f"@{argfile}"], cwd=home,
                              env=env, capture_output=True, text=True, timeout=timeout,
                              umask=0o077)
    except subprocess.TimeoutExpired:
        raise ServerError(f"neo4j-admin {what} did not finish within {timeout:g} s") from None
    except (OSError, subprocess.SubprocessError) as exc:
        raise ServerError(f"could not run neo4j-admin {what}: {exc}") from None
    finally:
        argfile.unlink(missing_ok=True)


def import_full(home: Path, database: str, nodes: list[tuple[str, Path]],
                relationships: list[tuple[str, Path]], *, array_delimiter: str = ";",
                overwrite: bool = False, report: Path | None = None,
                max_memory: str = "2g", heap: str = "1g", timeout: float = 4 * 3600) -> str:
    """Run ``neo4j-admin database import full DATABASE`` from the server's own classpath
    (``org.neo4j.importer``, artifact ``org.neo4j:neo4j-import-tool``, part of ``org.neo4j:neo4j``)
    on the stopped server of ``home``; return the importer's summary (its output from
    ``IMPORT DONE``).

    ``nodes``/``relationships``: ``(label or type, CSV file)`` pairs (headers as the importer
    expects, e.g. ``key:ID(Student)``, ``:START_ID(Student)``, ``valid_from:date``).
    ``array_delimiter``: one character between list items. ``overwrite``: pass
    ``--overwrite-destination`` (replace the database's files: only for a database known to be
    empty). ``report``: the importer's report file (bad entries). ``max_memory``: the
    importer's off-heap memory (``--max-off-heap-memory``), ``heap``: its JVM heap. Any bad
    entry fails the import (nothing skipped).

    Raises :class:`ServerError` when the server of ``home`` runs, the import fails (the tail of
    its output, which names files and lines, never values) or takes longer than ``timeout`` s.
    """
    home = Path(home).expanduser().resolve()
    if _running_pid(home) is not None:
        raise ServerError(f"the server in {home} runs: stop it before an offline import")
    java = _check_java()
    classpath = _classpath(home, POM)
    delim = f"U+{ord(array_delimiter):04X}"
    args = ["database", "import", "full", database, f"--array-delimiter={delim}",
            f"--overwrite-destination={'true' if overwrite else 'false'}",
            f"--max-off-heap-memory={max_memory}", "--skip-bad-entries-logging=false"]
    if report is not None:
        args.append(f"--report-file={report}")
    args += [f"--nodes={label}={path}" for label, path in nodes]
    args += [f"--relationships={rtype}={path}" for rtype, path in relationships]
    out = _run_admin(home, java, classpath, args, "database import full", timeout=timeout,
                     jvm=[f"-Xmx{heap}", "-XX:+UseG1GC", "-XX:+ExitOnOutOfMemoryError"])
    text = out.stdout + out.stderr
    if out.returncode != 0 or "IMPORT DONE" not in text:
        lines = "\n".join(ln for ln in text.splitlines() if not ln.lstrip().startswith("at ")
                          and not ln.startswith(".........."))
        raise ServerError(f"neo4j-admin database import full failed (exit {out.returncode}):\n"
                          f"{_tail_text(lines, 20)}",
                          hint=f"the database {database!r} was not changed unless the output says "
                          "otherwise; start the server with 'lineage db start'")
    return text[text.index("IMPORT DONE"):].strip()


def running_settings(home: Path) -> dict:
    """How the server of ``home`` runs: ``{"bolt_port", "http_port", "heap", "pagecache"}``
    (ports from ``HOME/conf/neo4j.conf``, heap from the JVM's ``-Xmx``, page cache from the
    configuration), so that it can be started again the same way. Raises :class:`ServerError`
    when no server runs there."""
    home = Path(home).expanduser().resolve()
    pid = _running_pid(home)
    ports = _conf_ports(home)
    if pid is None or ports is None:
        raise ServerError(f"no local server runs in {home}", hint="start it: lineage db start")
    cmd = _cmdline(pid) or ""
    heap = re.search(r"-Xmx(\d+[kKmMgG]?)", cmd)
    try:
        conf = (home / "conf" / "neo4j.conf").read_text(encoding="utf-8")
    except OSError:
        conf = ""
    page = re.search(r"^server\.memory\.pagecache\.size=(\S+)\s*$", conf, re.M)
    return {"bolt_port": ports[0], "http_port": ports[1],
            "heap": heap.group(1) if heap else "1g", "pagecache": page.group(1) if page else "512m"}


# --------------------------------------------------------------------------- process helpers


def _pid_file(home: Path) -> Path:
    return home / "neo4j.pid"


def _running_pid(home: Path) -> int | None:
    """The pid from ``HOME/neo4j.pid`` if that process is alive and is our server for ``home``."""
    try:
        pid = int(_pid_file(home).read_text(encoding="ascii").strip())
    except (OSError, ValueError):
        return None
    if not _alive(pid):
        return None
    cmdline = _cmdline(pid)
    if cmdline is None:  # cannot tell: trust the pid file
        return pid
    return pid if MAIN_CLASS in cmdline and f"--home-dir={home}" in cmdline else None


def _alive(pid: int) -> bool:
    """True if ``pid`` runs (a zombie child of ours is reaped and counts as dead)."""
    child = _CHILDREN.get(pid)
    if child is not None:
        if child.poll() is None:
            return True
        _CHILDREN.pop(pid, None)
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:  # a zombie whose parent has not reaped it yet is dead for us
        stat = Path(f"/proc/{pid}/stat").read_text()
        return stat.rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return True


def _cmdline(pid: int) -> str | None:
    """The command line of ``pid`` (``/proc`` on Linux, ``ps`` elsewhere), or None if unknown."""
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        pass
    try:
        out = subprocess.run(["ps", "-o", "command=", "-p", str(pid)], capture_output=True,
                             text=True, timeout=5)
        return out.stdout.strip() or None
    except (OSError, subprocess.SubprocessError):
        return None


def _terminate(home: Path, pid: int, timeout: float) -> None:
    """SIGTERM the process group of ``pid``, wait ``timeout`` s, then SIGKILL; remove the pid file."""
    for sig, wait in ((signal.SIGTERM, timeout), (signal.SIGKILL, 10.0)):
        try:
            os.killpg(pid, sig)
        except ProcessLookupError:
            break
        except PermissionError:
            raise ServerError(f"not allowed to stop the server (pid {pid}) in {home}") from None
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline and _alive(pid):
            time.sleep(0.2)
        if not _alive(pid):
            break
    else:
        raise ServerError(f"the server (pid {pid}) in {home} did not stop, even after SIGKILL")
    _CHILDREN.pop(pid, None)
    _pid_file(home).unlink(missing_ok=True)


@contextmanager
def _lock(home: Path):
    """An exclusive lock on ``HOME/.lock`` so two concurrent starts do not race (POSIX flock)."""
    import fcntl

    with open(home / ".lock", "w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


# --------------------------------------------------------------------------- checks


def _check_port_free(name: str, port: int) -> None:
    """Raise :class:`ServerError` unless 127.0.0.1:``port`` can be bound (as the JVM will)."""
    if not 0 < port < 65536:
        raise ServerError(f"the {name} port {port} is not a valid TCP port (1-65535)")
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as Java does: TIME_WAIT is fine
        try:
            s.bind(("127.0.0.1", port))
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise ServerError(
                    f"the {name} port {port} on 127.0.0.1 is already in use by another process",
                    hint=f"stop that process, or choose another port (--{name.lower()}-port / "
                    f"LINEAGE_{name.upper()}_PORT)",
                ) from None
            raise ServerError(f"cannot use the {name} port {port}: {exc.strerror}") from None


def _check_java() -> str:
    """Path of ``java`` (17 or newer); raise :class:`ServerError` if missing or too old."""
    java = shutil.which("java")
    if java is None:
        raise ServerError("java was not found on PATH; Neo4j 5.26 needs Java 17 or 21",
                          hint="install a JDK 17 (e.g. apt-get install openjdk-17-jre-headless)")
    try:
        out = subprocess.run([java, "-version"], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.SubprocessError) as exc:
        raise ServerError(f"could not run {java} -version: {exc}") from None
    m = re.search(r'version "(\d+)(?:\.(\d+))?', out.stderr + out.stdout)
    if m:
        major = int(m.group(1)) if m.group(1) != "1" else int(m.group(2) or 0)
        if major < 17:
            raise ServerError(f"{java} is Java {major}; Neo4j 5.26 needs Java 17 or 21")
    return java


# --------------------------------------------------------------------------- classpath


def _classpath(home: Path, pom: Path) -> str:
    """The server classpath (``:``-separated jar paths), resolved by Maven once per pom hash.

    The cache (``HOME/cp.txt`` + ``HOME/cp.sha256``) is reused when the pom is unchanged and every
    jar still exists (an emptied ``~/.m2`` re-resolves). Raises :class:`ServerError`.
    """
    if not pom.is_file():
        raise ServerError(f"the server's pom is missing: {pom}",
                          hint="reinstall the package: lineage/data/neo4j-server.pom.xml is missing")
    digest = hashlib.sha256(pom.read_bytes()).hexdigest()
    cp_file, hash_file = home / "cp.txt", home / "cp.sha256"
    try:
        if hash_file.read_text(encoding="ascii").strip() == digest:
            cp = cp_file.read_text(encoding="utf-8").strip()
            if cp and all(Path(p).exists() for p in cp.split(os.pathsep)):
                return cp
    except OSError:
        pass

    mvn = shutil.which("mvn")
    if mvn is None:
        raise ServerError("mvn (Apache Maven) was not found on PATH; it is needed once to fetch "
                          "Neo4j from Maven Central",
                          hint="install Maven 3.8+ (e.g. apt-get install maven)")
    plugins = home / "plugins"
    shutil.rmtree(plugins, ignore_errors=True)  # managed folder: rebuilt from the pom
    tmp = home / "cp.txt.tmp"
    cmd = [mvn, "-q", "-B", "-f", str(pom), "dependency:build-classpath",
           "dependency:copy-dependencies@apoc", f"-Dmdep.outputFile={tmp}",
           f"-Dlineage.plugins={plugins}"]
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=1800, cwd=pom.parent)
    except subprocess.TimeoutExpired:
        raise ServerError("Maven did not finish resolving Neo4j within 30 minutes") from None
    except OSError as exc:
        raise ServerError(f"could not run mvn: {exc}") from None
    cp = tmp.read_text(encoding="utf-8").strip() if tmp.is_file() else ""
    if out.returncode != 0 or not cp:
        tail = _tail_text(out.stdout + out.stderr, 25)
        raise ServerError(f"Maven could not resolve the Neo4j server (exit {out.returncode}):\n{tail}",
                          hint="check the network access to Maven Central (repo.maven.apache.org) "
                          "and ~/.m2/settings.xml")
    tmp.replace(cp_file)
    hash_file.write_text(digest + "\n", encoding="ascii")
    return cp


# --------------------------------------------------------------------------- configuration


def _write_conf(home: Path, bolt_port: int, http_port: int, pagecache: str) -> Path:
    """Write ``HOME/conf/neo4j.conf`` (loopback only, auth on, CORS for its own origin only)
    and return its path.

    Bolt keep-alive (15 s, 2 probes) makes the server announce a 30 s receive timeout to the
    driver (``connection.recv_timeout_seconds``): a server that stops answering mid-query is
    noticed, while a long query stays alive through the server's NOOP keep-alives.
    """
    conf = home / "conf" / "neo4j.conf"
    conf.parent.mkdir(parents=True, exist_ok=True)
    text = f"""\
# Written by lineage.graph.server on every `lineage db start`: edits here are overwritten.
# LOOPBACK ONLY, AUTH ON: user neo4j, password in {home / PASSWORD_FILE} (`lineage db password`).
server.default_listen_address=127.0.0.1
server.default_advertised_address=127.0.0.1
server.bolt.listen_address=127.0.0.1:{bolt_port}
server.bolt.advertised_address=127.0.0.1:{bolt_port}
server.http.enabled=true
server.http.listen_address=127.0.0.1:{http_port}
server.http.advertised_address=127.0.0.1:{http_port}
server.https.enabled=false
dbms.security.auth_enabled=true
dbms.security.http_access_control_allow_origin=http://127.0.0.1:{http_port}
server.bolt.connection_keep_alive=15s
server.bolt.connection_keep_alive_probes=2
server.directories.data={home / "data"}
server.directories.logs={home / "logs"}
server.directories.plugins={home / "plugins"}
server.directories.import={home / "import"}
server.memory.pagecache.size={pagecache}
db.tx_log.rotation.retention_policy=100M size
dbms.usage_report.enabled=false
dbms.security.procedures.unrestricted=apoc.*
"""
    conf.write_text(text, encoding="utf-8")
    return conf


def _conf_ports(home: Path) -> tuple[int, int] | None:
    """``(bolt_port, http_port)`` from ``HOME/conf/neo4j.conf``, or None if absent/unreadable."""
    try:
        text = (home / "conf" / "neo4j.conf").read_text(encoding="utf-8")
    except OSError:
        return None
    bolt = re.search(r"^server\.bolt\.listen_address=.*:(\d+)\s*$", text, re.M)
    http = re.search(r"^server\.http\.listen_address=.*:(\d+)\s*$", text, re.M)
    if not (bolt and http):
        return None
    return int(bolt.group(1)), int(http.group(1))


def _conf_auth(home: Path) -> bool:
    """False when ``HOME/conf/neo4j.conf`` turns authentication off (written by an older version)."""
    try:
        text = (home / "conf" / "neo4j.conf").read_text(encoding="utf-8")
    except OSError:
        return True
    return not re.search(r"^dbms\.security\.auth_enabled\s*=\s*false\s*$", text, re.M)


# --------------------------------------------------------------------------- Bolt


def _components(uri: str, auth: tuple[str, str] | None,
                timeout: float) -> tuple[str | None, str | None]:
    """``(version, edition)`` from ``CALL dbms.components()`` at ``uri``; ``(None, None)`` when
    nothing answers. Lets :class:`neo4j.exceptions.AuthError` through (a wrong password)."""
    records = run_once(uri, auth, "admin/components", database="neo4j", timeout=timeout)
    if not records:
        return None, None
    return records[0]["version"], records[0]["edition"]


def _query_version(home: Path, uri: str, timeout: float) -> tuple[str | None, str | None]:
    """``(version, edition)`` of the local server of ``home`` at ``uri``, signed in with
    ``HOME/password``; ``(None, None)`` if it does not answer or refuses the password."""
    from neo4j import exceptions as nex

    secret = password(home)
    try:
        return _components(uri, (USER, secret) if secret else None, timeout)
    except nex.AuthError:
        return None, None


def _upgrade_password(home: Path, uri: str, secret: str) -> bool:
    """Switch a home made by an older version (auth off, so the ``neo4j`` user still has the
    default password ``neo4j``) to ``secret``: ``cypher/admin/set_initial_password.cypher`` on
    the ``system`` database, signed in with the default password.

    Returns False when the ``system`` database does not answer yet (try again). Raises
    :class:`ServerError` when the default password is refused too (the password of
    ``HOME/password`` is not the server's).
    """
    from neo4j import exceptions as nex

    try:
        done = run_once(uri, (USER, "neo4j"), "admin/set_initial_password", database="system",
                        timeout=10, old="neo4j", new=secret)
    except nex.AuthError:
        raise ServerError(
            f"the Neo4j server in {home} refuses the password in {home / PASSWORD_FILE}",
            hint=f"restore the file from a backup, or stop the server ('lineage db stop') and "
            f"delete {home / 'data'} to start from an empty graph with a new password",
        ) from None
    if done is None:
        return False
    return True


def _port_open(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.settimeout(1.0)
        return s.connect_ex(("127.0.0.1", port)) == 0


def _wait_for_bolt(home: Path, pid: int, bolt_port: int, timeout: float, *,
                   started: bool) -> tuple[str, str]:
    """Poll until the ``neo4j`` database answers over Bolt, signed in with ``HOME/password``;
    return ``(version, edition)``.

    A server that refuses the password (a home made by an older version, auth off until now)
    is switched to it once (:func:`_upgrade_password`). Raises :class:`ServerError` (with the
    log tail) if the process exits or ``timeout`` passes; ``started`` says whether the caller
    started it (and will stop it on timeout).
    """
    from neo4j import exceptions as nex

    uri = f"bolt://127.0.0.1:{bolt_port}"
    secret = password(home)
    auth = (USER, secret) if secret else None
    upgraded = False
    deadline = time.monotonic() + timeout
    while True:
        if not _alive(pid):
            _pid_file(home).unlink(missing_ok=True)
            raise ServerError(f"the Neo4j server in {home} exited during start-up:\n{_log_tail(home)}",
                              hint=f"see {home}/logs/neo4j.log and console.log")
        if _port_open(bolt_port):
            version = edition = None
            try:
                version, edition = _components(uri, auth, 5)
            except nex.AuthError:
                if upgraded or secret is None:
                    raise ServerError(
                        f"the Neo4j server in {home} refuses the password in "
                        f"{home / PASSWORD_FILE}",
                        hint="stop it ('lineage db stop') and start it again") from None
                if _upgrade_password(home, uri, secret):
                    upgraded = True
                    continue
            if version is not None:
                return version, edition or ""
        if time.monotonic() >= deadline:
            raise ServerError(
                f"the Neo4j server in {home} did not answer on Bolt port {bolt_port} within "
                f"{timeout:g} s{'; it was stopped' if started else ''}:\n{_log_tail(home)}",
                hint="a slow machine may need a longer --timeout",
            )
        time.sleep(0.5)


def _tail_text(text: str, n: int) -> str:
    lines = [ln for ln in text.splitlines() if ln.strip()]
    return "\n".join("    " + ln for ln in lines[-n:]) or "    (no output)"


def _log_tail(home: Path, n: int = 20) -> str:
    """The last ``n`` meaningful lines of ``neo4j.log`` and ``console.log`` (stack frames dropped)."""
    parts = []
    for name in ("neo4j.log", "console.log"):
        try:
            text = (home / "logs" / name).read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        lines = "\n".join(ln for ln in text.splitlines() if not ln.lstrip().startswith("at "))
        if lines.strip():
            parts.append(f"  {name}:\n{_tail_text(lines, n)}")
    return "\n".join(parts) or "  (no log output)"
