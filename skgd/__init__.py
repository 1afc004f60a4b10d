"""skgd: scikit-learn estimators trained by gradient descent on one shared solver."""

from .linear_model import LinearRegression, LogisticRegression

__version__ = "0.1.0.dev0"

__all__ = ["LinearRegression", "LogisticRegression"]
