"""Multi-layer perceptrons fitted by the shared solver."""

from ._activations import ACTIVATIONS, Activation
from ._classifier import MLPClassifier
from ._objective import MLPObjective, MLPSpec
from ._regressor import MLPRegressor

__all__ = ["MLPClassifier", "MLPRegressor", "MLPObjective", "MLPSpec", "ACTIVATIONS", "Activation"]
