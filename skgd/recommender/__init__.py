"""Recommenders fitted by the shared gradient-descent solver."""

from ._mf import MatrixFactorization

__all__ = ["MatrixFactorization"]
