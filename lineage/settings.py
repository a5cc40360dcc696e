"""Settings from the environment (and CLI options, which override them).

Environment variables: ``NEO4J_URI`` (default ``bolt://127.0.0.1:7687``), ``NEO4J_USER``
(default ``neo4j``), ``NEO4J_PASSWORD`` (default empty: no auth, as the local dev server runs),
``NEO4J_DATABASE`` (default ``neo4j``), ``LINEAGE_PSEUDONYM_KEY`` (the key of the keyed hash of
student IDs; never stored in the graph), ``LINEAGE_HOME`` (the local server's folder, default
``./.lineage``), ``LINEAGE_BOLT_PORT`` / ``LINEAGE_HTTP_PORT`` (local server ports).
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


#: URI schemes of the Bolt driver (``neo4j`` routes reads and writes in a cluster or on Aura).
URI_SCHEMES = ("bolt", "bolt+s", "bolt+ssc", "neo4j", "neo4j+s", "neo4j+ssc")


class Neo4jSettings(BaseSettings):
    """How to reach Neo4j. Any URI scheme the driver knows works (``bolt://``, ``neo4j://``,
    ``neo4j+s://`` for Aura and clusters)."""

    model_config = SettingsConfigDict(env_prefix="NEO4J_", extra="ignore")

    uri: str = Field("bolt://127.0.0.1:7687", description="Bolt or routing URI of the server")
    user: str = Field("neo4j", description="user name")
    password: SecretStr = Field(SecretStr(""), description="password; empty means no auth")
    database: str = Field("neo4j", description="database name, passed on every call")

    @field_validator("uri")
    @classmethod
    def _scheme(cls, v: str) -> str:
        scheme = v.split("://", 1)[0].lower() if "://" in v else ""
        if scheme not in URI_SCHEMES:
            raise ValueError(f"{v!r} is not a Bolt URI: use one of "
                             f"{', '.join(s + '://' for s in URI_SCHEMES)}")
        try:
            urlsplit(v).port
        except ValueError:
            raise ValueError("the port of the URI is not a number from 0 to 65535") from None
        return v


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
