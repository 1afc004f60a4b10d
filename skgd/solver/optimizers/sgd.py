"""Plain stochastic gradient descent."""

from ._base import OPTIMIZERS, PLAIN_STEP, RULE, Optimizer


@OPTIMIZERS.register
class SGD(Optimizer):
    r"""Plain gradient descent: :math:`w \leftarrow w - \eta_t g`.

    References
    ----------
    Robbins & Monro (1951), "A stochastic approximation method".

    Examples
    --------
    >>> import numpy as np
    >>> from skgd.linear_model import LinearRegression
    >>> from skgd.solver import SGD
    >>> SGD.update(2.0, 0.1, 1)  # (delta, step): w moves by -0.1 * 2
    (0.2, 0.1)
    >>> X = np.random.RandomState(0).normal(size=(100, 2))
    >>> y = X @ np.array([1.0, -1.0]) + 0.5
    >>> reg = LinearRegression(solver=SGD(), learning_rate="constant",
    ...                        learning_rate_init=0.05, alpha=0.0, random_state=0).fit(X, y)
    >>> np.round(reg.coef_, 2), np.round(reg.intercept_, 2)
    (array([ 1., -1.]), array([0.5]))
    """

    name = "sgd"
    capabilities = frozenset({RULE, PLAIN_STEP})

    @staticmethod
    def update(g, lr, t):
        return lr * g, lr
