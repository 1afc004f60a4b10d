"""The fastmath flag sets of skgd's kernels (one definition each).

``nnan``/``ninf`` are never set: NaN and inf must propagate so that the solver still
detects divergence.
"""

#: reassociation lets LLVM vectorise reductions (dot products, norms); ``contract``
#: fuses multiply-adds, ``nsz`` ignores the sign of zero
FAST = {"reassoc", "contract", "nsz"}

#: :data:`FAST` without reassociation: for loops whose order of summation must not
#: change (the sparse ``wscale`` rows, where a reordered gather is no faster)
FAST_ORDERED = {"contract", "nsz"}

#: :data:`FAST` plus reciprocal approximation of divisions by a loop invariant
#: (``arcp``): the factorization kernels divide by the same weight sum per group
FAST_ARCP = {"reassoc", "contract", "nsz", "arcp"}
