"""Data drift between the training period and a scoring date: population stability index.

At training time the distribution of the model's most important features is recorded on the
training rows (:class:`DriftReference`: quantile bins for numbers, frequent values for
categories, a bin for missing values). At scoring time the same bins are filled with the scored
leads and compared::

    PSI = sum over bins of (scored share - training share) * ln(scored share / training share)

Usual reading: below 0.1 stable, 0.1-0.25 a moderate shift, above 0.25 a major shift. When a
top feature shifts that much, the model learned on a different population: retrain.

Examples
--------
>>> import numpy as np
>>> population_stability(np.array([0.5, 0.5]), np.array([0.5, 0.5]))
0.0
>>> round(population_stability(np.array([0.5, 0.5]), np.array([0.9, 0.1])), 3)
0.879
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from leadscore.modeling.binning import Binner

#: PSI from which a shift is moderate, and major (retraining advisable).
MODERATE, MAJOR = 0.1, 0.25
_FLOOR = 1e-4  # an empty bin would make the logarithm infinite


def population_stability(expected: np.ndarray, actual: np.ndarray) -> float:
    """PSI of two distributions over the same bins (shares; empty bins floored)."""
    expected = np.maximum(np.asarray(expected, dtype=float), _FLOOR)
    actual = np.maximum(np.asarray(actual, dtype=float), _FLOOR)
    return float(np.sum((actual - expected) * np.log(actual / expected)))


def _shares(codes: pd.Series, n_codes: int) -> np.ndarray:
    counts = np.bincount(codes.to_numpy(), minlength=n_codes)
    return counts / max(counts.sum(), 1)


@dataclass
class DriftReference:
    """Bins and training shares of features; drift is watched on ``watched`` (default: all).

    The other features' bins serve to say where a lead stands among the training leads
    (flat-table reasons: "top 10 % of leads").
    """

    binner: Binner
    shares: dict[str, np.ndarray]
    watched: list[str] | None = None

    @classmethod
    def fit(
        cls, X: pd.DataFrame, features: list[str], also: list[str] | None = None
    ) -> DriftReference:
        """Record the distribution of ``features`` (watched) and ``also`` on the rows ``X``."""
        every = [*features, *(f for f in also or [] if f not in features)]
        binner = Binner(max_bins=10, min_bin_share=0.01).fit(X[every])
        codes = binner.transform(X[every])
        shares = {f: _shares(codes[f], binner.n_codes(f)) for f in every}
        return cls(binner, shares, list(features) if also else None)

    def compare(self, X: pd.DataFrame) -> pd.DataFrame:
        """PSI of each watched feature in ``X``, largest first, with its reading."""
        features = list(self.shares) if self.watched is None else list(self.watched)
        codes = self.binner.transform(X[list(self.shares)])
        rows = []
        for name in features:
            psi = population_stability(
                self.shares[name], _shares(codes[name], self.binner.n_codes(name))
            )
            status = "major shift" if psi >= MAJOR else "moderate" if psi >= MODERATE else "stable"
            rows.append({"feature": name, "psi": round(psi, 4), "status": status})
        return pd.DataFrame(rows).sort_values("psi", ascending=False, ignore_index=True)


def retrain_advice(drift: pd.DataFrame) -> str:
    """One sentence for operators from a :meth:`DriftReference.compare` table."""
    major = drift.loc[drift["psi"] >= MAJOR, "feature"].tolist()
    if major:
        return (
            f"Retraining is advisable: {', '.join(major)} shifted strongly (PSI ≥ {MAJOR}) "
            "since the training period."
        )
    moderate = drift.loc[drift["psi"] >= MODERATE, "feature"].tolist()
    if moderate:
        return (
            f"Watch {', '.join(moderate)}: a moderate shift (PSI ≥ {MODERATE}); no retraining yet."
        )
    return "The top features look like the training period (all PSI < 0.1)."
