"""Defaults the command line shows, in a module that imports nothing heavy.

``leadscore --help`` and option errors read them without importing pandas, scikit-learn or
MLflow; the modules that use them import them from here (one source each).

Examples
--------
>>> from leadscore import defaults
>>> defaults.MIN_CLASS_ROWS, defaults.LEAKAGE_THRESHOLD, defaults.MAX_ORPHAN_SHARE
(40, 0.9, 0.1)
"""

#: Fewest converted and fewest not converted rows a flat table must have (Dynamics 365's 40).
MIN_CLASS_ROWS = 40
#: Single-column held-out ROC AUC from which a column is flagged as a likely leak.
LEAKAGE_THRESHOLD = 0.9
#: Share of orphan rows (pointing at unknown leads/accounts) above which the file is rejected:
#: so many orphans mean a wrong or mismatched export rather than a few stray rows.
MAX_ORPHAN_SHARE = 0.10
