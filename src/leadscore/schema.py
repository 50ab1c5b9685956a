"""The columns of the tables leadscore builds: training tables, scoring tables, test scores.

A training table has one row per (lead, cutoff): the keys :data:`LEAD_ID`, :data:`ACCOUNT_ID`
and :data:`CUTOFF`, the outcome :data:`LABEL` (1 when the lead converted within the horizon
after the cutoff), then the features. A scoring table has the same columns without the label.
Everything that reads or writes these tables names the columns through this module, so a name
is spelled once. The columns of the user's exports are the data contract's
(:mod:`leadscore.contract`); the two id columns carry the same names there.

This module imports nothing from leadscore: any layer may use it.

Examples
--------
>>> NON_FEATURES
('lead_id', 'account_id', 'cutoff', 'label')
>>> [column for column in ("lead_id", "n_actions_7d") if column not in NON_FEATURES]
['n_actions_7d']
"""

from __future__ import annotations

#: The lead a row describes (``leads.lead_id`` of the data contract).
LEAD_ID = "lead_id"
#: The lead's company (``leads.account_id``); empty for leads without one.
ACCOUNT_ID = "account_id"
#: The point in time the row's features describe: a midnight, UTC.
CUTOFF = "cutoff"
#: 1 when the lead converted within the horizon after the cutoff, else 0 (training tables).
LABEL = "label"
#: The row's identity: which lead, which company, as of when.
KEYS = (LEAD_ID, ACCOUNT_ID, CUTOFF)
#: The columns of a training table before its features, in order; none of them is a feature.
NON_FEATURES = (*KEYS, LABEL)
