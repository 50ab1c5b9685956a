"""Models and what sits beside them.

The estimators (hand-set points, learned points, the binning scorecard, LightGBM), their
comparison and the leakage audit; explanations (grouped SHAP), reasons in words and drift
monitoring, which read the fitted models; the model bundle, MLflow tracking and batch scoring.
"""
