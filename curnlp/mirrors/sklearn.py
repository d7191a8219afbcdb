"""scikit-learn's in-place L2 normalization of CSR rows, without the per-call validation.

The incident finder normalizes one small tf-idf matrix per bucket of messages, many
thousands per archive; ``sklearn.preprocessing.normalize`` validates its input on every
call (``check_array``), then calls the private Cython helper
``sklearn.utils.sparsefuncs_fast.inplace_csr_row_normalize_l2``. :func:`normalize_rows_l2`
calls that helper directly with the scikit-learn releases of :data:`MIRRORS`, and the
public ``normalize(..., copy=False)`` (the same arithmetic, in place) with any other.

>>> import numpy as np, scipy.sparse as sp
>>> m = normalize_rows_l2(sp.csr_matrix(np.array([[3.0, 4.0], [0.0, 0.0]])))
>>> m.toarray().tolist()
[[0.6, 0.8], [0.0, 0.0]]
"""
from __future__ import annotations

from . import supported

__all__ = ["MIRRORS", "SUPPORTED", "normalize_rows_l2", "library_normalize_rows_l2"]

#: The scikit-learn releases whose private helper :func:`normalize_rows_l2` calls.
MIRRORS = {"scikit-learn": ("1.9.",)}
SUPPORTED = supported("scikit-learn", MIRRORS)
_inplace_l2 = None
if SUPPORTED:
    try:
        from sklearn.utils.sparsefuncs_fast import inplace_csr_row_normalize_l2 as _inplace_l2
    except ImportError:  # the private helper moved
        SUPPORTED = False


def normalize_rows_l2(matrix):
    """Scale every row of a CSR ``matrix`` (float32 or float64 data) to unit L2 norm, in place
    (rows of zeros stay zero); returns ``matrix``."""
    if SUPPORTED:
        _inplace_l2(matrix)
        return matrix
    return library_normalize_rows_l2(matrix)


def library_normalize_rows_l2(matrix):
    """``sklearn.preprocessing.normalize(matrix, copy=False)``: the public call, in place for
    CSR float matrices (the values are copied back should it ever return another object)."""
    from sklearn.preprocessing import normalize

    out = normalize(matrix, norm="l2", copy=False)
    if out is not matrix:
        matrix.data[...] = out.data
    return matrix
