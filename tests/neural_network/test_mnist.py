"""MNIST test set: the loader and the 20-epoch accuracy of the defaults."""

import numpy as np
import pytest
from threadpoolctl import threadpool_limits

from skgd.datasets import load_mnist
from skgd.neural_network import MLPClassifier


def test_load_mnist_missing_folder(tmp_path):
    with pytest.raises(FileNotFoundError, match="mnist-t10k"):
        load_mnist(tmp_path)


def test_load_mnist(shared_data):
    if not (shared_data / "mnist-t10k").is_dir():
        pytest.skip("mnist-t10k not in the shared data folder")
    mnist = load_mnist(shared_data)
    assert mnist.data.shape == (10000, 784) and mnist.data.dtype == np.uint8
    assert mnist.images.shape == (10000, 28, 28)
    assert set(np.unique(mnist.target)) == set(range(10))
    assert mnist.target[:5].tolist() == [7, 2, 1, 0, 4]


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize("dtype", [np.float32])
def test_mnist_accuracy_after_20_epochs(shared_data, dtype):
    if not (shared_data / "mnist-t10k").is_dir():
        pytest.skip("mnist-t10k not in the shared data folder")
    mnist = load_mnist(shared_data)
    X = (mnist.data / 255.0).astype(dtype)
    clf = MLPClassifier(max_iter=20, random_state=0)
    with threadpool_limits(1):
        clf.fit(X[:8000], mnist.target[:8000])
    assert clf.n_iter_ == 20
    assert clf.score(X[8000:], mnist.target[8000:]) >= 0.95
