"""Regenerate the synthetic bulk CSVs of the Riverside seed (deterministic; run from anywhere).

The three students of the acceptance case (RSD-1001..1003) are fixed; 300 more synthetic
students (RSD-2001..RSD-2300) make the aggregates plausible. Some of them leave during
2023-24 so that "enrolled in the window" matters for impact questions.
"""

import csv
import random
from pathlib import Path

HERE = Path(__file__).parent
rng = random.Random(2024)

YEAR_START = {2022: "2022-08-15", 2023: "2023-08-14", 2024: "2024-08-19", 2025: "2025-08-18"}
SECTIONS_2024 = {3: "LIN-3A-2024", 4: "LIN-4A-2024", 5: "LIN-5A-2024"}

enrol = [("RSD-1001", "lincoln-es", "2022-08-15", "2025-06-13"),
         ("RSD-1001", "hill-sd", "2025-08-18", ""),
         ("RSD-1002", "lincoln-es", "2022-08-15", ""),
         ("RSD-1003", "lincoln-es", "2023-08-14", "")]
rosters = [("RSD-1001", "LIN-4B-2024", "2024-08-20", "2025-06-10"),
           ("RSD-1002", "LIN-4A-2024", "2024-08-20", "2025-06-10"),
           ("RSD-1003", "LIN-4A-2024", "2024-08-20", "2025-06-10")]
guardians = [("guardian-r", "RSD-1001", "", ""), ("guardian-k", "RSD-1002", "", "")]
members = [("reading-study-file", s, "", "") for s in ("RSD-1001", "RSD-1002", "RSD-1003")]
access = [("2024-10-01", "teacher-lee", "RSD-1001", "rsd-sis", "read")]
grade4_el = []

for n in range(2001, 2301):
    sid = f"RSD-{n}"
    grade_2024 = rng.randint(0, 5)          # grade in 2024-25 (K = 0)
    start_year = rng.choice([2022, 2022, 2022, 2023, 2024])
    end = ""
    r = rng.random()
    if r < 0.08:
        end = "2023-11-17"                  # left during 2023-24, before the routeco window
        start_year = 2022
    elif r < 0.14:
        end = "2024-06-12"
        start_year = min(start_year, 2023)
    elif r < 0.18:
        end = "2025-06-13"
    enrol.append((sid, "lincoln-es", YEAR_START[start_year], end))
    in_2024 = end in ("", "2025-06-13") and start_year <= 2024
    if in_2024 and grade_2024 in SECTIONS_2024:
        rosters.append((sid, SECTIONS_2024[grade_2024], "2024-08-20", "2025-06-10"))
        members.append(("reading-study-file", sid, "", ""))
        if grade_2024 == 4 and len(grade4_el) < 3 and rng.random() < 0.3:
            grade4_el.append(sid)


def write(name, header, rows):
    with (HERE / name).open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        w.writerows(rows)


write("enrolments.csv", ["student_id", "org", "valid_from", "valid_to"], enrol)
write("rosters.csv", ["student_id", "section", "valid_from", "valid_to"], rosters)
write("guardians.csv", ["guardian", "student_id", "valid_from", "valid_to"], guardians)
write("members.csv", ["dataset", "student_id", "valid_from", "valid_to"], members)
write("access_log.csv", ["at", "actor", "student_id", "dataset", "action"], access)
print("grade 4 English learners in the small cell besides RSD-1003:", grade4_el)
