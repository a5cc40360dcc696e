"""The environment a child process gets: only the variables it needs, never a secret.

The local Neo4j server (:func:`lineage.graph.server.server_env`) and the conversion children
(:func:`lineage.sources.parallel.child_env`) each keep an allow-list of variable names; the
pseudonym key, database passwords and cloud credentials are in neither, so they never reach a
child (a process's environment is readable by its owner in ``/proc/PID/environ``).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping


def allowed(environ: Mapping[str, str] | os._Environ, names: Iterable[str]) -> dict[str, str]:
    """The variables of ``environ`` that ``names`` allows: a name allows itself; a name
    ending in ``_`` (``LC_``) allows every variable it starts."""
    names = tuple(names)
    exact = frozenset(n for n in names if not n.endswith("_"))
    prefixes = tuple(n for n in names if n.endswith("_"))
    return {k: v for k, v in environ.items()
            if k in exact or (prefixes and k.startswith(prefixes))}
