"""Input checks the estimators share."""

import numpy as np
import scipy.sparse as sp


def checked_sparse(X):
    """A CSR or CSC ``X`` whose arrays the compiled kernels (and scipy's conversions)
    may read through raw pointers: C-contiguous (copied when not), every stored index
    inside the matrix and the index pointers consistent. A malformed matrix raises
    ``ValueError``: the kernels do not check indices, and one out of range would write
    outside their arrays. Other input is returned unchanged.
    """
    if not (sp.issparse(X) and X.format in ("csr", "csc")):
        return X
    arrays = (X.data, X.indices, X.indptr)
    if not all(a.flags.c_contiguous for a in arrays):
        X = type(X)(tuple(np.ascontiguousarray(a) for a in arrays), shape=X.shape)
    major, minor = X.shape if X.format == "csr" else X.shape[::-1]
    ptr = X.indptr
    if (ptr.size != major + 1 or ptr[0] != 0 or ptr[-1] > min(X.indices.size, X.data.size)
            or np.any(ptr[1:] < ptr[:-1])):
        raise ValueError("X is a malformed sparse matrix: its indptr is not a "
                         "non-decreasing sequence from 0 to at most the number of stored "
                         "entries (see scipy's check_format).")
    stored = X.indices[:ptr[-1]]
    if stored.size and (stored.min() < 0 or stored.max() >= minor):
        raise ValueError(f"X is a malformed sparse matrix: it stores indices outside "
                         f"[0, {minor}) (see scipy's check_format).")
    return X


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


def class_weight_vector(class_weight, classes, counts, *, partial: bool) -> np.ndarray:
    """The weight of each class in ``classes`` (``counts``: rows per class, e.g.
    ``np.bincount`` of the rows' class indices; a distributed fit reduces it over the
    chunks).

    ``"balanced"`` is scikit-learn's ``n / (n_classes * count)``
    (``compute_class_weight``) over the classes present (absent ones weigh 1); a dict
    maps classes to weights, 1 for those not named. A key that is not a class, or a
    weight that is negative or not finite, raises ``ValueError`` (as scikit-learn),
    rather than being ignored or surfacing later as a misleading divergence.
    """
    if class_weight == "balanced":
        if partial:
            raise ValueError("class_weight='balanced' is not supported by partial_fit; "
                             "pass a dict of weights computed on the whole data.")
        counts = np.asarray(counts)
        present = np.flatnonzero(counts)
        cw = np.ones(len(classes))
        cw[present] = counts.sum() / (present.size * counts[present].astype(np.float64))
        return cw
    known = set(np.asarray(classes).tolist())
    unknown = [k for k in class_weight if k not in known]
    if unknown:
        raise ValueError(f"class_weight names {unknown}, which are not classes of y "
                         f"(classes: {sorted(known)}).")
    cw = np.array([class_weight.get(c, 1.0) for c in np.asarray(classes).tolist()],
                  dtype=float)
    if not np.all(np.isfinite(cw)) or np.any(cw < 0):
        raise ValueError(f"class_weight must be finite and non-negative, got {class_weight}.")
    return cw
