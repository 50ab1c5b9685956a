"""Messy job titles, English and German, with their true seniority and department.

The catalogue is built once from templates; noisy variants (lower/upper case, typos, the
German "(m/w/d)" suffix, stray blanks) are precomputed per title so that sampling titles for
a million leads is a vectorised index lookup.
"""

from __future__ import annotations

from functools import cache

import numpy as np
import pandas as pd

from leadscore.synthetic.world import DEPARTMENTS, SENIORITIES

# English name, German name, German "-leiter" compound.
_DEPARTMENT_WORDS = {
    "marketing": [
        ("Marketing", "Marketing", "Marketingleiter"),
        ("Digital Marketing", "Online-Marketing", "Marketingleiterin"),
    ],
    "sales": [
        ("Sales", "Vertrieb", "Vertriebsleiter"),
        ("Business Development", "Vertrieb", "Verkaufsleiterin"),
    ],
    "it": [("IT", "IT", "IT-Leiter"), ("Engineering", "Entwicklung", "Entwicklungsleiter")],
    "finance": [("Finance", "Finanzen", "Finanzleiter")],
    "hr": [("HR", "Personal", "Personalleiterin"), ("People", "Personal", "Personalleiter")],
    "operations": [
        ("Operations", "Betrieb", "Betriebsleiter"),
        ("Procurement", "Einkauf", "Einkaufsleiter"),
    ],
    "other": [
        ("Customer Service", "Kundenservice", "Serviceleiter"),
        ("Legal", "Recht", "Leiterin Recht"),
    ],
}
_C_LEVEL = {
    "marketing": ["CMO", "Chief Marketing Officer"],
    "sales": ["CRO", "Chief Revenue Officer", "CSO"],
    "it": ["CTO", "CIO", "Chief Technology Officer"],
    "finance": ["CFO", "Chief Financial Officer", "Kaufmännischer Geschäftsführer"],
    "hr": ["CHRO", "Chief People Officer"],
    "operations": ["COO", "Chief Operating Officer"],
    "other": [
        "CEO",
        "Geschäftsführer",
        "Geschäftsführerin",
        "Founder",
        "Co-Founder & CEO",
        "Inhaber",
        "Owner",
        "Managing Director",
        "Vorstand",
        "Gründer",
    ],
}
_INDIVIDUAL = {
    "marketing": [
        "Marketing Specialist",
        "Online-Marketing Referentin",
        "Content Creator",
        "Social Media Specialist",
        "Marketing Coordinator",
    ],
    "sales": [
        "Account Executive",
        "Sales Representative",
        "Vertriebsmitarbeiter",
        "Business Development Representative",
        "Außendienstmitarbeiter",
    ],
    "it": [
        "Software Engineer",
        "Softwareentwickler",
        "Systemadministrator",
        "DevOps Engineer",
        "Data Engineer",
    ],
    "finance": ["Accountant", "Buchhalterin", "Controller", "Financial Analyst"],
    "hr": ["Recruiter", "HR Generalist", "Personalreferentin"],
    "operations": ["Operations Specialist", "Sachbearbeiter Einkauf", "Logistics Coordinator"],
    "other": ["Consultant", "Berater", "Assistentin der Geschäftsführung", "Office Manager"],
}
_STUDENT = [
    "Student",
    "student",
    "Werkstudent {de}",
    "Werkstudentin",
    "{en} Intern",
    "Intern",
    "Praktikant",
    "Praktikantin {de}",
    "Trainee",
    "Auszubildende",
    "PhD Student",
    "Masterstudent",
]
_UNKNOWN = ["", "-", "n/a", "Mitarbeiter", "Employee", "Other", "Freelancer", "tbd"]

#: Noise applied to a title: name and share of leads.
NOISE = (
    ("clean", 0.74),
    ("lower", 0.08),
    ("upper", 0.02),
    ("typo", 0.07),
    ("mwd", 0.05),
    ("spaced", 0.04),
)


def _canonical_titles() -> list[tuple[str, str, str]]:
    rows: list[tuple[str, str, str]] = []
    for dept, words in _DEPARTMENT_WORDS.items():
        rows += [(t, "c_level", dept) for t in _C_LEVEL[dept]]
        rows += [(t, "individual", dept) for t in _INDIVIDUAL[dept]]
        for en, de, compound in words:
            rows += [
                (t, "vp", dept)
                for t in (f"VP {en}", f"Vice President {en}", f"VP of {en}", f"SVP {en}")
            ]
            rows += [
                (t, "director", dept)
                for t in (
                    f"Head of {en}",
                    f"{en} Director",
                    f"Director of {en}",
                    compound,
                    f"Leiter {de}",
                    f"Bereichsleiterin {de}",
                )
            ]
            rows += [
                (t, "manager", dept)
                for t in (
                    f"{en} Manager",
                    f"Senior {en} Manager",
                    f"Teamleiter {de}",
                    f"Teamlead {en}",
                )
            ]
            rows += [(t.format(en=en, de=de), "student", dept) for t in _STUDENT]
    rows += [(t, "unknown", dept) for dept in DEPARTMENTS for t in _UNKNOWN]
    return list(dict.fromkeys(rows))


def _typo(title: str, rng: np.random.Generator) -> str:
    if len(title) < 4:
        return title
    i = int(rng.integers(1, len(title) - 1))
    kind = rng.integers(3)
    if kind == 0:  # swap two neighbours
        return title[: i - 1] + title[i] + title[i - 1] + title[i + 1 :]
    if kind == 1:  # drop one
        return title[:i] + title[i + 1 :]
    return title[:i] + title[i] + title[i:]  # double one


def _noisy(title: str, noise: str, rng: np.random.Generator) -> str:
    if not title.strip() or noise == "clean":
        return title
    return {
        "lower": title.lower(),
        "upper": title.upper(),
        "typo": _typo(title, rng),
        "mwd": f"{title} (m/w/d)",
        "spaced": f"  {title} ",
    }[noise]


@cache
def title_catalogue() -> pd.DataFrame:
    """All title variants with their true seniority and department.

    Returns
    -------
    DataFrame
        Columns ``title``, ``seniority``, ``department``, ``noise`` and the integer codes
        ``seniority_code`` / ``department_code`` (positions in ``world.SENIORITIES`` /
        ``world.DEPARTMENTS``), sorted by the codes.

    Examples
    --------
    >>> cat = title_catalogue()
    >>> cat.loc[cat["title"] == "Marketingleiterin", "seniority"].iloc[0]
    'director'
    """
    rng = np.random.default_rng(20240601)  # fixed: the catalogue is part of the world
    rows = [
        (_noisy(title, noise, rng), seniority, dept, noise)
        for title, seniority, dept in _canonical_titles()
        for noise, _ in NOISE
    ]
    frame = pd.DataFrame(rows, columns=["title", "seniority", "department", "noise"])
    frame["seniority_code"] = frame["seniority"].map({s: i for i, s in enumerate(SENIORITIES)})
    frame["department_code"] = frame["department"].map({d: i for i, d in enumerate(DEPARTMENTS)})
    frame["noise_share"] = frame["noise"].map(dict(NOISE))
    return frame.sort_values(["seniority_code", "department_code"], kind="stable").reset_index(
        drop=True
    )


def sample_titles(
    seniority: np.ndarray, department: np.ndarray, rng: np.random.Generator
) -> np.ndarray:
    """Draw one title per lead consistent with its (seniority, department) codes."""
    cat = title_catalogue()
    n_dept = len(DEPARTMENTS)
    group = cat["seniority_code"].to_numpy() * n_dept + cat["department_code"].to_numpy()
    weights = cat["noise_share"].to_numpy()
    # Cumulative weights within each group give an inverse-CDF lookup for every lead at once.
    cum = np.cumsum(weights)
    group_end = np.searchsorted(group, np.arange(len(SENIORITIES) * n_dept), side="right")
    group_start = np.searchsorted(group, np.arange(len(SENIORITIES) * n_dept), side="left")
    lead_group = seniority * n_dept + department
    lo = np.where(group_start[lead_group] > 0, cum[group_start[lead_group] - 1], 0.0)
    hi = cum[group_end[lead_group] - 1]
    target = lo + rng.random(len(lead_group)) * (hi - lo)
    index = np.searchsorted(cum, target, side="right")
    index = np.clip(index, group_start[lead_group], group_end[lead_group] - 1)
    return cat["title"].to_numpy()[index]
