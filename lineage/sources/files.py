"""Reading the files of an export: a folder or a zip archive, opened as streams by name.

Names are matched case-insensitively on the file's base name, so that ``Users.csv`` or
``export/users.csv`` inside a zip is found as ``users.csv``. Nothing is extracted to disk.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

from lineage.core.errors import InputError, Problem


class ExportFiles:
    """The files of a folder or a ``.zip`` given as ``path``.

    Raises :class:`InputError` when ``path`` does not exist, is not a folder or a readable zip.
    """

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._zip: zipfile.ZipFile | None = None
        self._names: dict[str, str] = {}
        if self.path.is_dir():
            for p in sorted(self.path.iterdir()):
                if p.is_file():
                    self._names.setdefault(p.name.lower(), p.name)
        elif self.path.is_file():
            try:
                self._zip = zipfile.ZipFile(self.path)
            except (zipfile.BadZipFile, OSError) as exc:
                raise InputError([Problem(str(self.path), None, None, (
                    f"not a folder or a readable zip archive ({exc}); give the export's "
                    "folder or its .zip"))]) from None
            for info in self._zip.infolist():
                if not info.is_dir():
                    self._names.setdefault(info.filename.rsplit("/", 1)[-1].lower(), info.filename)
        else:
            raise InputError([Problem(str(self.path), None, None,
                                      "no such folder or file; check the path")])

    def subfolders(self) -> list[str]:
        """The names of the folders directly inside a folder export, sorted (``[]`` for a zip):
        a user who gives the parent of ``bulk/`` and ``delta/`` is told which to give."""
        if self._zip is not None:
            return []
        return sorted(p.name for p in self.path.iterdir() if p.is_dir())

    def has(self, name: str) -> bool:
        """True when the export holds a file called ``name`` (case ignored)."""
        return name.lower() in self._names

    def label(self, name: str) -> str:
        """How messages name the file: ``folder/users.csv`` or ``export.zip:users.csv``."""
        real = self._names.get(name.lower(), name)
        if self._zip is not None:
            return f"{self.path}:{real}"
        return str(self.path / real)

    @contextmanager
    def open_text(self, name: str) -> Iterator[IO[str]]:
        """The file ``name`` as a UTF-8 text stream (a byte-order mark is dropped; newlines
        left to the csv module). Raises :class:`InputError` when it cannot be opened."""
        real = self._names.get(name.lower())
        if real is None:
            raise InputError([Problem(self.label(name), None, None, "file missing")])
        try:
            if self._zip is not None:
                raw = self._zip.open(real)
            else:
                raw = open(self.path / real, "rb")  # noqa: SIM115 -- closed below
        except (OSError, zipfile.BadZipFile, KeyError) as exc:
            raise InputError([Problem(self.label(name), None, None,
                                      f"cannot open the file ({exc})")]) from None
        text = io.TextIOWrapper(raw, encoding="utf-8-sig", newline="")
        try:
            yield text
        finally:
            text.close()

    def close(self) -> None:
        """Close the zip archive, if any."""
        if self._zip is not None:
            self._zip.close()
