"""One BLAS thread for the MLP tests: the products are small, and two threads fighting
over two shared cores were measured several times slower here."""

import pytest
from threadpoolctl import threadpool_limits


@pytest.fixture(autouse=True)
def _one_blas_thread():
    with threadpool_limits(1):
        yield
