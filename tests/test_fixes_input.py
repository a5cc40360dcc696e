"""Messages a new user's trial found wrong (input files, options): each names what is true,
exits 2 on bad input, and writes nothing. CLI through CliRunner against the real database."""

from __future__ import annotations

from click.testing import CliRunner

from lineage.cli import main
from tests.helpers import ROOT

FIX = ROOT / "tests" / "fixtures"


def _count(store) -> int:
    return store.counts()["nodes"]


def test_oneroster_parent_folder_names_its_subfolders(store, env):
    store.reset()
    folder = FIX / "oneroster-1.2"
    r = CliRunner().invoke(main, ["load", str(FIX / "maple-grove.yaml"), "--oneroster",
                                  str(folder), "--district", "maple-sd", "--no-progress"],
                           env=env)
    assert r.exit_code == 2, r.output
    assert r.output.splitlines()[1] == (
        f"  - {folder}: no OneRoster files (orgs.csv, academicSessions.csv, classes.csv, "
        f"users.csv, enrollments.csv, roles.csv, manifest.csv) in {folder}; found sub-folders "
        "bulk/, delta/ — give one of them")
    assert "lineage-import" not in r.output and "inventory defines nothing" not in r.output
    assert _count(store) == 0


def test_oneroster_empty_folder(store, env, tmp_path):
    store.reset()
    r = CliRunner().invoke(main, ["load", "--oneroster", str(tmp_path), "--district",
                                  "maple-sd", "--no-progress"], env=env)
    assert r.exit_code == 2, r.output
    assert r.output.splitlines()[1] == (
        f"  - {tmp_path}: no OneRoster files (orgs.csv, academicSessions.csv, classes.csv, "
        f"users.csv, enrollments.csv, roles.csv, manifest.csv) in {tmp_path}; give the "
        "export's folder or .zip")
    assert _count(store) == 0


def test_edfi_folder_without_edfi_files(store, env, tmp_path):
    store.reset()
    (tmp_path / "notes.json").write_text('{"a": 1}')
    (tmp_path / "other.xml").write_text("<catalog><book/></catalog>")
    r = CliRunner().invoke(main, ["load", "--edfi", str(tmp_path), "--district", "maple-sd",
                                  "--no-progress"], env=env)
    assert r.exit_code == 2, r.output
    assert r.output.splitlines()[1] == (
        f"  - {tmp_path}: no Ed-Fi interchange files (Interchange*.xml) or API resource files "
        "(localEducationAgencies.json, schools.json, studentSchoolAssociations.json, ...) in "
        f"{tmp_path}; give the folder of the Ed-Fi export")
    assert _count(store) == 0
