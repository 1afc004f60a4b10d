"""The solver's table of epoch paths: which compiled epoch runs a fit.

Components declare capabilities (``Optimizer.capabilities``,
``Regularizer.capabilities``); an objective declares the compiled per-sample epochs
it implements (``Objective.sample_kernels``). For ``batch_size=1`` the solver takes
the first entry of :data:`SAMPLE_KERNELS` that the objective implements and whose
requirements the optimizer and penalty meet; otherwise it runs the generic mini-batch
loop with batches of one row (any optimizer, any penalty with a proximal operator),
unless the objective can only be trained by its kernels, in which case the error
names the missing capability. Objectives never look at the optimizer themselves.

Entries marked ``threaded`` are the multi-threaded forms of the entry that follows
them: the solver takes them only when the fit's epochs are split into more than one
block (:func:`fit_threads`), and then before their one-thread form.
"""

from __future__ import annotations

from dataclasses import dataclass

from ._capabilities import ELASTIC_NET, L2_OR_NONE, NO_PENALTY, PLAIN_STEP, PROX, RULE

__all__ = ["SampleKernel", "SAMPLE_KERNELS", "select_sample_kernel", "penalty_capabilities",
           "fit_threads", "ThreadPlan"]


@dataclass(frozen=True)
class SampleKernel:
    """One compiled per-sample epoch and what it requires.

    Attributes
    ----------
    name : str
        The objective runs it in ``Objective.sample_epoch`` when ``ctx.kernel`` is
        this name.
    optimizer, penalty : frozenset of str
        Capabilities the optimizer and the penalty must declare.
    summary : str
        What the kernel does, for errors and docs.
    """

    name: str
    optimizer: frozenset[str]
    penalty: frozenset[str]
    summary: str
    #: whether the kernel keeps the iterate average itself (``average``)
    averages: bool = False
    #: whether the kernel applies a :class:`~skgd.solver.ProximalTerm` (none does yet)
    proximal: bool = False
    #: whether the kernel runs on several threads (``SampleContext.threads``)
    threaded: bool = False

    def missing(self, optimizer_caps, penalty_caps, averaging: bool = False,
                proximal: bool = False) -> list[str]:
        """The requirements not met, as readable phrases."""
        out = [f"an optimizer with capability {c!r}" for c in sorted(self.optimizer)
               if c not in optimizer_caps]
        out += [f"a penalty with capability {c!r}" for c in sorted(self.penalty)
                if c not in penalty_caps]
        if averaging and not self.averages:
            out.append("average=False (it does not average the iterates)")
        if proximal and not self.proximal:
            out.append("no proximal term (it does not apply FedProx's proximal_mu)")
        return out


#: the per-sample kernels, fastest first
SAMPLE_KERNELS: tuple[SampleKernel, ...] = (
    SampleKernel("wscale_sgd", frozenset({PLAIN_STEP}), frozenset({L2_OR_NONE}),
                 "linear models: plain SGD with the L2 step as one scale factor"),
    SampleKernel("pair_sgd_threads", frozenset({PLAIN_STEP}), frozenset({NO_PENALTY}),
                 "biased MF: pair_sgd on several threads (Hogwild or DSGD strata)",
                 threaded=True),
    SampleKernel("pair_sgd", frozenset({PLAIN_STEP}), frozenset({NO_PENALTY}),
                 "biased MF: plain SGD fused over the user and item rows"),
    SampleKernel("svdpp_sgd", frozenset({PLAIN_STEP}), frozenset({NO_PENALTY}),
                 "SVD++: plain SGD with the implicit-feedback sums kept per user"),
    SampleKernel("lazy_rule_threads", frozenset({RULE}), frozenset({NO_PENALTY}),
                 "factorization models: lazy_rule on several threads (Hogwild or "
                 "DSGD strata)", threaded=True),
    SampleKernel("lazy_rule", frozenset({RULE}), frozenset({ELASTIC_NET}),
                 "any compiled update rule, row-wise (lazy) elastic-net penalty"),
)


def select_sample_kernel(objective, optimizer, penalty_caps, batch_size: int, *,
                         averaging: bool = False, proximal: bool = False,
                         threads: int = 1) -> str | None:
    """The name of the per-sample kernel for this fit, or None for the generic loop;
    a ``threaded`` entry only when ``threads`` (:attr:`ThreadPlan.blocks`) > 1.

    Raises
    ------
    ValueError
        When the objective can only be trained by its kernels (``batch_size`` 1 and
        a kernel whose requirements are met); the message names what is missing.
    """
    offered = getattr(objective, "sample_kernels", frozenset())
    opt_caps = optimizer.capabilities
    candidates = [k for k in SAMPLE_KERNELS if k.name in offered
                  and (threads > 1 or not k.threaded)]
    if batch_size == 1:
        for kernel in candidates:
            if not kernel.missing(opt_caps, penalty_caps, averaging, proximal):
                return kernel.name
    if not getattr(objective, "requires_sample_kernel", False):
        return None
    what = getattr(objective, "kernel_only_reason", type(objective).__name__)
    if batch_size != 1:
        raise ValueError(f"{what} is trained only by compiled per-sample kernels: "
                         f"use batch_size=1 (got {batch_size}).")
    needs = "; or ".join(f"{k.name} ({k.summary}) needs " + " and ".join(
        k.missing(opt_caps, penalty_caps, averaging, proximal)) for k in candidates)
    raise ValueError(f"{what} is trained only by compiled per-sample kernels, and none "
                     f"accepts solver={optimizer.name!r}: {needs}.")


def penalty_capabilities(cfg) -> frozenset[str]:
    """The penalty's capabilities in this fit: with ``alpha = 0`` there is no penalty,
    whatever its kind."""
    if not cfg.alpha:
        return frozenset({PROX, ELASTIC_NET, L2_OR_NONE, NO_PENALTY})
    return frozenset(cfg.penalty.capabilities)


@dataclass(frozen=True)
class ThreadPlan:
    """How a threaded epoch splits and runs.

    Attributes
    ----------
    blocks : int
        :math:`T`, the blocks per round the epoch is cut into (1: no threaded epoch).
    workers : int
        Threads that run them (at most ``blocks``; 1: the blocks run one after the
        other in the calling thread, no parallel launch).
    deterministic : bool
        The reproducible schedule (blocks of a round share no parameter), whose
        result depends on ``blocks`` only, not on ``workers``.
    """

    blocks: int = 1
    workers: int = 1
    deterministic: bool = False


def fit_threads(cfg) -> ThreadPlan:
    """The threads of this fit, resolved in the calling thread: ``cfg.n_jobs``
    threads within the caller's budget where a launch is safe
    (:func:`skgd._lowlevel.threads.n_threads`). Hogwild cuts an epoch into one
    block per thread; the deterministic schedule into ``n_jobs`` blocks whatever the
    threads granted, so that its result does not depend on the machine."""
    from .._lowlevel.threads import n_threads, requested_threads

    workers = n_threads(cfg.n_jobs)
    if not cfg.deterministic_threads:
        return ThreadPlan(workers, workers, False)
    blocks = requested_threads(cfg.n_jobs)
    return ThreadPlan(blocks, min(workers, blocks), True)
