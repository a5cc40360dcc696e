"""Comparing answers across input formats (tests/test_synth_formats.py and
bench/formats_bench.py): the same synthetic state written natively, as OneRoster and as Ed-Fi
names teachers, guardians and Ed-Fi's numeric organisations differently; :func:`normalise`
writes a native answer the formats' way so that answers compare equal."""

from __future__ import annotations

import json
import re
from pathlib import Path


def org_ids(native: Path, edfi: Path) -> list[tuple[str, str]]:
    """(native id, Ed-Fi id) of every district and school, longest first."""
    import yaml

    a = [x["id"] for x in yaml.safe_load((native / "inventory.yaml").read_text())["actors"]
         if x["role"] in ("district", "school")]
    b = [f"{r['id']}" for r in _edfi_orgs(edfi / "edfi" / "InterchangeEducationOrganization.xml")]
    assert len(a) == len(b)
    return sorted(zip(a, b), key=lambda p: -len(p[0]))


def _edfi_orgs(path: Path) -> list[dict]:
    import xml.etree.ElementTree as ET

    out = []
    for el in ET.parse(path).getroot():
        tag = el.tag.rsplit("}", 1)[-1]
        ident = el.find("{*}LocalEducationAgencyId" if tag == "LocalEducationAgency"
                        else "{*}SchoolId")
        out.append({"id": ident.text})
    return out


def normalise(answer: dict, orgs: list[tuple[str, str]]) -> dict:
    """An exposure answer with native ids written the formats' way (teachers ``staff:``,
    guardians ``parent:``, Ed-Fi's numeric organisations inside every id), lists sorted."""
    def fix(v):
        if isinstance(v, str):
            if re.fullmatch(r"T\d+", v):
                return "staff:" + v
            if re.fullmatch(r"G\d+", v):
                return "parent:" + v
            for a, b in orgs:
                v = re.sub(rf"(?<![A-Za-z0-9]){re.escape(a)}(?![A-Za-z0-9])", b, v)
            return v
        if isinstance(v, list):
            return sorted((fix(x) for x in v), key=lambda x: json.dumps(x, sort_keys=True))
        if isinstance(v, dict):
            return {k: fix(x) for k, x in v.items()}
        return v
    return fix(answer)
