"""Linear models fitted by the shared gradient-descent solver."""

from ._linear import LinearRegression
from ._logistic import LogisticRegression

__all__ = ["LinearRegression", "LogisticRegression"]
