"""Student pseudonyms: a keyed hash (HMAC-SHA256) of the district's student ID.

The key lives outside the graph (``LINEAGE_PSEUDONYM_KEY``, at least :data:`MIN_KEY_BYTES`
bytes); without it nothing that names a student can be loaded or asked. The graph stores only
the pseudonym, never the raw ID, and no message or log line contains a raw ID.

IDs are compared in one form: Unicode NFC, surrounding white space removed
(:func:`normalise_id`), so an ID typed ``"Ü"`` as one code point or as ``U`` + combining
diaeresis, or with a stray space, is the same ID.

The graph keeps a **key check value** (:attr:`Pseudonymizer.check`: an HMAC of a fixed label
with the key, never the key) in a ``:PseudonymKey`` node written by the first load;
:func:`verify_key` refuses a load or a student question made with another key, which would
otherwise silently count every student twice (or find none).
"""

from __future__ import annotations

import hashlib
import hmac
import unicodedata

from typing import TYPE_CHECKING

from lineage.core.errors import ConfigurationError

if TYPE_CHECKING:  # the settings machinery loads only when settings are read
    from lineage.core.settings import LineageSettings

#: The fixed key the demo uses (synthetic data only). Never use it for real students.
DEMO_KEY = "demo-key-synthetic-data-only-never-for-real-students"

#: Shortest key accepted, in bytes (UTF-8): 256 bits, the output size of SHA-256 (an HMAC key
#: shorter than the hash output weakens it; RFC 2104 §3).
MIN_KEY_BYTES = 32

#: Length of the pseudonym in hex characters (128 bits).
PSEUDONYM_HEX = 32

#: The fixed label whose HMAC with the key is the key check value kept in the graph.
KEY_CHECK_LABEL = b"lineage pseudonym key check v1"

_KEY_HINT = ("set LINEAGE_PSEUDONYM_KEY to a secret of at least 32 bytes kept outside the graph "
             "(the same key for every load and query of a district), e.g. the output of "
             "python -c \"import secrets; print(secrets.token_urlsafe(32))\"; 'lineage demo' "
             "uses a fixed demo key for its synthetic data")


def normalise_id(text: str) -> str:
    """An identifier in the one form the product compares and hashes: Unicode NFC (UAX #15),
    surrounding white space removed. ``"  A\\u0308 "`` -> ``"Ä"``."""
    text = text.strip()
    if text.isascii():                    # NFC leaves ASCII text as it is
        return text
    return unicodedata.normalize("NFC", text).strip()


class Pseudonymizer:
    """Turns a district student ID into its pseudonym: ``hex(HMAC-SHA256(key, id))[:32]``.

    The ID is normalised first (:func:`normalise_id`), so ``" RSD-1001"`` and ``"RSD-1001"``,
    or an ID in NFD and in NFC, are the same student.

    Raises :class:`ConfigurationError` (exit 2, naming ``LINEAGE_PSEUDONYM_KEY``, never the key)
    for a key shorter than :data:`MIN_KEY_BYTES` bytes.
    """

    normalise = staticmethod(normalise_id)

    def __init__(self, key: str | bytes) -> None:
        raw = key.encode("utf-8") if isinstance(key, str) else key
        if not raw:
            raise ConfigurationError("the pseudonym key LINEAGE_PSEUDONYM_KEY is empty",
                                     hint=_KEY_HINT)
        if len(raw) < MIN_KEY_BYTES:
            raise ConfigurationError(
                f"the pseudonym key LINEAGE_PSEUDONYM_KEY is too short: at least {MIN_KEY_BYTES} "
                "bytes are required (a short key can be guessed, and every pseudonym with it)",
                hint=_KEY_HINT)
        self._key = raw

    def __call__(self, student_id: str) -> str:
        return hmac.digest(self._key, normalise_id(student_id).encode("utf-8"),
                           "sha256").hex()[:PSEUDONYM_HEX]

    def __repr__(self) -> str:  # never show the key
        return "Pseudonymizer(<key>)"

    @property
    def check(self) -> str:
        """The key check value: ``hex(HMAC-SHA256(key, KEY_CHECK_LABEL))`` (64 hex). It shows
        whether two keys are the same without revealing either."""
        return hmac.new(self._key, KEY_CHECK_LABEL, hashlib.sha256).hexdigest()

    @classmethod
    def from_settings(cls, settings: LineageSettings | None = None) -> Pseudonymizer:
        """Build from ``LINEAGE_PSEUDONYM_KEY``. Raises :class:`ConfigurationError` without one
        or with one shorter than :data:`MIN_KEY_BYTES` bytes."""
        if settings is None:
            from lineage.core.settings import LineageSettings

            settings = LineageSettings()
        if settings.pseudonym_key is None or not settings.pseudonym_key.get_secret_value():
            raise ConfigurationError(
                "no pseudonym key: student IDs are stored only as a keyed hash, and the key "
                "is not set", hint=_KEY_HINT)
        return cls(settings.pseudonym_key.get_secret_value())


def key_mismatch() -> ConfigurationError:
    return ConfigurationError(
        "LINEAGE_PSEUDONYM_KEY is not the key this graph was loaded with: with another key "
        "every student would be a new one (a load would count each student twice, a question "
        "would find nobody); nothing was written",
        hint="use the district's key (the graph keeps only a check value of it, an HMAC of a "
        "fixed label, never the key); a new key needs an empty database ('lineage db reset --yes' "
        "and load everything again)")


