"""Sources: which system each load speaks for (the provenance model, docs/formats.md "Sources").

Every load names its **source** (``lineage load --source NAME``): the system whose export it is
(the SIS, the ed-tech roster feed, the district's own inventory). This module holds the one
rule that names a source when the user does not (:func:`default_source_name`) and the check of
a typed name (:func:`check_source_name`). What the graph records per source is written by
:mod:`lineage.graph.provenance`.
"""

from __future__ import annotations

import re
from pathlib import PurePath

from lineage.core.errors import InputError, Problem
from lineage.core.pseudonym import normalise_id
from lineage.sources.dictionary import slug

#: Longest source name accepted (characters).
MAX_SOURCE_NAME = 80

#: Kinds of input a source is loaded from (``Source.kind`` in the graph).
SOURCE_KINDS = ("inventory", "dictionary", "oneroster", "edfi", "openlineage")

_SUFFIXES = (".tar.gz", ".zip", ".yaml", ".yml", ".json", ".jsonl", ".csv", ".xml")
#: A trailing export date in a file name: 2026-12-01, 2026_12_01, 20261201 (with its separator).
_TRAILING_DATE = re.compile(r"[-_. ]*(\d{4}[-_]?\d{2}[-_]?\d{2})(T[\d:.-]*Z?)?$")


def default_source_name(origin: str, kind: str) -> str:
    """The source name of a load given without ``--source``: the name of the file or folder
    loaded (``origin`` as the user typed it), without its extension and without a trailing
    export date, as a slug (ASCII, lower case, ``-`` between words); ``kind`` (one of
    :data:`SOURCE_KINDS`) when nothing is left.

    ``/exports/oneroster-2026-12-01.zip`` -> ``oneroster``; ``seeds/riverside/inventory.yaml``
    -> ``inventory``; ``sis_extract_20261201.csv`` -> ``sis-extract``. Dated nightly exports
    of one system thus share one source name. Pure; never raises.
    """
    name = PurePath(origin.rstrip("/\\") or kind).name
    lower = name.lower()
    for suffix in _SUFFIXES:
        if lower.endswith(suffix) and len(name) > len(suffix):
            name = name[: -len(suffix)]
            break
    name = _TRAILING_DATE.sub("", name)
    return slug(name, max_length=MAX_SOURCE_NAME) if name.strip(" -_.") else kind


def check_source_name(name: str) -> str:
    """A typed ``--source`` name, normalised like every ID (Unicode NFC, surrounding white space
    removed). Raises :class:`InputError` (exit 2) for an empty name or one longer than
    :data:`MAX_SOURCE_NAME` characters."""
    text = normalise_id(name)
    if not text or len(text) > MAX_SOURCE_NAME:
        raise InputError([Problem("(command line)", None, "--source",
                                  f"a source name has 1 to {MAX_SOURCE_NAME} characters, "
                                  "e.g. --source sis")])
    return text
