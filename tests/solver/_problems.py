"""Small objectives for solver tests."""

import numpy as np

from skgd.solver import Objective, ParamLayout


class LeastSquares(Objective):
    """F(w) = mean_i ½ (a_i·w - b_i)², no penalised intercept (all coordinates penalised)."""

    def __init__(self, A, b, dtype=np.float64):
        self.A = np.asarray(A, dtype=dtype)
        self.b = np.asarray(b, dtype=np.float64)
        self.n_samples = self.A.shape[0]
        self.dtype = np.dtype(dtype)
        self.layout = ParamLayout({"w": (self.A.shape[1],)})

    def init_params(self, random_state):
        return np.zeros(self.layout.size, dtype=self.dtype)

    def value_grad(self, w, idx=None, rng=None):
        A = self.A if idx is None else self.A[idx]
        b = self.b if idx is None else self.b[idx]
        r = A @ w - b
        return 0.5 * float(r @ r) / len(b), A.T @ r / len(b)

    def hessp(self, w, v):
        return self.A.T @ (self.A @ v) / self.n_samples

    def solution(self, l2=0.0):
        n, d = self.A.shape
        return np.linalg.solve(self.A.T @ self.A / n + l2 * np.eye(d), self.A.T @ self.b / n)


def quadratic(d=5, cond=1.0, n=200, seed=0):
    """A least-squares problem whose Hessian has condition number ``cond``."""
    rng = np.random.RandomState(seed)
    Q, _ = np.linalg.qr(rng.randn(d, d))
    scales = np.sqrt(np.geomspace(1.0, cond, d))
    A = rng.randn(n, d)
    A = (A - A.mean(0)) / A.std(0)
    A = A @ np.diag(scales) @ Q.T
    w_true = rng.randn(d)
    return LeastSquares(A, A @ w_true + 0.1 * rng.randn(n))
