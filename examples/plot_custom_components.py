"""
Custom components: an optimizer, a loss, a penalty and a schedule
=================================================================

Each component is one class.

Each component below is written in plain numerical Python -- no pointers, no kernels --
and registered by name. After this module is imported, every estimator accepts them
on every path it has (per-sample, mini-batch and full batch; the MLPs; the
recommender where the component applies)::

    LinearRegression(solver="lion", learning_rate="linear_warmup")
    LinearRegression(loss=Pinball(quantile=0.9))
    LinearRegression(penalty=NonNegative(), batch_size="full")
    MLPClassifier(solver="lion"), MatrixFactorization(solver="lion")

skgd compiles the scalar functions with numba the first time they are used and keeps
the result in its on-disk cache, so the next process starts fast.

Run it as a script for a short demonstration: ``python examples/plot_custom_components.py``
(the test suite imports this file to register the four components).
"""

import numpy as np

from skgd.losses import LOSSES, Loss
from skgd.solver import OPTIMIZERS, REGULARIZERS, SCHEDULES, Optimizer, Regularizer, Schedule
from skgd.solver.optimizers import DECAY


class Lion(Optimizer):
    r"""Lion: the sign of an interpolated momentum.

    .. math::
        c = \beta_1 m + (1-\beta_1) g,\quad
        w \leftarrow w - \eta_t\, \mathrm{sign}(c),\quad
        m \leftarrow \beta_2 m + (1-\beta_2) g

    Every coordinate moves by exactly :math:`\eta_t` (or not at all), so Lion wants a
    smaller step than Adam. A penalty's proximal step uses :math:`\eta_t` (decoupled,
    as Lion's weight decay).

    Parameters
    ----------
    beta_1 : float, default=0.9
        Interpolation weight of the update direction, in [0, 1).
    beta_2 : float, default=0.99
        Decay of the momentum, in [0, 1).

    References
    ----------
    Chen et al. (2023), "Symbolic discovery of optimization algorithms", NeurIPS.
    """

    name = "lion"
    slots = ("m",)
    _parameter_constraints = {"beta_1": [DECAY], "beta_2": [DECAY]}

    def __init__(self, beta_1=0.9, beta_2=0.99):
        self.beta_1 = beta_1
        self.beta_2 = beta_2

    @staticmethod
    def update(g, m, lr, t, beta_1, beta_2):
        c = beta_1 * m + (1.0 - beta_1) * g
        m = beta_2 * m + (1.0 - beta_2) * g
        return lr * np.sign(c), lr, m


class Pinball(Loss):
    r"""Pinball (quantile) loss: :math:`L = \max(q\,r, (q-1)\,r)`, :math:`r = y - p`.

    Its minimiser over constant predictions is the :math:`q`-quantile of the targets,
    so a linear model fitted with it predicts conditional quantiles.

    Parameters
    ----------
    quantile : float, default=0.5
        The quantile :math:`q \in (0, 1)`.

    References
    ----------
    Koenker & Bassett (1978), "Regression quantiles", Econometrica 46.
    """

    name = "pinball"
    smooth = False

    def __init__(self, quantile=0.5):
        self.quantile = quantile

    @staticmethod
    def point(y, p, quantile):
        r = y - p
        if r > 0:
            return quantile * r, -quantile
        if r < 0:
            return (quantile - 1.0) * r, 1.0 - quantile
        return 0.0, 0.0


class NonNegative(Regularizer):
    r"""The constraint :math:`w \ge 0` on the penalised weights, as a projection.

    :math:`R(w) = 0` on the feasible set; its proximal operator is
    :math:`\max(w, 0)`, whatever the step. ``alpha`` only needs to be positive (it
    switches the penalty on; the projection does not scale with it).
    """

    name = "nonnegative"

    @staticmethod
    def penalty(w):
        return 0.0

    @staticmethod
    def prox(w, threshold):
        return max(w, 0.0)


class LinearWarmup(Schedule):
    r"""A linear ramp to ``learning_rate_init`` over the first epochs, then constant:
    :math:`\eta_t = \eta_0 \min(1, (t+1)/(E\,n_b))` with :math:`E` warm-up epochs of
    :math:`n_b` updates.

    Parameters
    ----------
    warmup_epochs : float, default=5
        :math:`E`.
    """

    name = "linear_warmup"

    def __init__(self, warmup_epochs=5):
        self.warmup_epochs = warmup_epochs

    def rates(self, t, ctx):
        ramp = (t + 1.0) / max(self.warmup_epochs * ctx.steps_per_epoch, 1.0)
        return ctx.lr0 * np.minimum(1.0, ramp)


def register():
    """Register the four components (once; importing this module does it)."""
    for registry, cls in ((OPTIMIZERS, Lion), (LOSSES, Pinball),
                          (REGULARIZERS, NonNegative), (SCHEDULES, LinearWarmup)):
        if cls.name not in registry:
            registry.register(cls)


register()


# %%
# The components at work
# ----------------------
# A quantile regression (pinball loss, q = 0.1, 0.5, 0.9) trained by Lion with the
# warm-up schedule, on every batch size; then non-negative least squares as a
# projected full-batch gradient method, checked against ``scipy.optimize.nnls``.
if __name__ == "__main__":
    import matplotlib.pyplot as plt
    from scipy.optimize import nnls
    from sklearn.datasets import load_diabetes
    from sklearn.preprocessing import StandardScaler

    from skgd import LinearRegression

    X, y = load_diabetes(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    y = (y - y.mean()) / y.std()
    for batch_size in (1, 32, "full"):
        m = LinearRegression(loss=Pinball(quantile=0.9), solver="lion",
                             learning_rate="linear_warmup", learning_rate_init=0.01,
                             batch_size=batch_size, max_iter=200, tol=None,
                             random_state=0).fit(X, y)
        below = np.mean(y < m.predict(X))
        print(f"pinball q=0.9, lion, batch_size={batch_size!r}: "
              f"{below:.3f} of the targets below the prediction")
    m = LinearRegression(penalty=NonNegative(), solver="sgd", learning_rate="constant",
                         learning_rate_init=0.5, batch_size="full", fit_intercept=False,
                         max_iter=5000, tol=None).fit(X, y)
    print("non-negative least squares: max |w - nnls| =",
          float(np.abs(m.coef_ - nnls(X, y)[0]).max()))

    # conditional quantiles along the body-mass-index feature (column 2)
    bmi = X[:, [2]]
    grid = np.linspace(bmi.min(), bmi.max(), 50)[:, None]
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 4))
    ax1.scatter(bmi, y, s=6, color="0.6")
    for q in (0.1, 0.5, 0.9):
        mq = LinearRegression(loss=Pinball(quantile=q), solver="lion",
                              learning_rate="linear_warmup", learning_rate_init=0.01,
                              batch_size=32, max_iter=100, tol=None,
                              random_state=0).fit(bmi, y)
        ax1.plot(grid, mq.predict(grid), label=f"q = {q}")
    ax1.set(xlabel="body mass index (scaled)", ylabel="disease progression (scaled)",
            title="pinball loss + Lion + linear warm-up")
    ax1.legend()
    width = 0.4
    idx = np.arange(X.shape[1])
    ax2.bar(idx - width / 2, m.coef_, width, label="skgd, NonNegative penalty")
    ax2.bar(idx + width / 2, nnls(X, y)[0], width, label="scipy nnls")
    ax2.set(xlabel="feature", ylabel="coefficient", title="non-negative least squares")
    ax2.legend()
    fig.tight_layout()
    plt.show()
