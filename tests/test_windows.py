"""Window counts from running totals agree with counting the days by hand."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from leadscore.features.windows import running_totals

OFFSETS = (0, 1, 7, 30)


def _by_hand(daily: dict, lead: int, cutoff: int, counter: str, offset: int) -> int:
    """Events of ``lead`` on the days before ``cutoff - offset`` (window [cutoff - w, cutoff))."""
    mask = (daily["lead_idx"] == lead) & (daily["day"] < cutoff - offset)
    return int(daily[counter][mask].sum())


@st.composite
def histories(draw) -> tuple[dict, dict]:
    """Daily counts of 1-4 leads (one row per lead and day) and 1-6 (lead, cutoff) rows."""
    n_leads = draw(st.integers(1, 4))
    cells = draw(
        st.dictionaries(
            st.tuples(st.integers(0, n_leads - 1), st.integers(-40, 60)),
            st.tuples(st.integers(0, 5), st.integers(0, 3)),
            max_size=40,
        )
    )
    keys = list(cells)
    daily = {
        "lead_idx": np.array([k[0] for k in keys], dtype=np.int64),
        "day": np.array([k[1] for k in keys], dtype=np.int64),
        "act": np.array([cells[k][0] for k in keys], dtype=np.int64),
        "pages": np.array([cells[k][1] for k in keys], dtype=np.int64),
    }
    rows = draw(
        st.lists(
            st.tuples(st.integers(0, n_leads - 1), st.integers(-20, 80)), min_size=1, max_size=6
        )
    )
    population = {
        "lead_idx": np.array([r[0] for r in rows], dtype=np.int64),
        "cutoff_day": np.array([r[1] for r in rows], dtype=np.int64),
    }
    return daily, population


@settings(max_examples=150, deadline=None)
@given(histories())
def test_totals_before_each_boundary_match_counting_by_hand(history) -> None:
    daily, population = history
    offsets = {"act": OFFSETS, "pages": (0, 7), "active_days": OFFSETS}
    out = running_totals(daily, population, offsets, ["act", "pages"]).to_pydict()
    active = {**daily, "active_days": (daily["act"] > 0).astype(np.int64)}
    rows = zip(population["lead_idx"], population["cutoff_day"], strict=True)
    for i, (lead, cutoff) in enumerate(rows):
        assert out["lead_idx"][i] == lead and out["cutoff_day"][i] == cutoff  # rows stay aligned
        for counter, wanted in offsets.items():
            for offset in wanted:
                expected = _by_hand(active, lead, cutoff, counter, offset)
                assert out[f"{counter}__{offset}"][i] == expected, (counter, offset)
        for counter in ("act", "pages"):
            days = daily["day"][
                (daily["lead_idx"] == lead) & (daily["day"] < cutoff) & (daily[counter] > 0)
            ]
            last = out[f"last_{counter}"][i]
            assert (np.isnan(last) and not len(days)) or last == days.max()


def test_the_window_includes_its_first_day_and_excludes_the_cutoff_day() -> None:
    # Cutoff day 100: a 7-day window is days 93..99.
    daily = {
        "lead_idx": np.zeros(4, dtype=np.int64),
        "day": np.array([92, 93, 99, 100]),
        "act": np.array([1, 10, 100, 1000]),
    }
    population = {"lead_idx": np.array([0, 1]), "cutoff_day": np.array([100, 100])}
    out = running_totals(daily, population, {"act": (0, 7)}, ["act"]).to_pydict()
    assert out["act__0"][0] - out["act__7"][0] == 110  # days 93 and 99
    assert out["last_act"][0] == 99
    # Lead 1 has no events at all: zero counts and no last day.
    assert (out["act__0"][1], out["act__7"][1]) == (0, 0) and np.isnan(out["last_act"][1])
