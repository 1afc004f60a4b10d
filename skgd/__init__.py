"""skgd: scikit-learn estimators trained by gradient descent on one shared solver.

Estimators are imported lazily so that ``import skgd`` stays cheap (the compiled
kernels load with the subpackage that uses them).
"""

from importlib import import_module

__version__ = "0.1.0.dev0"

_ESTIMATORS = {
    "LinearRegression": "skgd.linear_model",
    "LogisticRegression": "skgd.linear_model",
    "MLPClassifier": "skgd.neural_network",
    "MLPRegressor": "skgd.neural_network",
    "MatrixFactorization": "skgd.recommender",
}

__all__ = sorted(_ESTIMATORS)


def __getattr__(name):
    if name in _ESTIMATORS:
        return getattr(import_module(_ESTIMATORS[name]), name)
    raise AttributeError(f"module 'skgd' has no attribute {name!r}")


def __dir__():
    return sorted(list(globals()) + list(_ESTIMATORS))
