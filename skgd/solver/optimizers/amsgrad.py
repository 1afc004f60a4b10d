"""AMSGrad."""

import math

from ._base import DECAY, OPTIMIZERS, POSITIVE, Optimizer


@OPTIMIZERS.register
class AMSGrad(Optimizer):
    r"""AMSGrad: Adam with a non-increasing second moment.

    .. math::
        \hat v_{\max} \leftarrow \max(\hat v_{\max}, v),\quad
        w \leftarrow w - \eta_t \frac{m/(1-\beta_1^t)}{\sqrt{\hat v_{\max}/(1-\beta_2^t)}
        +\epsilon}

    Parameters
    ----------
    beta_1, beta_2 : float, default=0.9, 0.999
        Decay rates of the moment estimates, in [0, 1).
    epsilon : float, default=1e-8
        Added to the denominator for numerical stability.

    References
    ----------
    Reddi, Kale & Kumar (2018), "On the convergence of Adam and beyond", ICLR.

    Examples
    --------
    >>> import numpy as np
    >>> from skgd.linear_model import LinearRegression
    >>> from skgd.solver import AMSGrad
    >>> X = np.random.RandomState(0).normal(size=(100, 2))
    >>> y = X @ np.array([1.0, -1.0]) + 0.5
    >>> reg = LinearRegression(solver=AMSGrad(), learning_rate="constant",
    ...                        learning_rate_init=0.05, alpha=0.0, random_state=0).fit(X, y)
    >>> np.round(reg.coef_, 2), np.round(reg.intercept_, 2)
    (array([ 1., -1.]), array([0.5]))
    """

    name = "amsgrad"
    slots = ("m", "v", "v_max")
    _parameter_constraints = {"beta_1": [DECAY], "beta_2": [DECAY], "epsilon": [POSITIVE]}

    def __init__(self, beta_1: float = 0.9, beta_2: float = 0.999, epsilon: float = 1e-8):
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon

    @staticmethod
    def prepare(lr, t, beta_1, beta_2, epsilon):
        # bias corrections of the zero-initialised moments, once per update
        r"""The constants of one update call, computed once per update instead of per
        coordinate: the hyperparameters and the bias corrections
        :math:`1-\beta_1^t`, :math:`1-\beta_2^t`.

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
        return lr, beta_1, beta_2, epsilon, 1.0 - beta_1**t, 1.0 - beta_2**t

    @staticmethod
    def update(g, m, v, v_max, lr, b1, b2, eps, c1, c2):
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        # the running maximum keeps the effective step non-increasing
        v_max = max(v_max, v)
        eta = lr / (math.sqrt(v_max / c2) + eps)
        return eta * m / c1, eta, m, v, v_max
