"""The estimators inside scikit-learn's model-selection tools, with joblib workers."""

import numpy as np
from sklearn.datasets import make_classification, make_regression
from sklearn.model_selection import GridSearchCV, cross_validate
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skgd import LinearRegression, LogisticRegression
from skgd.solver import Adam


def test_grid_search_parallel_over_solver_schedule_batch_and_nested_param():
    X, y = make_classification(300, 8, random_state=0)
    pipe = make_pipeline(StandardScaler(), LogisticRegression(max_iter=20, random_state=0))
    grid = GridSearchCV(pipe, [
        {"logisticregression__solver": ["sgd"],
         "logisticregression__learning_rate": ["optimal", "invscaling"],
         "logisticregression__batch_size": [1, 32]},
        {"logisticregression__solver": [Adam()],
         "logisticregression__solver__beta_1": [0.8, 0.9],
         "logisticregression__learning_rate": ["constant", "cosine"]},
    ], cv=3, n_jobs=2)
    grid.fit(X, y)
    assert len(grid.cv_results_["params"]) == 8
    assert grid.best_score_ > 0.8
    best = grid.best_estimator_[-1]
    assert np.all(np.isfinite(best.coef_))


def test_cross_validate_parallel():
    X, y = make_regression(200, 5, noise=1.0, random_state=0)
    res = cross_validate(LinearRegression(random_state=0), X, y, cv=4, n_jobs=2)
    assert np.all(res["test_score"] > 0.9)
