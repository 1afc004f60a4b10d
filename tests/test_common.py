"""scikit-learn's estimator checks on every estimator and several solver configurations.

The only failures allowed are the two sample-weight repetition checks for stochastic
configurations (mini-batch or per-sample): they compare weighted and repeated fits to
1e-7, which a stochastic pass over different rows cannot meet (scikit-learn exempts its
own SGD estimators, meta-issue #16298). Full-batch configurations must pass them;
``tests/linear_model/test_sample_weight.py`` checks the stochastic ones statistically.
"""

from sklearn.utils.estimator_checks import parametrize_with_checks

from skgd import LinearRegression, LogisticRegression

STOCHASTIC_EXEMPT = {
    "check_sample_weight_equivalence_on_dense_data":
        "stochastic updates: weighted and repeated rows agree only statistically",
    "check_sample_weight_equivalence_on_sparse_data":
        "stochastic updates: weighted and repeated rows agree only statistically",
}


def _configs(cls, l1_extra):
    return [
        cls(),
        # plain SGD's stable step depends on the feature scale and some checks use
        # features around 100: roll back and halve the step instead of raising
        cls(solver="sgd", batch_size=1, learning_rate="constant", learning_rate_init=0.01,
            divergence="backoff"),
        cls(solver="adam", batch_size=32, learning_rate="constant", learning_rate_init=0.01),
        cls(solver="lbfgs", tol=1e-10, max_iter=1000),
        cls(solver="newton", tol=1e-10, max_iter=200),
        cls(penalty="l1", **l1_extra),
        # solver="auto" resolves to FISTA
        cls(penalty="l1", batch_size="full", tol=1e-12, max_iter=20000),
    ]


# Per-sample SGD with Bottou's schedule and L1 reaches 0.84-0.86 instead of 0.87 in
# check_class_weight_classifiers (3 classes weighted 1000 : 1e-4 : 1e-4): the first
# steps are huge for the heavy class. Adagrad's bounded steps pass; the default
# solver with L1 is covered by our own tests.
ESTIMATORS = [
    *_configs(LinearRegression, {}),
    *_configs(LogisticRegression, {"solver": "adagrad", "learning_rate": "constant",
                                   "learning_rate_init": 0.1}),
]


def _expected_failures(estimator):
    if getattr(estimator, "batch_size", "full") == "full" or getattr(
            estimator, "solver", None) in ("lbfgs", "newton"):
        return {}
    return STOCHASTIC_EXEMPT


@parametrize_with_checks(ESTIMATORS, expected_failed_checks=_expected_failures)
def test_sklearn_compatible(estimator, check):
    check(estimator)
