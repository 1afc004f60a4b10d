"""Adam and AdamW."""

import math

from numba import njit

from ._base import DECAY, OPTIMIZERS, POSITIVE, Optimizer


@njit(inline="always")
def adam_step(g, m, v, lr, b1, b2, eps, r1, r2):
    """Adam's moments and step of one coordinate: ``(delta, eta, m, v)``."""
    one = type(b1)(1.0)  # 1 in the arithmetic's dtype (float32 stays float32)
    m = b1 * m + (one - b1) * g
    v = b2 * v + (one - b2) * (g * g)
    eta = lr / (math.sqrt(v * r2) + eps)
    return eta * (m * r1), eta, m, v


class _AdamBase(Optimizer):
    slots = ("m", "v")
    _parameter_constraints = {"beta_1": [DECAY], "beta_2": [DECAY], "epsilon": [POSITIVE]}
    param_dtype_arithmetic = True

    def __init__(self, beta_1: float = 0.9, beta_2: float = 0.999, epsilon: float = 1e-8):
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon

    @staticmethod
    def prepare(lr, t, beta_1, beta_2, epsilon):
        # bias corrections of the zero-initialised moments (Kingma & Ba, Algorithm 1), as
        # reciprocals so that the loop multiplies instead of dividing
        r"""The constants of one update call, computed once per update instead of per
        coordinate: the hyperparameters and the reciprocal bias corrections
        :math:`1/(1-\beta_1^t)`, :math:`1/(1-\beta_2^t)`.

        Parameters
        ----------
        lr : float
            The scheduled learning rate :math:`\eta_t`.
        t : float
            The 1-based update count.
        beta_1 : float
            Decay of the first moment.
        beta_2 : float
            Decay of the second moment.
        epsilon : float
            The stabilising epsilon.

        Returns
        -------
        constants : tuple of float
            The arguments that follow the state slots in :meth:`update`.
        """
        return lr, beta_1, beta_2, epsilon, 1.0 / (1.0 - beta_1**t), 1.0 / (1.0 - beta_2**t)


@OPTIMIZERS.register
class Adam(_AdamBase):
    r"""Adam.

    .. math::
        m \leftarrow \beta_1 m + (1-\beta_1) g,\quad
        v \leftarrow \beta_2 v + (1-\beta_2) g^2,\quad
        w \leftarrow w - \eta_t \frac{m/(1-\beta_1^t)}{\sqrt{v/(1-\beta_2^t)}+\epsilon}

    A penalty's proximal step uses the per-coordinate step
    :math:`\eta_t/(\sqrt{\hat v}+\epsilon)`, so L1 gives exact zeros.

    Parameters
    ----------
    beta_1, beta_2 : float, default=0.9, 0.999
        Decay rates of the first and second moment estimates, in [0, 1).
    epsilon : float, default=1e-8
        Added to the denominator for numerical stability.

    References
    ----------
    Kingma & Ba (2015), "Adam: a method for stochastic optimization", ICLR.

    Examples
    --------
    >>> import numpy as np
    >>> from skgd.linear_model import LinearRegression
    >>> from skgd.solver import Adam
    >>> X = np.random.RandomState(0).normal(size=(100, 2))
    >>> y = X @ np.array([1.0, -1.0]) + 0.5
    >>> reg = LinearRegression(solver=Adam(beta_1=0.9, beta_2=0.999), learning_rate="constant",
    ...                        learning_rate_init=0.05, alpha=0.0, random_state=0).fit(X, y)
    >>> np.round(reg.coef_, 2), np.round(reg.intercept_, 2)
    (array([ 1., -1.]), array([0.5]))
    """

    name = "adam"

    @staticmethod
    def update(g, m, v, lr, b1, b2, eps, r1, r2):
        return adam_step(g, m, v, lr, b1, b2, eps, r1, r2)


@OPTIMIZERS.register
class AdamW(_AdamBase):
    r"""Adam with decoupled weight decay.

    The Adam update of :class:`Adam`; the penalty (``alpha``, on the penalised weights
    only) is applied as a proximal step with the scheduled learning rate
    :math:`\eta_t` instead of Adam's per-coordinate step, i.e. decoupled from the
    gradient scaling: for ``penalty="l2"``, :math:`w \leftarrow w/(1+\eta_t\alpha)`.
    ``alpha`` plays the role of AdamW's weight-decay coefficient.

    Parameters
    ----------
    beta_1, beta_2 : float, default=0.9, 0.999
        Decay rates of the moment estimates, in [0, 1).
    epsilon : float, default=1e-8
        Added to the denominator for numerical stability.

    References
    ----------
    Loshchilov & Hutter (2019), "Decoupled weight decay regularization", ICLR.

    Examples
    --------
    >>> import numpy as np
    >>> from skgd.linear_model import LinearRegression
    >>> from skgd.solver import AdamW
    >>> X = np.random.RandomState(0).normal(size=(100, 2))
    >>> y = X @ np.array([1.0, -1.0]) + 0.5
    >>> reg = LinearRegression(solver=AdamW(), learning_rate="constant",
    ...                        learning_rate_init=0.05, alpha=0.0, random_state=0).fit(X, y)
    >>> np.round(reg.coef_, 2), np.round(reg.intercept_, 2)
    (array([ 1., -1.]), array([0.5]))
    """

    name = "adamw"

    @staticmethod
    def update(g, m, v, lr, b1, b2, eps, r1, r2):
        delta, eta, m, v = adam_step(g, m, v, lr, b1, b2, eps, r1, r2)
        # decoupled: the penalty's proximal step uses the scheduled rate, not eta
        return delta, lr, m, v
