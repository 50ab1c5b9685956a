"""The feature catalogue: every feature's name, group and meaning, in one list.

Later stages use it for explanations ("Visited the pricing page 3 times in the last 7 days")
and reports; the SQL that computes behavioural features is generated from the same entries.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import pandas as pd

Group = Literal["fit", "engagement", "account", "negative"]
Kind = Literal["numeric", "categorical"]


@dataclass(frozen=True)
class Feature:
    """One feature column of the training and scoring tables.

    Parameters
    ----------
    name : str
        Column name.
    group : {"fit", "engagement", "account", "negative"}
        Explicit fit, behavioural engagement, company/account signals, or negative signals.
    description : str
        Plain-language meaning, used in reports and explanations.
    kind : {"numeric", "categorical"}
        Categorical features hold text labels (a fixed vocabulary), numeric ones numbers
        (missing means "unknown" or "never", as the description says).
    family : str
        Features that tell the same story (all pricing-page windows) share a family, so
        explanations can group them into one reason.
    sql : str, optional
        For behavioural features: the SQL expression that computes it from the running
        totals (see :mod:`leadscore.features.behaviour`).
    """

    name: str
    group: Group
    description: str
    kind: Kind = "numeric"
    family: str = ""
    sql: str | None = None


def catalogue_frame(features: list[Feature]) -> pd.DataFrame:
    """The catalogue as a table: name, group, kind, family, description."""
    return pd.DataFrame(
        [
            {
                "name": f.name,
                "group": f.group,
                "kind": f.kind,
                "family": f.family or f.name,
                "description": f.description,
            }
            for f in features
        ]
    )
