"""Synthetic job titles: messy like real exports, yet each true to the lead's hidden role."""

from __future__ import annotations

import numpy as np

from leadscore.synthetic.titles import NOISE, sample_titles, title_catalogue
from leadscore.synthetic.world import DEPARTMENTS, SENIORITIES


def test_every_role_of_the_world_has_titles() -> None:
    catalogue = title_catalogue()
    pairs = set(zip(catalogue["seniority"], catalogue["department"], strict=True))
    wanted = {(s, d) for s in SENIORITIES for d in DEPARTMENTS}
    assert wanted <= pairs, sorted(wanted - pairs)
    assert sum(share for _, share in NOISE) == 1.0


def test_each_drawn_title_belongs_to_the_leads_role() -> None:
    rng = np.random.default_rng(1)
    n = 20_000
    seniority = rng.integers(len(SENIORITIES), size=n)
    department = rng.integers(len(DEPARTMENTS), size=n)
    titles = sample_titles(seniority, department, np.random.default_rng(2))
    catalogue = title_catalogue()
    allowed = catalogue.groupby(["seniority_code", "department_code"])["title"].agg(set)
    wrong = [
        (t, s, d)
        for t, s, d in zip(titles, seniority, department, strict=True)
        if t not in allowed[(s, d)]
    ]
    assert not wrong, wrong[:5]
    again = sample_titles(seniority, department, np.random.default_rng(2))
    assert (titles == again).all()  # the seed decides


def test_about_a_quarter_of_titles_are_messy() -> None:
    # The share of variants other than the clean one follows NOISE (74 % clean).
    rng = np.random.default_rng(3)
    n = 40_000
    seniority = np.full(n, SENIORITIES.index("director"))
    department = np.full(n, DEPARTMENTS.index("marketing"))
    titles = sample_titles(seniority, department, rng)
    catalogue = title_catalogue()
    clean = set(catalogue.loc[catalogue["noise"] == "clean", "title"])
    lower_case = np.char.islower(titles.astype(str))
    assert 0.70 < np.isin(titles, list(clean)).mean() < 0.80
    assert 0.05 < lower_case.mean() < 0.12  # "lower" noise: 8 %
    assert np.char.endswith(titles.astype(str), "(m/w/d)").mean() > 0.03
