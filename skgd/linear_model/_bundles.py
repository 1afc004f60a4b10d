"""Named bundles of the per-sample kernels' arguments (``collections.namedtuple``: numba
takes them as arguments and unpacks them for free).

The Python side (:class:`~skgd.linear_model._objective.LinearObjective`) builds the
array bundles once per epoch; the epoch kernels turn them into bundles of raw pointers
and scalars (``_kernels``, ``_wscale``) for the per-row helpers, which numba then does
not reference-count.
"""

from collections import namedtuple

#: the samples of an epoch: targets, weights and the visiting order (int64)
Samples = namedtuple("Samples", "y sw order")
#: a CSR matrix's arrays and its number of columns
CSR = namedtuple("CSR", "data indices indptr n_features")
#: the model's shape: ``K`` outputs, whether the intercepts follow the coefficients
Shape = namedtuple("Shape", "K fit_intercept")
#: the loss's compiled kernel, its parameters and its ``kernel_code``
LossFn = namedtuple("LossFn", "fn params code")
#: the optimizer's compiled rule, its hyperparameters and its state
Rule = namedtuple("Rule", "fn hp state")
#: the epoch's learning rates, the step count before it, their running sums (``cum``,
#: one longer than ``lrs``) and the clipping threshold (0: off)
Schedule = namedtuple("Schedule", "lrs t0 cum max_norm")
#: the elastic-net penalty and the per-coordinate effective steps and step ratios
Penalty = namedtuple("Penalty", "l1 l2 step ratio")
#: the plain-SGD steps of the ``wscale`` kernels: learning rates of the epoch, the L2
#: strength and the clipping threshold (0: off)
L2Schedule = namedtuple("L2Schedule", "lrs l2 max_norm")
