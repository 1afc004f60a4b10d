"""The problem a model hands to the solver.

An :class:`Objective` is a model, a loss and the training data. The solver sees one
flat parameter vector ``w``; the model sees named blocks of it through
:class:`ParamLayout`. The objective owns the sample weighting: it minimises

.. math:: F(w) = \\frac{\\sum_i s_i L(y_i, f_w(x_i))}{\\sum_i s_i}

and reports a mini-batch ``B`` as :math:`\\frac{1}{|B|}\\sum_{i\\in B} \\tilde s_i L_i`
with :math:`\\tilde s_i = s_i / \\bar s` (weights rescaled to mean one), an unbiased
estimate of :math:`F` whose full-batch value is exactly :math:`F`. The penalty is not
part of the objective: the solver's regularizer adds it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

__all__ = ["Objective", "ParamLayout", "SparseGrad"]


@dataclass
class ParamLayout:
    """Named blocks of the flat parameter vector.

    Parameters
    ----------
    shapes : dict of str to tuple
        Block name -> shape, in storage order.
    penalized : dict of str to bool
        Whether the penalty applies to a block (intercepts and biases: no).

    Examples
    --------
    >>> import numpy as np
    >>> from skgd.solver import ParamLayout
    >>> layout = ParamLayout({"coef": (2, 3), "intercept": (3,)}, penalized={"intercept": False})
    >>> layout.size, layout.penalized_ranges()
    (9, array([[0, 6]]))
    >>> layout.view(np.arange(9.0), "intercept")
    array([6., 7., 8.])
    """

    shapes: dict[str, tuple[int, ...]]
    penalized: dict[str, bool] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.slices: dict[str, slice] = {}
        start = 0
        for name, shape in self.shapes.items():
            size = int(np.prod(shape, dtype=np.int64))
            self.slices[name] = slice(start, start + size)
            start += size
        self.size = start

    def view(self, w: np.ndarray, name: str) -> np.ndarray:
        """The block ``name`` of ``w`` as an array of its shape (a view, no copy).

        Parameters
        ----------
        w : ndarray of shape (size,)
            The flat parameter vector.
        name : str
            A block name of :attr:`shapes`.

        Returns
        -------
        block : ndarray
            The view of shape ``shapes[name]``.
        """
        return w[self.slices[name]].reshape(self.shapes[name])

    def unpack(self, w: np.ndarray) -> dict[str, np.ndarray]:
        """All blocks of ``w`` as views.

        Parameters
        ----------
        w : ndarray of shape (size,)
            The flat parameter vector.

        Returns
        -------
        blocks : dict of str to ndarray
            Block name -> view.
        """
        return {name: self.view(w, name) for name in self.shapes}

    def penalized_ranges(self) -> np.ndarray:
        """The penalised blocks as an ``(r, 2)`` int64 array of ``[start, stop)``."""
        rows = [(sl.start, sl.stop) for name, sl in self.slices.items()
                if self.penalized.get(name, True) and sl.stop > sl.start]
        return np.array(rows, dtype=np.int64).reshape(-1, 2)

    def mask(self) -> np.ndarray:
        """Boolean mask of the penalised coordinates."""
        m = np.zeros(self.size, dtype=bool)
        for name, sl in self.slices.items():
            m[sl] = self.penalized.get(name, True)
        return m


@dataclass
class SparseGrad:
    """A gradient that touches only some coordinates (row-wise, lazy updates).

    Parameters
    ----------
    idx : ndarray of int
        Unique coordinates of the flat parameter vector.
    values : ndarray
        The gradient at those coordinates (same length as ``idx``).

    Examples
    --------
    >>> import numpy as np
    >>> from skgd.solver import SparseGrad
    >>> g = SparseGrad(idx=np.array([0, 4]), values=np.array([0.5, -1.0]))
    >>> dense = np.zeros(6)
    >>> dense[g.idx] = g.values
    >>> dense
    array([ 0.5,  0. ,  0. ,  0. , -1. ,  0. ])
    """

    idx: np.ndarray
    values: np.ndarray


class Objective:
    """Base class of training objectives.

    Subclasses set ``n_samples`` (rows the solver batches over), ``layout``
    (a :class:`ParamLayout`) and ``dtype``, and implement :meth:`init_params` and
    :meth:`value_grad`. Optional capabilities:

    - :meth:`value` (evaluation mode, e.g. no dropout) — defaults to ``value_grad``;
    - :meth:`hessp` — Hessian-vector products, for ``solver="newton"``;
    - :meth:`sample_epoch` — compiled per-sample (``batch_size=1``) epochs: list the
      kernels of :data:`skgd.solver._paths.SAMPLE_KERNELS` it implements in
      ``sample_kernels`` (the solver picks one by the components' capabilities and
      names it in ``ctx.kernel``); ``requires_sample_kernel = True`` when the model
      has no mini-batch gradient;
    - :meth:`get_buffers` / :meth:`set_buffers` — model state that is not trained by
      gradients (batch-norm running statistics), snapshotted with the best weights;
    - ``smooth`` — False when the loss is not differentiable (L-BFGS/Newton refuse it);
    - ``random_gradient`` — True when even the full-batch gradient is random (dropout,
      sampled negatives): a full-batch first-order fit then keeps the loss-plateau
      rule instead of the optimality certificate (:mod:`skgd.solver._certificate`);
    - :meth:`init_statistics` — sample-weighted means over the rows that
      :meth:`init_params` derives its starting point from (a distributed objective
      reduces them over its chunks and passes them to ``init_params``);
    - ``full_batch_only`` — True when only full batches can be evaluated efficiently
      (data held in chunks by dask workers): the solver refuses mini-batches;
    - :attr:`model` — the objective the estimator reads its fitted attributes from.

    Examples
    --------
    >>> import numpy as np
    >>> from skgd.solver import Objective, ParamLayout, SolverConfig, minimize
    >>> class LeastSquares(Objective):
    ...     # F(w) = mean_i (a_i . w - b_i)^2 / 2, unpenalised
    ...     def __init__(self, A, b):
    ...         self.A, self.b, self.n_samples = A, b, len(b)
    ...         self.layout = ParamLayout({"w": (A.shape[1],)})
    ...     def init_params(self, random_state, statistics=None):
    ...         return np.zeros(self.layout.size)
    ...     def value_grad(self, w, idx=None, rng=None):
    ...         A, b = (self.A, self.b) if idx is None else (self.A[idx], self.b[idx])
    ...         r = A @ w - b
    ...         return 0.5 * np.mean(r**2), A.T @ r / len(b)
    >>> A = np.random.RandomState(0).normal(size=(100, 2))
    >>> objective = LeastSquares(A, A @ np.array([2.0, -1.0]))
    >>> objective.n_samples, objective.layout.size
    (100, 2)
    >>> loss, grad = objective.value_grad(np.zeros(2))
    >>> round(loss, 3), grad.shape
    (np.float64(2.665), (2,))
    >>> result = minimize(objective, SolverConfig(batch_size="full", learning_rate_init=0.5))
    >>> np.round(result.w, 2)
    array([ 2., -1.])
    """

    n_samples: int
    layout: ParamLayout
    dtype: np.dtype = np.dtype(np.float64)
    smooth: bool = True
    random_gradient: bool = False
    sample_kernels: frozenset[str] = frozenset()
    requires_sample_kernel: bool = False
    #: per-sample loss derivative at a typical margin, for Bottou's "optimal" schedule
    typical_dloss: float = 1.0
    full_batch_only: bool = False

    def init_params(self, random_state: np.random.RandomState,
                    statistics: tuple[np.ndarray, int] | None = None) -> np.ndarray:
        """Initial flat parameter vector of length ``layout.size`` and dtype ``dtype``.

        ``statistics`` is ``(means, n_samples)``: :meth:`init_statistics` averaged over
        all rows of the data and their number, when the rows are not this object's
        (a distributed fit); None uses the objective's own rows.

        Parameters
        ----------
        random_state : numpy.random.RandomState
            Draws random initial weights.
        statistics : tuple of (ndarray, int) or None, default=None
            ``(means, n_samples)`` over all rows of a distributed fit.

        Returns
        -------
        w0 : ndarray of shape (layout.size,)
            The starting point.
        """
        raise NotImplementedError

    def init_statistics(self) -> np.ndarray | None:
        """Sample-weighted means over the rows of what :meth:`init_params` starts
        from (e.g. the mean target for the intercept), or None when it uses none."""
        return None

    @property
    def model(self) -> Objective:
        """The objective describing the model (layout, blocks, buffers) that the
        estimator stores its fitted attributes from: itself, or a distributed
        objective's local template."""
        return self

    def value_grad(
        self, w: np.ndarray, idx: np.ndarray | None = None, rng: Any = None
    ) -> tuple[float, np.ndarray | SparseGrad]:
        r"""Training-mode loss and gradient on rows ``idx`` (all rows if None).

        The loss is :math:`\frac{1}{|B|}\sum_{i\in B}\tilde s_i L_i`; the gradient is
        with respect to ``w`` (dense array of ``w``'s length, or :class:`SparseGrad`).

        Parameters
        ----------
        w : ndarray of shape (layout.size,)
            The flat parameter vector.
        idx : ndarray of int or None, default=None
            Rows of the batch; None = all rows.
        rng : numpy.random.RandomState or None, default=None
            Drives stochastic layers (dropout) and negative sampling.

        Returns
        -------
        loss : float
            The batch loss.
        grad : ndarray of shape (layout.size,) or SparseGrad
            Its gradient.
        """
        raise NotImplementedError

    def value(self, w: np.ndarray, idx: np.ndarray | None = None) -> float:
        """Evaluation-mode loss on rows ``idx`` (all rows if None).

        Parameters
        ----------
        w : ndarray of shape (layout.size,)
            The flat parameter vector.
        idx : ndarray of int or None, default=None
            Rows of the batch; None = all rows.

        Returns
        -------
        loss : float
            The loss without stochastic layers (no dropout, running batch-norm statistics).
        """
        return float(self.value_grad(w, idx)[0])

    @property
    def has_hessp(self) -> bool:
        """Whether :meth:`hessp` is implemented (``solver="newton"`` needs it)."""
        return type(self).hessp is not Objective.hessp

    def hessp(self, w: np.ndarray, v: np.ndarray) -> np.ndarray:
        r"""Full-batch Hessian-vector product :math:`\nabla^2 F(w)\, v`.

        Parameters
        ----------
        w : ndarray of shape (layout.size,)
            The flat parameter vector.
        v : ndarray of shape (layout.size,)
            The direction.

        Returns
        -------
        hv : ndarray of shape (layout.size,)
            :math:`\nabla^2 F(w)\, v`.
        """
        raise NotImplementedError(f"{type(self).__name__} has no Hessian-vector product")

    def sample_epoch(self, w, opt_state, order, ctx) -> tuple[float, float]:
        """One compiled pass of per-sample updates over rows ``order`` with the kernel
        ``ctx.kernel`` (one of :attr:`sample_kernels`, chosen by the solver).

        Parameters
        ----------
        w : ndarray of shape (layout.size,)
            The parameters, updated in place.
        opt_state : ndarray
            The optimizer state, updated in place.
        order : ndarray of int
            The rows in visiting order.
        ctx : skgd.solver._epoch.SampleContext
            The epoch's rule, rates, penalty and kernel name.

        Returns
        -------
        loss : float
            The mean loss of the epoch.
        grad_norm : float
            The mean gradient norm.
        """
        raise NotImplementedError

    def get_buffers(self) -> dict[str, np.ndarray]:
        """Non-trainable model state (copied with the best weights).

        Returns
        -------
        buffers : dict of str to ndarray
            E.g. batch-norm running statistics; empty by default.
        """
        return {}

    def set_buffers(self, buffers: dict[str, np.ndarray]) -> None:
        """Restore what :meth:`get_buffers` returned.

        Parameters
        ----------
        buffers : dict of str to ndarray
            A snapshot from :meth:`get_buffers`.
        """
