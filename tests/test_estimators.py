"""scikit-learn's estimator checks, for the estimators that take any table.

``PointsModel`` and ``LearnedPointsModel`` read named feature columns of leadscore's tables (a
points sheet names them), so the generic checks on random arrays do not apply to them; their
conventions (``get_params``, ``clone``, fitted attributes) are tested in their own modules.
"""

from __future__ import annotations

from sklearn.utils.estimator_checks import parametrize_with_checks

from leadscore.modeling.binning import Binner
from leadscore.modeling.scorecard import BinningScorecard
from leadscore.modeling.train import LightGBMModel

ESTIMATORS = [Binner(), BinningScorecard(), LightGBMModel(n_estimators=50)]


@parametrize_with_checks(ESTIMATORS)
def test_sklearn_conventions(estimator, check) -> None:
    check(estimator)
