"""The synthetic world: who the leads are, what they do, and what makes them convert.

Everything here is the generator's hidden truth. Values were chosen to look like the seed
articles (B2B software sold into DACH/EU companies; a B2C car-dealer style funnel), not tuned
for any model. The vendor in this world is "Northwind Analytics" (internal domain
``northwind-analytics.com``); its competitors use ``scoreforce.io``, ``leadpilot.com`` and
``funnelwise.de``.
"""

from __future__ import annotations

import numpy as np

#: Hidden stages of a lead's buying journey (a daily Markov chain, see ``generator``).
STAGES = ("dormant", "aware", "researching", "evaluating", "converted")
N_OPEN_STAGES = 4  # the stages a lead can still convert from

#: Who a lead really is. Non-buyers look like leads but (almost) never convert.
PERSONAS = ("buyer", "student", "job_seeker", "competitor", "internal")
PERSONA_SHARES = {
    "b2b": (0.885, 0.04, 0.03, 0.03, 0.015),
    "b2c": (0.935, 0.03, 0.02, 0.01, 0.005),
}
#: Log-odds added to the daily conversion hazard per persona.
PERSONA_EFFECT = np.array([0.0, -3.5, -3.5, -7.0, -9.0])

SENIORITIES = ("c_level", "vp", "director", "manager", "individual", "student", "unknown")
SENIORITY_SHARES_BUYER = (0.09, 0.06, 0.15, 0.28, 0.32, 0.0, 0.10)
SENIORITY_EFFECT = np.array([0.7, 0.9, 0.8, 0.4, -0.3, -1.0, -0.3])

DEPARTMENTS = ("marketing", "sales", "it", "finance", "hr", "operations", "other")
DEPARTMENT_SHARES = (0.30, 0.20, 0.18, 0.08, 0.06, 0.10, 0.08)
DEPARTMENT_EFFECT = np.array([0.6, 0.4, 0.1, -0.2, -0.5, -0.1, -0.4])

EMAIL_TYPES = ("corporate", "freemail", "education", "competitor", "internal")
EMAIL_TYPE_EFFECT = {
    "b2b": np.array([0.0, -0.7, -1.0, 0.0, 0.0]),
    "b2c": np.array([0.0, 0.0, -0.5, 0.0, 0.0]),
}
#: Probability of each e-mail type for each persona (rows follow PERSONAS).
EMAIL_TYPE_BY_PERSONA = {
    "b2b": np.array(
        [
            [0.80, 0.18, 0.02, 0.0, 0.0],
            [0.0, 0.40, 0.60, 0.0, 0.0],
            [0.15, 0.85, 0.0, 0.0, 0.0],
            [0.0, 0.15, 0.0, 0.85, 0.0],
            [0.0, 0.0, 0.0, 0.0, 1.0],
        ]
    ),
    "b2c": np.array(
        [
            [0.08, 0.90, 0.02, 0.0, 0.0],
            [0.0, 0.40, 0.60, 0.0, 0.0],
            [0.05, 0.95, 0.0, 0.0, 0.0],
            [0.0, 0.2, 0.0, 0.8, 0.0],
            [0.0, 0.0, 0.0, 0.0, 1.0],
        ]
    ),
}
FREEMAIL_DOMAINS = (
    "gmail.com",
    "gmx.de",
    "web.de",
    "yahoo.com",
    "outlook.com",
    "t-online.de",
    "hotmail.com",
    "icloud.com",
    "gmx.at",
    "bluewin.ch",
)
EDUCATION_DOMAINS = (
    "tum.de",
    "uni-muenchen.de",
    "student.kit.edu",
    "rwth-aachen.de",
    "univie.ac.at",
    "ethz.ch",
    "stud.uni-hamburg.de",
    "mit.edu",
    "ox.ac.uk",
    "uva.nl",
)
COMPETITOR_DOMAINS = ("scoreforce.io", "leadpilot.com", "funnelwise.de")
INTERNAL_DOMAINS = ("northwind-analytics.com",)
FIRST_NAMES = (
    "anna",
    "lukas",
    "marie",
    "jonas",
    "sophie",
    "felix",
    "laura",
    "paul",
    "julia",
    "leon",
    "sarah",
    "max",
    "lena",
    "tim",
    "katharina",
    "david",
    "emma",
    "jan",
    "hannah",
    "thomas",
    "olga",
    "ivan",
    "james",
    "emily",
    "pierre",
    "claire",
    "marco",
    "giulia",
    "sven",
    "ingrid",
)
LAST_NAMES = (
    "mueller",
    "schmidt",
    "schneider",
    "fischer",
    "weber",
    "meyer",
    "wagner",
    "becker",
    "schulz",
    "hoffmann",
    "koch",
    "bauer",
    "richter",
    "klein",
    "wolf",
    "neumann",
    "huber",
    "gruber",
    "smith",
    "jones",
    "martin",
    "rossi",
    "jansen",
    "dubois",
    "nilsson",
    "petrov",
)

INDUSTRIES = (
    "software",
    "it_services",
    "manufacturing",
    "financial_services",
    "professional_services",
    "healthcare",
    "retail",
    "logistics",
    "media",
    "energy",
    "construction",
    "education",
    "government",
    "non_profit",
    "hospitality",
)
INDUSTRY_SHARES = (
    0.14,
    0.10,
    0.16,
    0.07,
    0.10,
    0.07,
    0.08,
    0.06,
    0.04,
    0.03,
    0.05,
    0.03,
    0.03,
    0.02,
    0.02,
)
INDUSTRY_EFFECT = np.array(
    [0.5, 0.4, 0.3, 0.3, 0.3, 0.0, 0.0, 0.0, 0.0, -0.1, -0.2, -0.7, -0.8, -0.8, -0.3]
)
INDUSTRY_DOMAIN_WORDS = (
    "software",
    "it",
    "maschinenbau",
    "finanz",
    "consulting",
    "medical",
    "handel",
    "logistik",
    "media",
    "energie",
    "bau",
    "akademie",
    "amt",
    "stiftung",
    "hotels",
)
REVENUE_PER_EMPLOYEE = np.array(
    [
        180e3,
        130e3,
        220e3,
        350e3,
        140e3,
        160e3,
        250e3,
        200e3,
        150e3,
        500e3,
        180e3,
        60e3,
        80e3,
        50e3,
        70e3,
    ]
)
COMPANY_STEMS = (
    "brandt",
    "nordlicht",
    "alpen",
    "kessler",
    "vertex",
    "hansa",
    "rhein",
    "isar",
    "falk",
    "lindner",
    "sonnen",
    "kraft",
    "weiss",
    "berg",
    "adler",
    "blau",
    "stern",
    "wald",
    "elb",
    "main",
    "spree",
    "donau",
    "eifel",
    "harz",
    "bodensee",
    "novum",
    "optima",
    "prisma",
    "quantum",
    "solid",
    "terra",
    "vita",
    "zenit",
    "apex",
    "delta",
    "orbit",
)

#: Countries (ISO alpha-2) with their share of accounts/leads and whether they are inside the
#: vendor's service area.
COUNTRIES = (
    "DE",
    "AT",
    "CH",
    "NL",
    "BE",
    "FR",
    "GB",
    "IT",
    "ES",
    "PL",
    "SE",
    "DK",
    "US",
    "IN",
    "BR",
    "CN",
    "AU",
    "CA",
    "ZA",
)
COUNTRY_SHARES = (
    0.42,
    0.08,
    0.08,
    0.05,
    0.03,
    0.04,
    0.05,
    0.03,
    0.03,
    0.03,
    0.02,
    0.02,
    0.05,
    0.02,
    0.015,
    0.01,
    0.01,
    0.01,
    0.005,
)
SERVICE_AREA = frozenset(COUNTRIES[:12])
OUTSIDE_SERVICE_AREA_EFFECT = -1.5
TLD_BY_COUNTRY = {
    "DE": ".de",
    "AT": ".at",
    "CH": ".ch",
    "NL": ".nl",
    "BE": ".be",
    "FR": ".fr",
    "GB": ".co.uk",
    "IT": ".it",
    "ES": ".es",
    "PL": ".pl",
    "SE": ".se",
    "DK": ".dk",
}

#: Tools seen on company websites: name, share of accounts using it, effect on conversion.
#: The vendor integrates with CRM/CMS tools; Dynamics and a rival suite are not supported.
TECHNOLOGIES = (
    ("hubspot", 0.18, 0.35),
    ("salesforce", 0.15, 0.30),
    ("pipedrive", 0.06, 0.20),
    ("wordpress", 0.40, 0.05),
    ("typo3", 0.12, 0.0),
    ("shopify", 0.06, 0.0),
    ("google_analytics", 0.60, 0.0),
    ("segment", 0.05, 0.10),
    ("zendesk", 0.08, 0.0),
    ("slack", 0.20, 0.0),
    ("microsoft_dynamics", 0.08, -0.40),
    ("sap", 0.10, -0.20),
    ("scoreforce", 0.04, -0.60),
)
INTEGRABLE_TOOLS = frozenset({"hubspot", "salesforce", "pipedrive", "wordpress", "segment"})

#: Account events: yearly rate per account (scaled by company size), the days their effect on
#: conversion lasts and the log-odds effect while it lasts. tech_added only counts for tools
#: the vendor integrates with.
ACCOUNT_EVENT_RATES = {
    "hiring": 1.2,
    "hiring_sales": 0.5,
    "funding": 0.12,
    "layoff": 0.08,
    "tech_added": 0.30,
    "tech_removed": 0.15,
    "press": 0.8,
}
ACCOUNT_EVENT_EFFECTS = {
    "hiring": (60, 0.10),
    "hiring_sales": (60, 0.45),
    "funding": (120, 0.55),
    "layoff": (180, -1.0),
    "tech_added": (60, 0.45),
}

LEAD_SOURCES = (
    "organic_search",
    "paid_search",
    "paid_social",
    "linkedin",
    "referral",
    "event",
    "webinar",
    "content_syndication",
    "newsletter",
    "list_import",
    "direct",
)
LEAD_SOURCE_SHARES = (0.22, 0.14, 0.08, 0.09, 0.06, 0.06, 0.07, 0.07, 0.08, 0.06, 0.07)
LEAD_SOURCE_EFFECT = np.array([0.1, 0.0, -0.2, 0.1, 0.5, 0.3, 0.2, -0.2, -0.1, -0.7, 0.2])

#: Daily log-odds of converting, per open stage, before fit and account effects.
STAGE_HAZARD_LOGIT = {
    "b2b": np.array([-11.0, -9.2, -7.2, -4.6]),
    "b2c": np.array([-11.0, -9.0, -7.0, -4.4]),
}
#: Daily transition probabilities between open stages (rows: from, cols: to), for a lead of
#: average need. Moves up the funnel scale with the lead's need (see ``generator``).
STAGE_TRANSITIONS = np.array(
    [
        [0.0, 0.006, 0.0, 0.0],
        [0.030, 0.0, 0.010, 0.0],
        [0.010, 0.040, 0.0, 0.025],
        [0.020, 0.0, 0.050, 0.0],
    ]
)
UPWARD = np.triu(np.ones((4, 4), dtype=bool), k=1)
#: Stage on the day a lead is created (new leads arrive with some intent) and on the first
#: simulated day for leads created before the simulated period.
STAGE_AT_CREATION = np.array([0.35, 0.40, 0.20, 0.05])
STAGE_AT_START = np.array([0.80, 0.15, 0.04, 0.01])

#: Page categories a web session visits, by stage (rows: 4 open stages + converted).
PAGE_MIX = {
    "b2b": (
        (
            "home",
            "blog",
            "product",
            "pricing",
            "integrations",
            "case_studies",
            "docs",
            "careers",
            "contact",
            "about",
        ),
        np.array(
            [
                [0.37, 0.40, 0.10, 0.01, 0.02, 0.02, 0.03, 0.005, 0.00, 0.045],
                [0.27, 0.36, 0.18, 0.03, 0.04, 0.05, 0.03, 0.005, 0.00, 0.035],
                [0.12, 0.16, 0.27, 0.12, 0.10, 0.10, 0.07, 0.005, 0.02, 0.035],
                [0.06, 0.04, 0.22, 0.34, 0.10, 0.07, 0.04, 0.005, 0.10, 0.025],
                [0.15, 0.12, 0.20, 0.05, 0.06, 0.02, 0.36, 0.005, 0.02, 0.015],
            ]
        ),
    ),
    "b2c": (
        (
            "home",
            "blog",
            "product",
            "pricing",
            "configurator",
            "route_planner",
            "financing",
            "careers",
            "contact",
            "about",
        ),
        np.array(
            [
                [0.42, 0.32, 0.15, 0.01, 0.02, 0.01, 0.02, 0.005, 0.00, 0.045],
                [0.30, 0.24, 0.25, 0.04, 0.06, 0.01, 0.04, 0.005, 0.01, 0.045],
                [0.12, 0.10, 0.30, 0.12, 0.15, 0.05, 0.10, 0.005, 0.02, 0.035],
                [0.05, 0.02, 0.18, 0.18, 0.20, 0.16, 0.12, 0.005, 0.07, 0.015],
                [0.30, 0.30, 0.20, 0.03, 0.03, 0.02, 0.05, 0.005, 0.03, 0.035],
            ]
        ),
    ),
}
#: Multipliers on page categories per persona (job seekers read careers pages, competitors
#: study pricing and docs); categories not named keep weight 1.
PAGE_PERSONA_BIAS = {
    "job_seeker": {"careers": 150.0, "about": 3.0},
    "competitor": {"pricing": 3.0, "docs": 3.0, "integrations": 2.0, "product": 1.5},
    "student": {"blog": 2.5, "pricing": 0.4},
    "internal": {"docs": 2.0},
}
#: Web sessions per day by stage (4 open stages + converted); pages per session is
#: 1 + Poisson(PAGES_PER_SESSION[stage]).
SESSIONS_PER_DAY = np.array([0.02, 0.08, 0.22, 0.50, 0.10])
PAGES_PER_SESSION = np.array([1.0, 1.5, 2.2, 3.0, 1.5])

#: Other actions: event type, detail values and daily rate per stage (4 open + converted).
ACTIONS = {
    "b2b": (
        ("form_submit", ("newsletter_signup",), (0.0005, 0.004, 0.002, 0.001, 0.0)),
        ("form_submit", ("contact", "quote_request"), (0.0, 0.0002, 0.003, 0.022, 0.002)),
        (
            "content_download",
            (
                "whitepaper-lead-scoring-guide",
                "ebook-marketing-automation",
                "case-study-industry",
                "checklist-gdpr",
                "report-state-of-b2b",
            ),
            (0.0008, 0.010, 0.030, 0.018, 0.002),
        ),
        (
            "webinar_registered",
            ("webinar-scoring-101", "webinar-abm-playbook", "webinar-roi"),
            (0.0004, 0.006, 0.010, 0.008, 0.002),
        ),
        (
            "chat_started",
            ("pricing_question", "product_question", "support"),
            (0.0001, 0.001, 0.006, 0.020, 0.010),
        ),
        ("trial_signup", ("free_trial",), (0.0, 0.0002, 0.003, 0.012, 0.0)),
        ("demo_request", ("demo",), (0.0, 0.0002, 0.002, 0.016, 0.0)),
        (
            "social_engagement",
            ("connection_accepted", "profile_visit", "follow_back", "post_like"),
            (0.002, 0.010, 0.020, 0.020, 0.006),
        ),
    ),
    "b2c": (
        ("form_submit", ("newsletter_signup",), (0.0008, 0.006, 0.002, 0.001, 0.0)),
        ("form_submit", ("model_enquiry", "quote_request"), (0.0, 0.0004, 0.004, 0.025, 0.002)),
        (
            "content_download",
            ("brochure-city", "brochure-family", "price-list"),
            (0.0008, 0.008, 0.025, 0.015, 0.001),
        ),
        ("webinar_registered", ("launch-event",), (0.0002, 0.002, 0.003, 0.003, 0.001)),
        (
            "chat_started",
            ("financing_question", "model_question"),
            (0.0001, 0.001, 0.005, 0.020, 0.006),
        ),
        ("demo_request", ("test_drive",), (0.0, 0.0003, 0.003, 0.022, 0.0)),
        (
            "social_engagement",
            ("follow", "post_like", "comment"),
            (0.002, 0.008, 0.012, 0.012, 0.004),
        ),
    ),
}
#: Multipliers on action rates per persona (by event type); unnamed types keep 1.
ACTION_PERSONA_BIAS = {
    "student": {"content_download": 3.0, "demo_request": 0.1, "form_submit": 0.5},
    "job_seeker": {
        "social_engagement": 3.0,
        "content_download": 0.3,
        "demo_request": 0.05,
        "trial_signup": 0.1,
        "chat_started": 0.3,
    },
    "competitor": {
        "trial_signup": 4.0,
        "content_download": 2.0,
        "demo_request": 0.5,
        "webinar_registered": 2.0,
    },
    "internal": {"trial_signup": 3.0},
}
WEBINAR_ATTENDANCE = np.array([0.25, 0.35, 0.5, 0.65, 0.5])

#: E-mail campaigns: one goes out every CAMPAIGN_EVERY_DAYS days to a share of the reachable
#: leads. Open probability, extra re-opens and click-through by stage (4 open + converted).
CAMPAIGN_EVERY_DAYS = 7
CAMPAIGN_REACH = 0.85
CAMPAIGN_THEMES = ("newsletter", "webinar-invite", "product-update", "case-study", "offer")
OPEN_RATE = np.array([0.10, 0.24, 0.36, 0.50, 0.30])
REOPEN_RATE = np.array([0.15, 0.3, 0.6, 1.6, 0.3])
CLICK_RATE = np.array([0.06, 0.14, 0.28, 0.42, 0.15])
UNSUBSCRIBE_RATE = np.array([0.005, 0.002, 0.001, 0.0005, 0.001])
INVALID_EMAIL_SHARE = 0.025

#: Lead-level hidden noise so that no model can be perfect.
LEAD_NOISE_SD = 0.5
ACCOUNT_NOISE_SD = 0.5
#: How much a lead's need (fit) speeds up moves up the funnel: rate * exp(NEED_SLOPE * need).
NEED_SLOPE = 0.35
