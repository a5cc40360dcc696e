"""Student pseudonyms: a keyed hash (HMAC-SHA256) of the district's student ID.

The key lives outside the graph (``LINEAGE_PSEUDONYM_KEY``); without it nothing that names a
student can be loaded or asked. The graph stores only the pseudonym, never the raw ID, and no
message or log line contains a raw ID.
"""

from __future__ import annotations

import hashlib
import hmac

from lineage.errors import ConfigurationError
from lineage.settings import LineageSettings

#: The fixed key the demo uses (synthetic data only). Never use it for real students.
DEMO_KEY = "demo-key-synthetic-data-only"

#: Length of the pseudonym in hex characters (128 bits).
PSEUDONYM_HEX = 32


class Pseudonymizer:
    """Turns a district student ID into its pseudonym: ``hex(HMAC-SHA256(key, id))[:32]``.

    IDs are stripped of surrounding white space before hashing, so ``" RSD-1001"`` and
    ``"RSD-1001"`` are the same student.
    """

    def __init__(self, key: str | bytes) -> None:
        if not key:
            raise ConfigurationError("the pseudonym key is empty")
        self._key = key.encode("utf-8") if isinstance(key, str) else key

    def __call__(self, student_id: str) -> str:
        return hmac.new(self._key, student_id.strip().encode("utf-8"),
                        hashlib.sha256).hexdigest()[:PSEUDONYM_HEX]

    @classmethod
    def from_settings(cls, settings: LineageSettings | None = None) -> Pseudonymizer:
        """Build from ``LINEAGE_PSEUDONYM_KEY``. Raises :class:`ConfigurationError` without one."""
        settings = settings or LineageSettings()
        if settings.pseudonym_key is None or not settings.pseudonym_key.get_secret_value():
            raise ConfigurationError(
                "no pseudonym key: student IDs are stored only as a keyed hash, and the key "
                "is not set",
                hint="set LINEAGE_PSEUDONYM_KEY to a secret kept outside the graph (the same "
                "key for every load and query of a district); 'lineage demo' uses a fixed "
                "demo key for its synthetic data",
            )
        return cls(settings.pseudonym_key.get_secret_value())
