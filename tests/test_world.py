"""The synthetic world's parameters fit together: an edit that breaks them fails here first.

The generator draws categories from these shares and adds these effects by position, so a share
list one entry short, or a page category outside the contract, would silently skew or break
every synthetic dataset (and the ground truth computed from them).
"""

from __future__ import annotations

import numpy as np
import pytest

from leadscore.contract import ACCOUNT_EVENT_TYPES, EVENT_TYPES, PAGE_CATEGORIES
from leadscore.synthetic import world

PROFILES = ("b2b", "b2c")


@pytest.mark.parametrize(
    ("values", "shares", "effects"),
    [
        (world.SENIORITIES, world.SENIORITY_SHARES_BUYER, world.SENIORITY_EFFECT),
        (world.DEPARTMENTS, world.DEPARTMENT_SHARES, world.DEPARTMENT_EFFECT),
        (world.INDUSTRIES, world.INDUSTRY_SHARES, world.INDUSTRY_EFFECT),
        (world.LEAD_SOURCES, world.LEAD_SOURCE_SHARES, world.LEAD_SOURCE_EFFECT),
        (world.COUNTRIES, world.COUNTRY_SHARES, None),
        (world.PERSONAS, world.PERSONA_SHARES["b2b"], world.PERSONA_EFFECT),
        (world.PERSONAS, world.PERSONA_SHARES["b2c"], world.PERSONA_EFFECT),
    ],
    ids=["seniority", "department", "industry", "lead_source", "country", "b2b", "b2c"],
)
def test_each_category_has_one_share_and_one_effect(values, shares, effects) -> None:
    assert len(set(values)) == len(values)
    assert len(shares) == len(values) and min(shares) >= 0
    assert sum(shares) == pytest.approx(1.0)
    if effects is not None:
        assert len(effects) == len(values)


@pytest.mark.parametrize("profile", PROFILES)
def test_behaviour_tables_have_a_row_per_stage_and_stay_in_the_contract(profile: str) -> None:
    n_stages = len(world.STAGES)  # 4 open stages and converted
    email = world.EMAIL_TYPE_BY_PERSONA[profile]
    assert email.shape == (len(world.PERSONAS), len(world.EMAIL_TYPES))
    assert np.allclose(email.sum(axis=1), 1.0)
    pages, mix = world.PAGE_MIX[profile]
    assert set(pages) <= set(PAGE_CATEGORIES)
    assert mix.shape == (n_stages, len(pages)) and np.allclose(mix.sum(axis=1), 1.0)
    for event_type, details, rates in world.ACTIONS[profile]:
        assert event_type in EVENT_TYPES and details and len(rates) == n_stages
    assert len(world.STAGE_HAZARD_LOGIT[profile]) == world.N_OPEN_STAGES


def test_the_funnel_is_a_proper_daily_markov_chain() -> None:
    moves = world.STAGE_TRANSITIONS
    assert moves.shape == (world.N_OPEN_STAGES, world.N_OPEN_STAGES)
    assert (np.diag(moves) == 0).all() and (moves >= 0).all()
    assert (moves.sum(axis=1) < 1).all()  # what is left is staying put
    for start in (world.STAGE_AT_CREATION, world.STAGE_AT_START):
        assert len(start) == world.N_OPEN_STAGES and sum(start) == pytest.approx(1.0)
    # Hotter stages convert more: the daily hazard rises along the funnel.
    for profile in PROFILES:
        assert (np.diff(world.STAGE_HAZARD_LOGIT[profile]) > 0).all()
    for rates in (world.SESSIONS_PER_DAY, world.OPEN_RATE, world.CLICK_RATE):
        assert len(rates) == len(world.STAGES)


def test_accounts_and_personas_refer_to_known_names() -> None:
    assert set(world.ACCOUNT_EVENT_RATES) == set(ACCOUNT_EVENT_TYPES)
    assert set(world.ACCOUNT_EVENT_EFFECTS) <= set(world.ACCOUNT_EVENT_RATES)
    tools = {name for name, _, _ in world.TECHNOLOGIES}
    assert world.INTEGRABLE_TOOLS.issubset(tools)
    assert set(world.TLD_BY_COUNTRY) == world.SERVICE_AREA <= set(world.COUNTRIES)
    assert len(world.INDUSTRY_DOMAIN_WORDS) == len(world.INDUSTRIES)
    for bias in (world.PAGE_PERSONA_BIAS, world.ACTION_PERSONA_BIAS):
        assert set(bias) <= set(world.PERSONAS)
    named = {t for bias in world.ACTION_PERSONA_BIAS.values() for t in bias}
    assert named <= set(EVENT_TYPES)
    pages = {p for bias in world.PAGE_PERSONA_BIAS.values() for p in bias}
    assert pages <= set(PAGE_CATEGORIES)
