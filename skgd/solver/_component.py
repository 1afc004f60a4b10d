"""Base class of the configurable solver components.

Components (optimizers, schedules, regularizers) hold hyperparameters only; their
mutable state lives in values the solver returns. Deriving from scikit-learn's
``BaseEstimator`` gives them ``get_params``/``set_params``/``clone`` so that nested
parameters such as ``solver__beta_1`` can be grid-searched.
"""

from sklearn.base import BaseEstimator


class Component(BaseEstimator):
    """Hyperparameters of a solver component (no state)."""

    name: str = ""
