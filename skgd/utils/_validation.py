"""Input checks the estimators share."""

import scipy.sparse as sp


def canonical_csr(X):
    """``X`` as a CSR matrix with sorted column indices and no column repeated within
    a row (repeats summed), which the compiled kernels assume; a matrix that is not in
    that form is copied first, so the caller's matrix is never modified. Dense input
    is returned unchanged."""
    if not sp.issparse(X):
        return X
    X = sp.csr_matrix(X)
    if not X.has_canonical_format:
        X = X.copy()
        X.sum_duplicates()
    return X
