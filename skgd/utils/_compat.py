"""The one place where scikit-learn private API is imported.

scikit-learn does not promise stability for these names; keeping them here means a
scikit-learn upgrade touches one file.
"""

from sklearn.utils._param_validation import (  # noqa: F401
    HasMethods,
    Hidden,
    Interval,
    InvalidParameterError,
    StrOptions,
    validate_params,
)
from sklearn.utils.validation import (  # noqa: F401
    _check_feature_names,
    _check_n_features,
    _check_sample_weight,
    _num_samples,
)

__all__ = [
    "HasMethods",
    "Hidden",
    "Interval",
    "InvalidParameterError",
    "StrOptions",
    "validate_params",
    "_check_sample_weight",
    "_check_feature_names",
    "_check_n_features",
    "_num_samples",
]
