"""HistoryDisplay draws the curves of history_ (Agg backend)."""

import warnings

import numpy as np
import pytest
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")

from skgd import LogisticRegression  # noqa: E402
from skgd.plot import HistoryDisplay  # noqa: E402


@pytest.fixture(scope="module")
def fits():
    X, y = load_digits(return_X_y=True)
    X = X / 16.0
    out = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        for solver in ("sgd", "adam"):
            out.append(LogisticRegression(solver=solver, batch_size=32, max_iter=8,
                                          learning_rate_init=0.01, early_stopping=True,
                                          tol=None, random_state=0).fit(X, y))
    return out


def test_lines_carry_the_history(fits):
    disp = HistoryDisplay.from_estimator(fits[0], metrics=["train_loss", "val_score"])
    loss_line, score_line = disp.ax_[0].get_lines()[0], disp.ax_[1].get_lines()[0]
    h = fits[0].history_
    np.testing.assert_array_equal(loss_line.get_xdata(), [r["epoch"] for r in h])
    np.testing.assert_allclose(loss_line.get_ydata(), [r["train_loss"] for r in h])
    np.testing.assert_allclose(score_line.get_ydata(), fits[0].validation_scores_)
    assert disp.figure_ is disp.ax_[0].figure


def test_several_estimators_share_the_panels(fits, tmp_path):
    disp = HistoryDisplay.from_estimators(fits, names=["sgd", "adam"])
    assert [a.get_ylabel() for a in disp.ax_] == [
        "training loss", "validation loss", "validation score", "learning rate",
        "gradient norm"]
    assert all(len(a.get_lines()) == 2 for a in disp.ax_)
    assert [t.get_text() for t in disp.ax_[0].get_legend().get_texts()] == ["sgd", "adam"]
    disp.figure_.savefig(tmp_path / "history.png")
    assert (tmp_path / "history.png").stat().st_size > 10_000


def test_bad_arguments(fits):
    with pytest.raises(ValueError, match="unknown metrics"):
        HistoryDisplay.from_estimator(fits[0], metrics=["accuracy"])
    with pytest.raises(ValueError, match="names"):
        HistoryDisplay.from_estimators(fits, names=["one"])
