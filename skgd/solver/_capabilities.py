"""Capability flags: what a component declares and the solver selects paths by.

A component lists them in its ``capabilities``; :mod:`skgd.solver._paths` maps them to
the compiled epochs, and an estimator refuses a combination that no path can run
with an error that names the missing flag.
"""

# -- optimizers --
#: a per-coordinate update compiled into a rule (every first-order optimizer)
RULE = "rule"
#: the update is plain gradient descent, ``w <- w - lr * g`` with no state (selects
#: the inlined SGD kernels)
PLAIN_STEP = "plain_step"
#: runs its own full-batch iteration (L-BFGS, Newton)
FULL_BATCH = "full_batch"
#: needs Hessian-vector products of the objective (Newton)
SECOND_ORDER = "second_order"
#: a full-batch proximal-gradient method (FISTA): minimises the smooth part with its
#: own line search and applies the penalty through its proximal operator, so it
#: accepts non-smooth penalties (L1) that L-BFGS and Newton refuse
PROX_GRADIENT = "prox_gradient"

# -- penalties --
#: a proximal operator (every penalty has one)
PROX = "prox"
#: an elastic-net family member, known to the kernels by its coefficients (l1, l2):
#: lazy per-sample penalties and a fused L2 step
ELASTIC_NET = "elastic_net"
#: no L1 part (plain L2 or none): the ``wscale`` SGD kernels apply it as a scale factor
L2_OR_NONE = "l2_or_none"
#: no penalty at all
NO_PENALTY = "no_penalty"
#: differentiable (L-BFGS and Newton add its gradient)
SMOOTH = "smooth"
