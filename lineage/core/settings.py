"""Settings from the environment (and CLI options, which override them).

Environment variables: ``NEO4J_URI`` (default ``bolt://127.0.0.1:7687``), ``NEO4J_USER``
(default ``neo4j``), ``NEO4J_PASSWORD`` (default empty: for the local server, the password is
read from ``LINEAGE_HOME/password``; elsewhere, no auth), ``NEO4J_PASSWORD_FILE`` (a file holding
the password, read when ``NEO4J_PASSWORD`` is empty), ``NEO4J_DATABASE`` (default ``neo4j``),
``NEO4J_TIMEOUT`` (seconds, default 45: the longest a command waits for a database that does not
answer before it exits 3), ``NEO4J_TRANSACTION_TIMEOUT`` (seconds one transaction may run on
the server, default 600; 0 = no limit), ``LINEAGE_PSEUDONYM_KEY`` (the key of the keyed hash of
student IDs; never stored in the graph), ``LINEAGE_HOME`` (the local server's folder, default
``./.lineage``), ``LINEAGE_BOLT_PORT`` / ``LINEAGE_HTTP_PORT`` (local server ports).
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from lineage.core.errors import redact_uri

#: URI schemes of the Bolt driver (``neo4j`` routes reads and writes in a cluster or on Aura).
URI_SCHEMES = ("bolt", "bolt+s", "bolt+ssc", "neo4j", "neo4j+s", "neo4j+ssc")

#: Host names that mean "this machine" in a URI.
LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})


class Neo4jSettings(BaseSettings):
    """How to reach Neo4j. Any URI scheme the driver knows works (``bolt://``, ``neo4j://``,
    ``neo4j+s://`` for Aura and clusters); credentials never go in the URI."""

    model_config = SettingsConfigDict(env_prefix="NEO4J_", extra="ignore")

    uri: str = Field("bolt://127.0.0.1:7687", description="Bolt or routing URI of the server")
    user: str = Field("neo4j", description="user name")
    password: SecretStr = Field(SecretStr(""), description="password; empty: password_file, "
                                "else no auth")
    password_file: Path | None = Field(None, description="file holding the password, read "
                                       "when password is empty (the local server's HOME/password)")
    database: str = Field("neo4j", description="database name, passed on every call")
    timeout: float = Field(45.0, gt=0, le=3600, description="seconds: the longest a command "
                           "waits for a database that does not answer (connect, acquire, retry)")
    transaction_timeout: float = Field(600.0, ge=0, le=86400, description="seconds one "
                                       "transaction may run on the server; 0 = no limit")

    @field_validator("uri")
    @classmethod
    def _scheme(cls, v: str) -> str:
        scheme = v.split("://", 1)[0].lower() if "://" in v else ""
        if scheme not in URI_SCHEMES:
            raise ValueError(f"{redact_uri(v)!r} is not a Bolt URI: use one of "
                             f"{', '.join(s + '://' for s in URI_SCHEMES)}")
        try:
            urlsplit(v).port
        except ValueError:
            raise ValueError("the port of the URI is not a number from 0 to 65535") from None
        if "@" in v.split("://", 1)[1].split("/", 1)[0]:
            raise ValueError(f"{redact_uri(v)!r} carries a user or password: remove it from the "
                             "URI and set NEO4J_USER / NEO4J_PASSWORD (or --user / --password)")
        return v

    @property
    def display_uri(self) -> str:
        """The URI as shown in messages (any ``user:password@`` replaced by ``***@``)."""
        return redact_uri(self.uri)

    def auth(self) -> tuple[str, str] | None:
        """``(user, password)`` for the driver, or ``None`` (no auth) when no password is set.

        The password is ``password`` when set, else the first line of ``password_file`` (when
        set and readable). Never raises.
        """
        secret = self.password.get_secret_value()
        if not secret and self.password_file is not None:
            try:
                secret = self.password_file.read_text(encoding="utf-8").strip()
            except (OSError, UnicodeDecodeError):
                secret = ""
        return (self.user, secret) if secret else None

    def driver_config(self) -> dict[str, float]:
        """Keyword arguments for ``GraphDatabase.driver`` bounding every wait by ``timeout``.

        A third each for opening a connection (TCP connect and Bolt handshake,
        ``connection_timeout``), getting one from the pool (``connection_acquisition_timeout``,
        which also bounds a handshake nobody answers) and retrying transient errors
        (``max_transaction_retry_time``): a server that accepts connections but never answers
        is reported after about ``timeout`` seconds. A server that stops answering mid-query is
        noticed through the receive timeout the server announces (the local server: 30 s).
        """
        third = self.timeout / 3
        return {"connection_timeout": third, "connection_acquisition_timeout": third,
                "max_transaction_retry_time": third}

    def tx_timeout(self) -> float | None:
        """``transaction_timeout`` for ``neo4j.Query`` / ``unit_of_work``; ``None`` for no limit."""
        return self.transaction_timeout or None

    def is_local(self, bolt_port: int) -> bool:
        """True when ``uri`` points at this machine's ``bolt_port`` (the local server)."""
        try:
            parts = urlsplit(self.uri)
            port = parts.port or 7687
        except ValueError:
            return False
        return parts.hostname in LOOPBACK and port == bolt_port


class LineageSettings(BaseSettings):
    """Product settings."""

    model_config = SettingsConfigDict(env_prefix="LINEAGE_", extra="ignore")

    pseudonym_key: SecretStr | None = Field(
        None, description="HMAC-SHA256 key for student pseudonyms; kept outside the graph"
    )
    home: Path = Field(Path(".lineage"), description="folder of the local Neo4j server")
    bolt_port: int = Field(7687, ge=1, le=65535, description="local server Bolt port")
    http_port: int = Field(7474, ge=1, le=65535, description="local server HTTP (Browser) port")
    batch_size: int = Field(20000, ge=1, le=100_000, description="rows per UNWIND batch when loading")
    writers: int = Field(2, ge=1, le=16, description="concurrent writer sessions when loading "
                         "bulk rows")


#: The file in the local server's HOME holding the password of user ``neo4j`` (written by
#: ``lineage db start``; :mod:`lineage.graph.server`).
PASSWORD_FILE = "password"


def with_local_password(neo4j: Neo4jSettings, lineage: LineageSettings,
                        home: Path | None = None) -> Neo4jSettings:
    """``neo4j`` reading its password from the local server's ``HOME/password`` when it has none
    of its own: no ``password`` or ``password_file`` set, user ``neo4j``, and ``uri`` pointing at
    this machine's ``lineage.bolt_port`` (the local server; :mod:`lineage.graph.server`).

    ``home`` defaults to ``lineage.home`` (relative to the current directory). The file is read
    when a connection is made (:meth:`Neo4jSettings.auth`), so a server started later by the
    same command (``lineage demo``) is reached too. Returns ``neo4j`` itself otherwise.
    """
    if (neo4j.password.get_secret_value() or neo4j.password_file is not None
            or neo4j.user != "neo4j" or not neo4j.is_local(lineage.bolt_port)):
        return neo4j
    folder = Path(home if home is not None else lineage.home).expanduser()
    return neo4j.model_copy(update={"password_file": folder.resolve() / PASSWORD_FILE})
