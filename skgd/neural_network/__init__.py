"""Multi-layer perceptrons fitted by the shared solver."""

from ._activations import ACTIVATIONS, Activation
from ._classifier import MLPClassifier
from ._objective import MLPObjective
from ._regressor import MLPRegressor

__all__ = ["MLPClassifier", "MLPRegressor", "MLPObjective", "ACTIVATIONS", "Activation"]
