"""Federated learning: :class:`FederatedAveraging` (FedAvg and FedProx) over any skgd
estimator, each ``groups`` label a client holding its own rows."""

from ._fedavg import FederatedAveraging

__all__ = ["FederatedAveraging"]
