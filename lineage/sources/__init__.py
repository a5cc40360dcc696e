"""Input formats districts already have, read into the project's model.

One module per format, each pure (files in; an :class:`~lineage.core.models.Inventory` and native
bulk rows out; no graph, no pseudonym key):

* :mod:`lineage.sources.oneroster` -- OneRoster 1.1 / 1.2 CSV exports (folder or zip);
* :mod:`lineage.sources.edfi` -- Ed-Fi Data Standard 4 / 5 XML interchanges and ODS/API JSON;
* :mod:`lineage.sources.openlineage` -- OpenLineage 2-0-x events with a placement mapping.

:mod:`lineage.sources.common` holds what they share (the :class:`ParsedSource` contract,
dates, headers, identifiers, organisations, the ``staff:`` / ``parent:`` actor ids of people);
:mod:`lineage.sources.native` is the adapter that loads a parsed source through the native
loader today.
"""

from lineage.sources.common import ParsedSource
from lineage.sources.native import open_format_sources, write_native

__all__ = ["ParsedSource", "open_format_sources", "write_native"]
