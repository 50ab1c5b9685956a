"""Generate realistic CRM exports with a known ground truth.

The generative model
--------------------
*Who.* Accounts get an industry, a log-normal size, revenue, a country (some outside the
service area) and the tools seen on their website. Leads belong to accounts (B2B) or not
(B2C, free-mail sign-ups) and have a hidden persona: a real *buyer*, or a *student*,
*job seeker*, *competitor* or *internal* employee who looks like a lead but hardly ever buys.
Seniority and department are drawn, then rendered as messy English/German job titles; the
e-mail domain follows the persona (corporate, free-mail, education, competitor, internal).

*Fit.* Each lead has a fit log-odds ``x`` = persona + seniority + department + e-mail type +
industry + company size + country in/out of the service area + technographics + lead source
(B2C: age and income instead of company) + hidden lead and account noise.

*Journey.* Every day a lead is in one hidden stage: dormant, aware, researching, evaluating
(or converted). Stages follow a Markov chain; moves up the funnel are faster for leads with
more need (``exp(NEED_SLOPE * fit)``). Each stage emits behaviour at its own rates: web
sessions with page categories (pricing and contact pages when evaluating, blog when aware),
downloads, webinars, chats, trials, demo requests, social touches; weekly e-mail campaigns are
opened, re-opened in bursts and clicked more in later stages; some leads unsubscribe or bounce.
Job seekers read the careers page; competitors study pricing and docs. Old activity therefore
tells less about today's stage than recent activity: decay emerges from the chain.

*Conversion.* On each day in an open stage a lead converts with probability
``sigmoid(STAGE_HAZARD_LOGIT[stage] + x + account(t))``, where ``account(t)`` adds the effect
of recent account events (funding, sales hiring, an integrable tool added: up; layoffs: down).

*Ground truth.* Because the hidden stage at a cutoff, ``x``, the chain and the account events
fully determine the chance of converting afterwards, :mod:`leadscore.synthetic.ground_truth`
computes it exactly by a forward recursion over the chain. The hidden state is written to a
``ground_truth/`` sub-folder that no command reads as input.
"""

from __future__ import annotations

import hashlib
import json
import math
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from leadscore.contract import ACCOUNT_EVENT_TYPES, EVENT_TYPES, TABLES
from leadscore.errors import LeadscoreError, name_list
from leadscore.io import atomic_directory, update_hash
from leadscore.synthetic import world
from leadscore.synthetic.titles import sample_titles

Profile = Literal["b2b", "b2c"]
FileFormat = Literal["parquet", "csv"]

DEFAULT_START = "2024-10-01"
DEFAULT_END = "2026-04-01"
#: Leads simulated together; bounds memory independently of the number of leads.
CHUNK_LEADS = 10_000
TRUTH_DIR = "ground_truth"
#: Every file a run writes or removes: the tables in either format (a run removes those of the
#: other format, a B2C run the account tables) and the ground truth. Each run records the ones
#: it wrote, with their size and SHA-256, in ``ground_truth/params.json``; a later run replaces
#: or removes only those still unchanged.
_GENERATED_FILES = (
    *(f"{name}{suffix}" for name in TABLES for suffix in (".csv", ".parquet")),
    f"{TRUTH_DIR}/leads.parquet",
    f"{TRUTH_DIR}/stages.parquet",
)
_US_PER_DAY = 86_400 * 1_000_000
_PRE_PERIOD_DAYS = 365  # account events and old leads reach this far back


@dataclass
class GenerationResult:
    """What :func:`generate` wrote."""

    out_dir: Path
    files: dict[str, Path]
    rows: dict[str, int]
    seconds: float
    params: dict = field(default_factory=dict)


# --------------------------------------------------------------------------------------------
# Shared with the ground truth: the daily hazard, the chain and the account effects.


def sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-z))


def transition_matrices(need: np.ndarray) -> np.ndarray:
    """Per-lead daily transition matrices over the open stages, shape ``(n, 4, 4)``."""
    scale = np.where(world.UPWARD, np.exp(world.NEED_SLOPE * need)[:, None, None], 1.0)
    moves = np.minimum(world.STAGE_TRANSITIONS[None, :, :] * scale, 0.3)
    stay = 1.0 - moves.sum(axis=2)
    moves[:, np.arange(4), np.arange(4)] = stay
    return moves


def day_index(timestamps_us: np.ndarray, start_us: int) -> np.ndarray:
    """Whole days since the simulation start (negative before it)."""
    return np.floor_divide(timestamps_us - start_us, _US_PER_DAY)


def account_effects(
    account_index: np.ndarray,
    event_day: np.ndarray,
    event_type: np.ndarray,
    integrable: np.ndarray,
    n_accounts: int,
    n_days: int,
) -> np.ndarray:
    """Log-odds added to conversion by recent account events, shape ``(n_accounts, n_days)``.

    An event on day ``e`` counts from day ``e + 1`` for ``window`` days; several events of one
    type do not stack.
    """
    effect = np.zeros((n_accounts, n_days), dtype=np.float32)
    for kind, (window, size) in world.ACCOUNT_EVENT_EFFECTS.items():
        mask = event_type == kind
        if kind == "tech_added":
            mask &= integrable
        if not mask.any():
            continue
        diff = np.zeros((n_accounts, n_days + 1), dtype=np.int32)
        first = np.clip(event_day[mask] + 1, 0, n_days)
        last = np.clip(event_day[mask] + 1 + window, 0, n_days)
        np.add.at(diff, (account_index[mask], first), 1)
        np.add.at(diff, (account_index[mask], last), -1)
        effect += np.float32(size) * (np.cumsum(diff[:, :n_days], axis=1) > 0)
    return effect


# --------------------------------------------------------------------------------------------
# Attributes


def _choice(rng: np.random.Generator, shares, size: int) -> np.ndarray:
    p = np.asarray(shares, dtype=float)
    return rng.choice(len(p), size=size, p=p / p.sum())


def _choice_rows(rng: np.random.Generator, probs: np.ndarray) -> np.ndarray:
    """One draw per row of a row-stochastic matrix."""
    cum = np.cumsum(probs, axis=1)
    cum[:, -1] = 1.0
    return (rng.random(len(probs))[:, None] > cum).sum(axis=1)


def _size_effect(employees: np.ndarray) -> np.ndarray:
    bands = np.array([10, 50, 250, 1000, 5000])
    effects = np.array([-0.6, 0.0, 0.5, 0.5, 0.3, -0.1])
    return effects[np.searchsorted(bands, employees, side="right")]


def _make_accounts(n: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
    industry = _choice(rng, world.INDUSTRY_SHARES, n)
    employees = np.clip(np.round(10 ** rng.normal(1.9, 0.85, n)), 1, 250_000).astype(np.int64)
    revenue = employees * world.REVENUE_PER_EMPLOYEE[industry] * rng.lognormal(0.0, 0.4, n)
    # Exports are incomplete: some companies lack revenue or head count.
    reported_revenue = np.where(rng.random(n) < 0.08, np.nan, np.round(revenue, -3))
    reported_employees = np.where(rng.random(n) < 0.04, np.nan, employees)
    country = _choice(rng, world.COUNTRY_SHARES, n)
    tools = np.array([t[0] for t in world.TECHNOLOGIES])
    size_factor = np.clip(np.log10(employees + 1) / 2.0, 0.3, 2.0)
    uses = (
        rng.random((n, len(tools)))
        < np.array([t[1] for t in world.TECHNOLOGIES]) * size_factor[:, None]
    )
    tech_effect = uses.astype(float) @ np.array([t[2] for t in world.TECHNOLOGIES])
    in_area = np.isin(np.array(world.COUNTRIES)[country], list(world.SERVICE_AREA))
    noise = rng.normal(0.0, world.ACCOUNT_NOISE_SD, n)
    fit = (
        world.INDUSTRY_EFFECT[industry]
        + _size_effect(employees)
        + np.where(in_area, 0.0, world.OUTSIDE_SERVICE_AREA_EFFECT)
        + tech_effect
    )
    stems = np.array(world.COMPANY_STEMS)[rng.integers(len(world.COMPANY_STEMS), size=n)]
    words = np.array(world.INDUSTRY_DOMAIN_WORDS)[industry]
    tld = pd.Series(np.array(world.COUNTRIES)[country]).map(world.TLD_BY_COUNTRY).fillna(".com")
    base = pd.Series(stems) + "-" + pd.Series(words)
    dup = base.groupby(base).cumcount()
    domain = base + np.where(dup > 0, dup.astype(str), "") + tld
    return {
        "industry": industry,
        "employees": employees,
        "reported_employees": reported_employees,
        "reported_revenue": reported_revenue,
        "country": country,
        "uses": uses,
        "fit": fit,
        "noise": noise,
        "domain": domain.to_numpy(dtype=object),
    }


def _make_account_events(
    acc: dict[str, np.ndarray], n_days: int, rng: np.random.Generator
) -> dict[str, np.ndarray]:
    """Account events from a year before the start to the end, hiring in bursts."""
    n = len(acc["industry"])
    years = (n_days + _PRE_PERIOD_DAYS) / 365.0
    size = np.clip(np.log10(acc["employees"] + 1) / 2.0, 0.2, 2.5)
    software = np.isin(acc["industry"], [0, 1])
    parts_acc, parts_day, parts_type, parts_detail = [], [], [], []
    tools = np.array([t[0] for t in world.TECHNOLOGIES])
    uses = acc["uses"].copy()

    def add(kind: str, who: np.ndarray, day: np.ndarray, detail: np.ndarray | None = None):
        parts_acc.append(who)
        parts_day.append(day)
        parts_type.append(np.full(len(who), ACCOUNT_EVENT_TYPES.index(kind), dtype=np.int8))
        parts_detail.append(detail if detail is not None else np.full(len(who), None, object))

    for kind in ("hiring", "hiring_sales"):
        bursts = rng.poisson(world.ACCOUNT_EVENT_RATES[kind] / 3.0 * years * size)
        who = np.repeat(np.arange(n), bursts)
        centre = rng.uniform(-_PRE_PERIOD_DAYS, n_days, len(who))
        per_burst = 1 + rng.poisson(2.0, len(who))
        who, centre = np.repeat(who, per_burst), np.repeat(centre, per_burst)
        add(kind, who, centre + rng.uniform(0, 21, len(who)))
    for kind, multiplier in (
        ("funding", np.where(software, 3.0, 0.7)),
        ("layoff", np.clip(size, 0.5, 2.0)),
        ("press", size),
    ):
        counts = rng.poisson(world.ACCOUNT_EVENT_RATES[kind] * years * multiplier)
        who = np.repeat(np.arange(n), counts)
        add(kind, who, rng.uniform(-_PRE_PERIOD_DAYS, n_days, len(who)))
    for kind, wanted in (("tech_added", False), ("tech_removed", True)):
        counts = rng.poisson(world.ACCOUNT_EVENT_RATES[kind] * years, n)
        who = np.repeat(np.arange(n), counts)
        tool = rng.integers(len(tools), size=len(who))
        keep = uses[who, tool] == wanted  # add tools not used yet, remove tools in use
        who, tool = who[keep], tool[keep]
        day = rng.uniform(-_PRE_PERIOD_DAYS, n_days, len(who))
        uses[who, tool] = not wanted
        add(kind, who, day, tools[tool].astype(object))
    acc["uses_at_end"] = uses
    day = np.concatenate(parts_day)
    keep = day < n_days
    return {
        "account": np.concatenate(parts_acc)[keep],
        "day": day[keep],
        "type": np.concatenate(parts_type)[keep],
        "detail": np.concatenate(parts_detail)[keep],
    }


def _creation_days(n: int, n_days: int, rng: np.random.Generator) -> tuple[np.ndarray, ...]:
    """Creation day (float) and kind: 0 new in the period, 1 older lead, 2 existing customer."""
    kind = _choice(rng, (0.82, 0.15, 0.03), n)
    growth = 0.6  # more leads later in the period: density grows linearly by 60 %
    u = rng.random(n)
    new_day = (n_days - 7) * (np.sqrt(1 + u * growth * (2 + growth)) - 1) / growth
    created = np.select(
        [kind == 0, kind == 1],
        [new_day, rng.uniform(-_PRE_PERIOD_DAYS, 0, n)],
        rng.uniform(-2 * _PRE_PERIOD_DAYS, -60, n),
    )
    customer_since = created + rng.uniform(14, 50, n)
    return created, kind, customer_since


def _make_leads(
    n: int, profile: Profile, acc: dict | None, n_days: int, rng: np.random.Generator
) -> dict[str, np.ndarray]:
    persona = _choice(rng, world.PERSONA_SHARES[profile], n)
    seniority = _choice(rng, world.SENIORITY_SHARES_BUYER, n)
    seniority = np.where(persona == 1, world.SENIORITIES.index("student"), seniority)
    seniority = np.where(
        (persona == 2) & (rng.random(n) < 0.5), world.SENIORITIES.index("individual"), seniority
    )
    department = _choice(rng, world.DEPARTMENT_SHARES, n)
    email_type = _choice_rows(rng, world.EMAIL_TYPE_BY_PERSONA[profile][persona])

    if acc is not None:
        n_acc = len(acc["industry"])
        weight = acc["employees"] ** 0.35
        account = rng.choice(n_acc, size=n, p=weight / weight.sum())
        # Free-mail and education sign-ups are often not matched to a company.
        unmatched = np.isin(email_type, [1, 2]) & (rng.random(n) < 0.6)
        unmatched |= persona == 4
        account = np.where(unmatched, -1, account)
        email_type = np.where((account == -1) & (email_type == 0), 1, email_type)
        has_acc = account >= 0
        country = np.where(
            has_acc & (rng.random(n) < 0.95),
            acc["country"][np.maximum(account, 0)],
            _choice(rng, world.COUNTRY_SHARES, n),
        )
        company_fit = np.where(has_acc, acc["fit"][np.maximum(account, 0)], -0.3)
        company_noise = np.where(has_acc, acc["noise"][np.maximum(account, 0)], 0.0)
        age = income = None
        profile_fit = world.SENIORITY_EFFECT[seniority] + world.DEPARTMENT_EFFECT[department]
    else:
        account = np.full(n, -1)
        country = _choice(rng, world.COUNTRY_SHARES, n)
        company_fit = company_noise = np.zeros(n)
        age = np.clip(np.round(rng.normal(43, 14, n)), 18, 90)
        age = np.where(persona == 1, rng.integers(18, 27, n), age)
        income = np.round(np.exp(rng.normal(10.6, 0.45, n) + 0.01 * (age - 43)), -2)
        profile_fit = np.select(
            [age < 23, age < 30, age < 60, age < 72], [-1.0, 0.1, 0.4, 0.0], -0.5
        ) + np.clip(0.8 * np.log(income / 40_000), -0.8, 0.8)
        age = np.where(rng.random(n) < 0.12, np.nan, age)
        income = np.where(rng.random(n) < 0.25, np.nan, income)

    in_area = np.isin(np.array(world.COUNTRIES)[country], list(world.SERVICE_AREA))
    source = _choice(rng, world.LEAD_SOURCE_SHARES, n)
    need = (
        profile_fit
        + company_fit
        + world.EMAIL_TYPE_EFFECT[profile][email_type]
        + np.where(in_area, 0.0, world.OUTSIDE_SERVICE_AREA_EFFECT)
        + world.LEAD_SOURCE_EFFECT[source]
    )
    noise = rng.normal(0.0, world.LEAD_NOISE_SD, n) + company_noise
    fit = need + noise + world.PERSONA_EFFECT[persona]
    created, kind, customer_since = _creation_days(n, n_days, rng)
    kind = np.where((kind == 2) & (persona != 0), 1, kind)  # only real buyers became customers
    return {
        "persona": persona,
        "seniority": seniority,
        "department": department,
        "email_type": email_type,
        "account": account,
        "country": country,
        "source": source,
        "need": need,
        "fit": fit,
        "created": created,
        "kind": kind,
        "customer_since": customer_since,
        "consent": rng.random(n) < np.where(persona == 0, 0.93, 0.85),
        "activity": rng.lognormal(-0.125, 0.5, n),
        "invalid_email": rng.random(n) < world.INVALID_EMAIL_SHARE,
        "age": age,
        "income": income,
    }


def _emails(leads: dict, acc: dict | None, rng: np.random.Generator) -> np.ndarray:
    n = len(leads["persona"])
    first = np.array(world.FIRST_NAMES)[rng.integers(len(world.FIRST_NAMES), size=n)]
    last = np.array(world.LAST_NAMES)[rng.integers(len(world.LAST_NAMES), size=n)]
    number = rng.integers(1, 99, n).astype(str)
    local = np.select(
        [rng.random(n) < 0.6, rng.random(n) < 0.5],
        [pd.Series(first) + "." + last, pd.Series(first).str[0] + last],
        pd.Series(first) + last + number,
    )
    pools = [
        None,
        world.FREEMAIL_DOMAINS,
        world.EDUCATION_DOMAINS,
        world.COMPETITOR_DOMAINS,
        world.INTERNAL_DOMAINS,
    ]
    domain = np.empty(n, dtype=object)
    for code, pool in enumerate(pools):
        mask = leads["email_type"] == code
        if pool is None:
            domain[mask] = acc["domain"][leads["account"][mask]] if acc is not None else None
        else:
            domain[mask] = np.array(pool)[rng.integers(len(pool), size=int(mask.sum()))]
    email = pd.Series(local, dtype=object) + "@" + pd.Series(domain, dtype=object)
    return email.where(rng.random(n) > 0.01).to_numpy(dtype=object)  # a few leads lack one


# --------------------------------------------------------------------------------------------
# The journey: daily stages, conversions and the behaviour each stage emits


def _simulate_stages(
    leads: dict,
    sel: np.ndarray,
    acc_effect: np.ndarray,
    acc_row: np.ndarray,
    n_days: int,
    alpha: np.ndarray,
    rng: np.random.Generator,
) -> tuple[np.ndarray, np.ndarray]:
    """Daily hidden stage per lead (-1 before creation) and the conversion day (or -1)."""
    n = len(sel)
    created = leads["created"][sel]
    kind = leads["kind"][sel]
    first_day = np.where(kind == 2, 0, np.maximum(np.floor(created), 0)).astype(np.int64)
    first_stage = np.where(
        kind == 0,
        _choice_rows(rng, np.tile(world.STAGE_AT_CREATION, (n, 1))),
        _choice_rows(rng, np.tile(world.STAGE_AT_START, (n, 1))),
    )
    first_stage = np.where(kind == 2, 4, first_stage)
    cum = np.cumsum(transition_matrices(leads["need"][sel]), axis=2)
    cum[:, :, -1] = 1.0
    fit = leads["fit"][sel]
    has_acc = acc_row >= 0
    rows = np.arange(n)
    path = np.full((n, n_days), -1, dtype=np.int8)
    stage = np.full(n, -1, dtype=np.int64)
    converted = np.full(n, -1, dtype=np.int64)
    for day in range(n_days):
        stage = np.where(first_day == day, first_stage, stage)
        path[:, day] = stage
        open_ = (stage >= 0) & (stage < 4)
        logit = alpha[np.clip(stage, 0, 3)] + fit
        logit[has_acc] += acc_effect[acc_row[has_acc], day]
        conv = open_ & (rng.random(n) < sigmoid(logit))
        converted[conv] = day
        step = (rng.random(n)[:, None] > cum[rows, np.clip(stage, 0, 3)]).sum(axis=1)
        stage = np.where(conv, 4, np.where(open_, step, stage))
    return path, converted


def _segments(path: np.ndarray) -> tuple[np.ndarray, ...]:
    """Run-length encode stage paths: (row, stage, first day, day after the last)."""
    n_days = path.shape[1]
    flat = path.ravel()
    new = np.ones(flat.size, dtype=bool)
    new[1:] = flat[1:] != flat[:-1]
    new[::n_days] = True
    starts = np.flatnonzero(new)
    row = starts // n_days
    ends = np.append(starts[1:], flat.size) - row * n_days
    stage = flat[starts]
    keep = stage >= 0
    return row[keep], stage[keep].astype(np.int64), (starts % n_days)[keep], ends[keep]


@dataclass
class _EventBuffer:
    """Columns of events collected from the emitters, as integer codes."""

    lead: list = field(default_factory=list)
    day: list = field(default_factory=list)
    type: list = field(default_factory=list)
    detail: list = field(default_factory=list)

    def add(self, lead, day, event_type: str, detail) -> None:
        self.lead.append(np.asarray(lead))
        self.day.append(np.asarray(day, dtype=float))
        self.type.append(np.full(len(lead), EVENT_TYPES.index(event_type), dtype=np.int8))
        self.detail.append(np.broadcast_to(np.asarray(detail, dtype=np.int32), (len(lead),)))


class _DetailVocabulary:
    """Maps detail strings to integer codes so events are built as arrays of codes."""

    def __init__(self) -> None:
        self.values: list[str] = []
        self._codes: dict[str, int] = {}

    def codes(self, values) -> np.ndarray:
        out = []
        for v in values:
            if v not in self._codes:
                self._codes[v] = len(self.values)
                self.values.append(v)
            out.append(self._codes[v])
        return np.array(out, dtype=np.int32)


def _persona_bias(bias: dict, names: tuple[str, ...]) -> np.ndarray:
    """Multipliers shaped (persona, name) from a {persona: {name: factor}} table."""
    table = np.ones((len(world.PERSONAS), len(names)))
    for persona, factors in bias.items():
        for name, factor in factors.items():
            if name in names:
                table[world.PERSONAS.index(persona), names.index(name)] = factor
    return table


def _emit_sessions(seg, leads, sel, profile, vocab, buf, rng) -> None:
    row, stage, start, end = seg
    persona = leads["persona"][sel][row]
    activity = leads["activity"][sel][row] * leads["volume"]
    sessions = rng.poisson(world.SESSIONS_PER_DAY[stage] * (end - start) * activity)
    s_row = np.repeat(row, sessions)
    s_stage = np.repeat(stage, sessions)
    s_persona = np.repeat(persona, sessions)
    s_day = np.repeat(start, sessions) + rng.random(len(s_row)) * np.repeat(end - start, sessions)
    pages = 1 + rng.poisson(world.PAGES_PER_SESSION[s_stage])
    p_row, p_stage, p_persona = (np.repeat(a, pages) for a in (s_row, s_stage, s_persona))
    # Seconds between pages of a session; the first page opens the session.
    gaps = rng.exponential(70.0, len(p_row))
    first = np.r_[0, np.cumsum(pages)[:-1]]
    gaps[first] = 0.0
    offset = np.cumsum(gaps)
    offset -= np.repeat(offset[first], pages)
    p_day = np.repeat(s_day, pages) + offset / 86_400
    categories, mix = world.PAGE_MIX[profile]
    weights = mix[p_stage] * _persona_bias(world.PAGE_PERSONA_BIAS, categories)[p_persona]
    category = _choice_rows(rng, weights / weights.sum(axis=1, keepdims=True))
    buf.add(p_row, p_day, "page_view", vocab.codes(categories)[category])


def _emit_actions(seg, leads, sel, profile, vocab, buf, rng) -> None:
    row, stage, start, end = seg
    persona = leads["persona"][sel][row]
    activity = leads["activity"][sel][row] * leads["volume"]
    types = tuple(dict.fromkeys(a[0] for a in world.ACTIONS[profile]))
    bias = _persona_bias(world.ACTION_PERSONA_BIAS, types)
    for event_type, details, rates in world.ACTIONS[profile]:
        rate = np.asarray(rates)[stage] * bias[persona, types.index(event_type)] * activity
        counts = rng.poisson(rate * (end - start))
        e_row = np.repeat(row, counts)
        e_day = np.repeat(start, counts) + rng.random(len(e_row)) * np.repeat(end - start, counts)
        codes = vocab.codes(details)[rng.integers(len(details), size=len(e_row))]
        buf.add(e_row, e_day, event_type, codes)
        if event_type == "webinar_registered":
            e_stage = np.repeat(stage, counts)
            attended = rng.random(len(e_row)) < world.WEBINAR_ATTENDANCE[e_stage]
            held = e_day[attended] + rng.uniform(2, 14, int(attended.sum()))
            buf.add(e_row[attended], held, "webinar_attended", codes[attended])


def _emit_emails(path, leads, sel, n_days, start, vocab, buf, rng) -> None:
    n = len(sel)
    consent = leads["consent"][sel]
    created = leads["created"][sel]
    invalid = leads["invalid_email"][sel]
    persona = leads["persona"][sel]
    activity = np.sqrt(leads["activity"][sel])
    open_bias = np.where(persona == 0, 1.0, 0.8)
    unsub_bias = np.where(np.isin(persona, [1, 2]), 2.0, 1.0) * np.exp(-0.3 * leads["need"][sel])
    reachable = consent.copy()
    rows = np.arange(n)
    for number, day in enumerate(range(3, n_days, world.CAMPAIGN_EVERY_DAYS)):
        when = start + pd.Timedelta(days=day)
        theme = world.CAMPAIGN_THEMES[number % len(world.CAMPAIGN_THEMES)]
        code = vocab.codes([f"{when:%Y}-w{when.isocalendar().week:02d}-{theme}"])[0]
        sent = reachable & (created < day) & (rng.random(n) < world.CAMPAIGN_REACH)
        sent &= path[:, day] >= 0
        send_time = day + 0.375 + rng.random(n) * 0.1
        bounced = sent & invalid
        buf.add(rows[bounced], send_time[bounced], "email_bounce", code)
        reachable &= ~bounced
        delivered = sent & ~invalid
        buf.add(rows[delivered], send_time[delivered], "email_delivered", code)
        stage = np.where(path[:, day] >= 0, path[:, day], 0)
        opened = delivered & (
            rng.random(n) < np.minimum(world.OPEN_RATE[stage] * open_bias * activity, 0.95)
        )
        first_open = send_time + rng.exponential(0.4, n)
        buf.add(rows[opened], first_open[opened], "email_open", code)
        # Re-opens come in a burst on one later day: the "on fire" pattern.
        reopens = np.where(opened, rng.poisson(world.REOPEN_RATE[stage] * activity), 0)
        burst_day = first_open + rng.uniform(0.5, 16, n)
        r_rows = np.repeat(rows, reopens)
        buf.add(
            r_rows,
            np.repeat(burst_day, reopens) + rng.random(len(r_rows)) * 0.1,
            "email_open",
            code,
        )
        clicked = opened & (rng.random(n) < world.CLICK_RATE[stage])
        click_time = np.where(reopens > 0, burst_day, first_open) + rng.random(n) * 0.01
        buf.add(rows[clicked], click_time[clicked], "email_click", code)
        unsub = delivered & (rng.random(n) < world.UNSUBSCRIBE_RATE[stage] * unsub_bias)
        buf.add(rows[unsub], (first_open + 0.005)[unsub], "unsubscribe", code)
        reachable &= ~unsub


# --------------------------------------------------------------------------------------------
# Output assembly


def _lifecycle(
    path_end: np.ndarray,
    converted: np.ndarray,
    kind: np.ndarray,
    persona,
    source,
    n_days: int,
    rng: np.random.Generator,
) -> np.ndarray:
    n = len(path_end)
    u = rng.random(n)
    is_customer = (kind == 2) | ((converted >= 0) & (converted < n_days - 60) & (u < 0.7))
    stage = np.select(
        [
            is_customer,
            converted >= 0,
            (path_end == 3) & (u < 0.6),
            (path_end == 2) & (u < 0.3),
            np.isin(persona, [1, 2, 3]) & (u < 0.3),
            source == world.LEAD_SOURCES.index("newsletter"),
        ],
        ["customer", "opportunity", "mql", "mql", "other", "subscriber"],
        "lead",
    )
    return stage


def _timestamps(day: np.ndarray, start_us: int) -> pa.Array:
    return pa.array(
        start_us + np.round(day * _US_PER_DAY).astype(np.int64), type=pa.timestamp("us", tz="UTC")
    )


class _Writer:
    """Append record batches to one Parquet or CSV file per table."""

    def __init__(self, folder: Path, file_format: FileFormat) -> None:
        self.folder = folder
        self.file_format = file_format
        self.writers: dict[str, object] = {}
        self.rows: dict[str, int] = {}
        self.paths: dict[str, Path] = {}

    def write(self, name: str, table: pa.Table) -> None:
        if name not in self.writers:
            suffix = ".csv" if self.file_format == "csv" and "/" not in name else ".parquet"
            path = self.folder / f"{name}{suffix}"
            path.parent.mkdir(parents=True, exist_ok=True)
            self.paths[name] = path
            self.rows[name] = 0
            self.writers[name] = (
                pacsv.CSVWriter(path, table.schema)
                if suffix == ".csv"
                else pq.ParquetWriter(path, table.schema, compression="zstd")
            )
        self.writers[name].write_table(table)
        self.rows[name] += table.num_rows

    def close(self) -> None:
        for writer in self.writers.values():
            writer.close()


def _text(values) -> pa.Array:
    return pa.array(values, type=pa.string(), from_pandas=True)


def _account_effects_of(
    acc_events: dict, event_day: np.ndarray, lo: int, hi: int, n_days: int
) -> np.ndarray:
    """Account effect matrix for the accounts ``lo`` to ``hi - 1`` (one chunk)."""
    mine = (acc_events["account"] >= lo) & (acc_events["account"] < hi)
    return account_effects(
        acc_events["account"][mine] - lo,
        event_day[mine],
        np.array(ACCOUNT_EVENT_TYPES)[acc_events["type"][mine]],
        np.isin(acc_events["detail"][mine], list(world.INTEGRABLE_TOOLS)),
        hi - lo,
        n_days,
    )


def _events_table(
    buf: _EventBuffer,
    vocab: _DetailVocabulary,
    lead_ids: pa.Array,
    created: np.ndarray,
    n_days: int,
    start_us: int,
) -> pa.Table:
    """The chunk's events sorted by lead and time, none before the lead exists or after the end."""
    row = np.concatenate(buf.lead)
    day = np.maximum(np.concatenate(buf.day), created[row] + 1e-4)
    keep = day < n_days
    row, day = row[keep], day[keep]
    event_type = np.concatenate(buf.type)[keep]
    detail = np.concatenate(buf.detail)[keep]
    order = np.lexsort((day, row))
    return pa.table(
        {
            "lead_id": lead_ids.take(pa.array(row[order])),
            "occurred_at": _timestamps(day[order], start_us),
            "event_type": _text(EVENT_TYPES).take(pa.array(event_type[order])),
            "detail": _text(vocab.values).take(pa.array(detail[order])),
        }
    )


def _stages_table(seg: tuple[np.ndarray, ...], lead_ids: pa.Array) -> pa.Table:
    row, stage, first_day, end_day = seg
    return pa.table(
        {
            "lead_id": lead_ids.take(pa.array(row)),
            "stage": pa.array(stage.astype(np.int8)),
            "first_day": pa.array(first_day.astype(np.int32)),
            "end_day": pa.array(end_day.astype(np.int32)),
        }
    )


def generate(
    out_dir: str | Path,
    *,
    profile: Profile = "b2b",
    n_leads: int = 20_000,
    seed: int = 42,
    start: str = DEFAULT_START,
    end: str = DEFAULT_END,
    file_format: FileFormat = "parquet",
    activity: float = 1.0,
    on_progress: Callable[[int, int], None] | None = None,
) -> GenerationResult:
    """Write a synthetic dataset (the five tables plus ``ground_truth/``) to ``out_dir``.

    Parameters
    ----------
    out_dir : str or Path
        Folder to write to: a new or empty folder, or an earlier synthetic dataset, whose table
        files are replaced (also those of another format or profile) as long as they are the
        files that run wrote (recorded with their SHA-256 in ``ground_truth/params.json``);
        other files are kept.
    profile : {"b2b", "b2c"}
        B2B (accounts, firmographics, account events) or B2C (demographics, no accounts).
    n_leads : int
        Number of leads; about 100 events are generated per lead.
    seed : int
        Same seed, same data.
    start, end : str
        Period of simulated behaviour (ISO dates, UTC midnight; ``end`` exclusive).
    file_format : {"parquet", "csv"}
        Format of the five tables (the ground truth is always Parquet).
    activity : float
        Multiplies the rate of web sessions and actions (not e-mails) to make heavier data for
        benchmarks; who converts, and so the ground truth, does not change.
    on_progress : callable, optional
        Called with ``(leads done, leads total)`` after each chunk.

    Returns
    -------
    GenerationResult

    Raises
    ------
    LeadscoreError
        For bad arguments; when ``out_dir`` holds files but no earlier synthetic dataset (a
        real export must never be overwritten), naming some of them; and when a table file it
        would replace or remove is not one an earlier run wrote there, or was changed since
        (e.g. a real ``leads.csv`` put into a synthetic folder), naming it. Nothing is written
        then.

    Examples
    --------
    >>> import tempfile
    >>> result = generate(tempfile.mkdtemp(), n_leads=200, seed=7)
    >>> sorted(result.rows)[:3]
    ['account_events', 'accounts', 'events']
    """
    if profile not in ("b2b", "b2c"):
        raise LeadscoreError(f"unknown profile {profile!r}: use b2b or b2c.")
    if file_format not in ("parquet", "csv"):
        raise LeadscoreError(f"unknown format {file_format!r}: use parquet or csv.")
    if n_leads < 1:
        raise LeadscoreError("`n_leads` must be at least 1.")
    if not activity > 0:
        raise LeadscoreError("`activity` must be a positive number.")
    t_start, t_end = pd.Timestamp(start, tz="UTC"), pd.Timestamp(end, tz="UTC")
    n_days = (t_end - t_start).days
    if n_days < 60:
        raise LeadscoreError(f"the period {start} to {end} is too short: use at least 60 days.")
    earlier = _files_of_earlier_run(Path(out_dir))
    _refuse_unrecorded_files(Path(out_dir), earlier)  # before the work, to fail fast
    began = time.perf_counter()
    start_us = t_start.value // 1000
    rng = np.random.default_rng([seed, 0])
    alpha = world.STAGE_HAZARD_LOGIT[profile]

    acc = acc_events = None
    if profile == "b2b":
        acc = _make_accounts(max(1, math.ceil(n_leads / 3)), rng)
        acc_events = _make_account_events(acc, n_days, rng)
    leads = _make_leads(n_leads, profile, acc, n_days, rng)
    leads["volume"] = activity
    emails = _emails(leads, acc, rng)
    titles = sample_titles(leads["seniority"], leads["department"], rng)
    if profile == "b2c":
        titles = np.where(rng.random(n_leads) < 0.85, None, titles)
    lead_ids = pd.Series(np.arange(1, n_leads + 1)).map("L{:07d}".format).to_numpy(dtype=object)

    n_chunks = max(1, math.ceil(n_leads / CHUNK_LEADS))
    if acc is not None:
        n_acc = len(acc["industry"])
        account_ids = pd.Series(np.arange(1, n_acc + 1)).map("A{:06d}".format).to_numpy(object)
        per_chunk = math.ceil(n_acc / n_chunks)
        chunk_of = np.where(
            leads["account"] >= 0, leads["account"] // per_chunk, np.arange(n_leads) % n_chunks
        )
        acc_event_day = day_index(
            start_us + np.round(acc_events["day"] * _US_PER_DAY).astype(np.int64), start_us
        )
    else:
        chunk_of = np.arange(n_leads) // CHUNK_LEADS

    files_target = Path(out_dir)
    with atomic_directory(files_target) as staging:
        writer = _Writer(staging, file_format)
        lifecycle = np.empty(n_leads, dtype=object)
        conversion_day = np.full(n_leads, np.nan)
        done = 0
        for chunk in range(n_chunks):
            sel = np.flatnonzero(chunk_of == chunk)
            crng = np.random.default_rng([seed, 1, chunk])
            if acc is not None:
                lo, hi = chunk * per_chunk, min((chunk + 1) * per_chunk, n_acc)
                acc_effect = _account_effects_of(acc_events, acc_event_day, lo, hi, n_days)
                acc_row = np.where(leads["account"][sel] >= 0, leads["account"][sel] - lo, -1)
            else:
                acc_effect, acc_row = np.zeros((0, n_days), np.float32), np.full(len(sel), -1)
            path, converted = _simulate_stages(leads, sel, acc_effect, acc_row, n_days, alpha, crng)
            seg = _segments(path)
            vocab, buf = _DetailVocabulary(), _EventBuffer()
            _emit_sessions(seg, leads, sel, profile, vocab, buf, crng)
            _emit_actions(seg, leads, sel, profile, vocab, buf, crng)
            _emit_emails(path, leads, sel, n_days, t_start, vocab, buf, crng)
            chunk_ids = _text(lead_ids[sel])
            writer.write(
                "events",
                _events_table(buf, vocab, chunk_ids, leads["created"][sel], n_days, start_us),
            )
            writer.write(f"{TRUTH_DIR}/stages", _stages_table(seg, chunk_ids))
            conv_day = np.where(converted >= 0, converted + crng.random(len(sel)), np.nan)
            kind = leads["kind"][sel]
            conv_day = np.where(kind == 2, leads["customer_since"][sel], conv_day)
            conversion_day[sel] = conv_day
            lifecycle[sel] = _lifecycle(
                path[:, -1],
                converted,
                kind,
                leads["persona"][sel],
                leads["source"][sel],
                n_days,
                crng,
            )
            done += len(sel)
            if on_progress is not None:
                on_progress(done, n_leads)

        _write_static_tables(
            writer,
            profile,
            leads,
            lead_ids,
            emails,
            titles,
            lifecycle,
            conversion_day,
            start_us,
            acc,
            acc_events,
            account_ids if acc is not None else None,
        )
        writer.close()
        params = {
            "profile": profile,
            "n_leads": n_leads,
            "seed": seed,
            "start": str(t_start),
            "end": str(t_end),
            "n_days": n_days,
            "file_format": file_format,
            "activity": activity,
        }
        written = {
            path.relative_to(staging).as_posix(): _file_record(path)
            for path in writer.paths.values()
        }
        (staging / TRUTH_DIR / "params.json").write_text(
            json.dumps({**params, "files": written}, indent=2)
        )
        paths = {name: files_target / p.relative_to(staging) for name, p in writer.paths.items()}
        rows = dict(writer.rows)
        _refuse_unrecorded_files(files_target, earlier)  # again: a file may have come meanwhile

    for name in set(_GENERATED_FILES) - set(written):  # of another format or profile
        (files_target / name).unlink(missing_ok=True)
    return GenerationResult(
        out_dir=files_target,
        files={k: v for k, v in paths.items() if "/" not in k},
        rows={k: v for k, v in rows.items() if "/" not in k},
        seconds=time.perf_counter() - began,
        params=params,
    )


def _files_of_earlier_run(folder: Path) -> Mapping[str, object]:
    """The files an earlier run recorded writing into ``folder`` (path → size and SHA-256).

    Empty for a new or empty folder, and for an earlier dataset of a version that recorded
    none. A folder holding files but no earlier synthetic dataset is refused: generating
    replaces table files and removes those of another format or profile, which in a folder
    holding a real export would destroy it. An earlier dataset is recognised by the
    ``ground_truth/params.json`` the generator writes; hidden files (``.gitkeep``, temporaries
    of killed runs) are never touched and do not count.
    """
    if folder.is_symlink() and not folder.exists():
        raise LeadscoreError(
            f"{folder}: the link points to a folder that does not exist: create it or give "
            "another folder."
        )
    if folder.exists() and not folder.is_dir():
        raise LeadscoreError(f"{folder} is a file: give a folder to write the tables to.")
    if not folder.is_dir():
        return {}
    params = _earlier_params(folder)
    if params is not None:
        files = params.get("files")
        return files if isinstance(files, dict) else {}
    try:
        found = [p.name for p in folder.iterdir() if not p.name.startswith(".")]
    except OSError as exc:
        raise LeadscoreError(f"{folder}: cannot list the folder ({exc.strerror}).") from None
    if found:
        raise LeadscoreError(
            f"{folder} holds files that are not an earlier synthetic dataset "
            f"({name_list(found)}): give a new or empty folder, so none of them is overwritten."
        )
    return {}


def _earlier_params(folder: Path) -> dict | None:
    """The parameters file of a dataset :func:`generate` wrote in ``folder``; None if none."""
    try:
        params = json.loads((folder / TRUTH_DIR / "params.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if isinstance(params, dict) and {"profile", "seed", "n_leads"} <= set(params):
        return params
    return None


def _refuse_unrecorded_files(folder: Path, earlier: Mapping[str, object]) -> None:
    """Refuse when a file a run would replace or remove is not one an earlier run recorded
    writing there, unchanged since: it may be a real export someone put into the folder."""
    foreign = [
        name
        for name in _GENERATED_FILES
        if ((folder / name).exists() or (folder / name).is_symlink())
        and not _unchanged(folder / name, earlier.get(name))
    ]
    if foreign:
        raise LeadscoreError(
            f"{folder}: generating would replace or remove {name_list(foreign)}, which an "
            "earlier run of the generator did not write there (or which changed since; older "
            "versions recorded no checksums): move "
            + ("it" if len(foreign) == 1 else "them")
            + " away, or give a new or empty folder."
        )


def _file_record(path: Path) -> dict[str, object]:
    """Size and SHA-256 of a file the generator wrote, recorded in ``params.json``."""
    digest = hashlib.sha256()
    update_hash(digest, path)
    return {"bytes": path.stat().st_size, "sha256": digest.hexdigest()}


def _unchanged(path: Path, record: object) -> bool:
    """Whether ``path`` is a plain file with the size and SHA-256 of ``record``."""
    if not isinstance(record, dict) or path.is_symlink() or not path.is_file():
        return False
    try:
        if path.stat().st_size != record.get("bytes"):
            return False  # no need to read it
        return _file_record(path)["sha256"] == record.get("sha256")
    except OSError:
        return False


def _write_static_tables(
    writer: _Writer,
    profile: Profile,
    leads: dict,
    lead_ids: np.ndarray,
    emails: np.ndarray,
    titles: np.ndarray,
    lifecycle: np.ndarray,
    conversion_day: np.ndarray,
    start_us: int,
    acc: dict | None,
    acc_events: dict | None,
    account_ids: np.ndarray | None,
) -> None:
    country_codes = np.array(world.COUNTRIES)
    has_acc = leads["account"] >= 0
    lead_columns = {
        "lead_id": _text(lead_ids),
        "account_id": _text(
            np.where(has_acc, account_ids[np.maximum(leads["account"], 0)], None)
            if account_ids is not None
            else np.full(len(lead_ids), None, dtype=object)
        ),
        "created_at": _timestamps(leads["created"], start_us),
        "email": _text(emails),
        "job_title": _text(titles),
        "country": _text(country_codes[leads["country"]]),
        "lead_source": _text(np.array(world.LEAD_SOURCES)[leads["source"]]),
        "consent": pa.array(leads["consent"]),
        "lifecycle_stage": _text(lifecycle),
    }
    if profile == "b2c":
        lead_columns["age"] = pa.array(leads["age"], type=pa.int64(), from_pandas=True)
        lead_columns["income"] = pa.array(leads["income"], type=pa.float64(), from_pandas=True)
    writer.write("leads", pa.table(lead_columns))

    converted = ~np.isnan(conversion_day)
    writer.write(
        "outcomes",
        pa.table(
            {
                "lead_id": _text(lead_ids[converted]),
                "converted_at": _timestamps(conversion_day[converted], start_us),
            }
        ),
    )
    truth = {
        "lead_id": _text(lead_ids),
        "persona": _text(np.array(world.PERSONAS)[leads["persona"]]),
        "seniority": _text(np.array(world.SENIORITIES)[leads["seniority"]]),
        "department": _text(np.array(world.DEPARTMENTS)[leads["department"]]),
        "email_type": _text(np.array(world.EMAIL_TYPES)[leads["email_type"]]),
        "fit": pa.array(leads["fit"]),
        "need": pa.array(leads["need"]),
    }
    writer.write(f"{TRUTH_DIR}/leads", pa.table(truth))
    if acc is None:
        return
    tools = np.array([t[0] for t in world.TECHNOLOGIES])
    uses = acc["uses_at_end"]
    technologies = pd.Series([""] * len(uses), dtype=object)
    for j, tool in enumerate(tools):  # loop over the dozen tools, not over accounts
        technologies = technologies.where(~uses[:, j], technologies + ";" + tool)
    technologies = technologies.str.lstrip(";").replace("", None)
    writer.write(
        "accounts",
        pa.table(
            {
                "account_id": _text(account_ids),
                "domain": _text(acc["domain"]),
                "industry": _text(np.array(world.INDUSTRIES)[acc["industry"]]),
                "employees": pa.array(acc["reported_employees"], type=pa.int64(), from_pandas=True),
                "annual_revenue": pa.array(acc["reported_revenue"], from_pandas=True),
                "country": _text(country_codes[acc["country"]]),
                "technologies": _text(technologies.to_numpy(dtype=object)),
            }
        ),
    )
    order = np.lexsort((acc_events["day"], acc_events["account"]))
    writer.write(
        "account_events",
        pa.table(
            {
                "account_id": _text(account_ids[acc_events["account"][order]]),
                "occurred_at": _timestamps(acc_events["day"][order], start_us),
                "event_type": _text(np.array(ACCOUNT_EVENT_TYPES)[acc_events["type"][order]]),
                "detail": _text(acc_events["detail"][order]),
            }
        ),
    )
