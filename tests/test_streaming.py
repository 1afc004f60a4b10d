"""Out-of-core training: ``skgd.streaming.iter_chunks`` reads bounded chunks from CSV,
parquet, lists of paths or iterables; ``stream_partial_fit`` feeds them to
``partial_fit`` and must equal the same calls made by hand."""

import numpy as np
import pytest

from skgd import LinearRegression, LogisticRegression, MatrixFactorization
from skgd.neural_network import MLPClassifier, MLPRegressor
from skgd.streaming import iter_chunks, stream_partial_fit

pd = pytest.importorskip("pandas")


@pytest.fixture
def pq():
    """pyarrow.parquet (the 'outofcore' extra); parquet tests skip without it."""
    return pytest.importorskip("pyarrow.parquet")


FEATURES = ["f0", "f1", "f2"]


def _table(df):
    import pyarrow as pa

    return pa.Table.from_pandas(df)


def _frame(n=250, seed=0, classify=False):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 3))
    z = X @ np.array([1.0, -2.0, 0.5]) + 0.1 * rng.normal(size=n)
    df = pd.DataFrame(X, columns=FEATURES)
    df["y"] = (z > 0).astype(int) if classify else z
    df["w"] = rng.integers(1, 4, size=n).astype(float)
    return df


def _array_chunks(n_chunks=3, n=80, seed=0, classify=False, dtype=np.float64):
    out = []
    for k in range(n_chunks):
        df = _frame(n, seed + k, classify)
        out.append((df[FEATURES].to_numpy(dtype=dtype), df["y"].to_numpy()))
    return out


def _sgd_linear():
    return LinearRegression(solver="sgd", batch_size=16, learning_rate="constant",
                            learning_rate_init=0.01, random_state=0)


def _sgd_logistic():
    return LogisticRegression(solver="sgd", batch_size=16, learning_rate_init=0.05,
                              alpha=1e-4, random_state=0)


def _assert_same_linear(a, b):
    np.testing.assert_array_equal(a.coef_, b.coef_)
    np.testing.assert_array_equal(a.intercept_, b.intercept_)
    assert a.t_ == b.t_


# ---------------------------------------------------------------- reading chunks


def test_csv_chunks_are_bounded_and_complete(tmp_path):
    df = _frame(250)
    path = tmp_path / "data.csv"
    df.to_csv(path, index=False)
    chunks = list(iter_chunks(path, target="y", columns=FEATURES, chunksize=100))
    assert [len(c[1]) for c in chunks] == [100, 100, 50]
    assert all(len(c) == 2 for c in chunks)
    X = np.vstack([c[0] for c in chunks])
    np.testing.assert_allclose(X, df[FEATURES].to_numpy())
    np.testing.assert_allclose(np.concatenate([c[1] for c in chunks]), df["y"])


def test_default_columns_are_all_but_target_and_weight(tmp_path):
    df = _frame(50)
    path = tmp_path / "data.csv"
    df.to_csv(path, index=False)
    (X, y, w), = iter_chunks(str(path), target="y", sample_weight="w", chunksize=100)
    np.testing.assert_allclose(X, df[FEATURES].to_numpy())
    np.testing.assert_allclose(w, df["w"])


def test_parquet_directory_in_file_order(tmp_path, pq):
    parts = [_frame(120, seed=s) for s in range(2)]
    for k, part in enumerate(parts):
        pq.write_table(_table(part), tmp_path / f"part-{k}.parquet",
                       row_group_size=50)
    chunks = list(iter_chunks(tmp_path, target="y", columns=FEATURES, chunksize=40))
    assert max(len(c[1]) for c in chunks) <= 40
    full = pd.concat(parts)
    np.testing.assert_allclose(np.vstack([c[0] for c in chunks]), full[FEATURES].to_numpy())
    np.testing.assert_allclose(np.concatenate([c[1] for c in chunks]), full["y"])


def test_list_of_paths_mixes_formats(tmp_path, pq):
    a, b = _frame(30, 0), _frame(20, 1)
    a.to_csv(tmp_path / "a.csv", index=False)
    pq.write_table(_table(b), tmp_path / "b.parquet")
    chunks = list(iter_chunks([tmp_path / "a.csv", tmp_path / "b.parquet"], target="y",
                              columns=FEATURES, chunksize=25))
    assert [len(c[1]) for c in chunks] == [25, 5, 20]


def test_dtype_float32_and_parquet_float32_kept(tmp_path, pq):
    df = _frame(40)
    df.to_csv(tmp_path / "a.csv", index=False)
    (X, _), = iter_chunks(tmp_path / "a.csv", target="y", columns=FEATURES,
                          dtype=np.float32)
    assert X.dtype == np.float32
    pq.write_table(_table(df.astype(np.float32)), tmp_path / "b.parquet")
    (X, _), = iter_chunks(tmp_path / "b.parquet", target="y", columns=FEATURES)
    assert X.dtype == np.float32


def test_iterable_of_chunks_passes_through():
    chunks = _array_chunks()
    out = list(iter_chunks(chunks))
    assert len(out) == 3
    for (X, y), (Xo, yo) in zip(chunks, out, strict=True):
        np.testing.assert_array_equal(X, Xo)
        np.testing.assert_array_equal(y, yo)


def test_iterable_of_dataframes_is_split_by_target():
    frames = [_frame(30, s) for s in range(2)]
    out = list(iter_chunks(frames, target="y", sample_weight="w"))
    assert [len(c) for c in out] == [3, 3]
    np.testing.assert_allclose(out[1][0], frames[1][FEATURES].to_numpy())


# ---------------------------------------------------------------- bad input


def test_empty_sources_raise(tmp_path):
    with pytest.raises(ValueError, match="no chunks"):
        list(iter_chunks([]))
    pd.DataFrame(columns=FEATURES + ["y"]).to_csv(tmp_path / "empty.csv", index=False)
    with pytest.raises(ValueError, match="no chunks"):
        list(iter_chunks(tmp_path / "empty.csv", target="y"))
    (tmp_path / "d").mkdir()
    with pytest.raises(ValueError, match="no .*parquet"):
        list(iter_chunks(tmp_path / "d", target="y"))
    with pytest.raises(ValueError, match="no chunks"):
        stream_partial_fit(_sgd_linear(), [])


def test_file_source_needs_target(tmp_path):
    _frame(10).to_csv(tmp_path / "a.csv", index=False)
    with pytest.raises(ValueError, match="target"):
        list(iter_chunks(tmp_path / "a.csv"))


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_missing_target_column_names_chunk(tmp_path, fmt, pq):
    df = _frame(30).drop(columns="y")
    path = tmp_path / f"a.{fmt}"
    df.to_csv(path, index=False) if fmt == "csv" else df.to_parquet(path)
    with pytest.raises(ValueError, match=r"chunk 0.*'y'"):
        list(iter_chunks(path, target="y"))


def test_missing_feature_column_names_chunk(tmp_path):
    _frame(30).to_csv(tmp_path / "a.csv", index=False)
    with pytest.raises(ValueError, match=r"chunk 0.*'nope'"):
        list(iter_chunks(tmp_path / "a.csv", target="y", columns=["f0", "nope"]))


def test_files_with_different_columns_name_the_chunk(tmp_path):
    a = _frame(30, 0)
    b = _frame(30, 1)
    b["extra"] = 1.0
    a.to_csv(tmp_path / "a.csv", index=False)
    b.to_csv(tmp_path / "b.csv", index=False)
    with pytest.raises(ValueError, match=r"chunk 1 .*b\.csv.*4 columns.*3"):
        list(iter_chunks([tmp_path / "a.csv", tmp_path / "b.csv"], target="y",
                         sample_weight="w"))


def test_chunk_with_other_number_of_columns_keeps_previous_state():
    chunks = _array_chunks()
    chunks[1] = (np.hstack([chunks[1][0], chunks[1][0][:, :1]]), chunks[1][1])
    est = _sgd_linear()
    with pytest.raises(ValueError, match=r"chunk 1.*4 columns.*3"):
        stream_partial_fit(est, chunks)
    ref = _sgd_linear().partial_fit(*chunks[0])
    _assert_same_linear(est, ref)


@pytest.mark.parametrize("where", ["X", "y"])
def test_nan_in_chunk_names_it_and_keeps_previous_state(where):
    chunks = _array_chunks()
    X, y = chunks[2]
    X, y = X.copy(), y.astype(float)
    (X if where == "X" else y)[5] = np.nan
    chunks[2] = (X, y)
    est = _sgd_linear()
    with pytest.raises(ValueError, match=r"chunk 2.*NaN"):
        stream_partial_fit(est, chunks)
    ref = _sgd_linear()
    for c in chunks[:2]:
        ref.partial_fit(*c)
    _assert_same_linear(est, ref)


def test_nan_in_csv_chunk_names_it(tmp_path):
    df = _frame(100)
    df.loc[70, "f1"] = np.nan
    df.to_csv(tmp_path / "a.csv", index=False)
    with pytest.raises(ValueError, match=r"chunk 2 .*a\.csv.*NaN"):
        list(iter_chunks(tmp_path / "a.csv", target="y", chunksize=30))


def test_mismatched_lengths_raise():
    X, y = _array_chunks()[0]
    with pytest.raises(ValueError, match=r"chunk 0.*rows"):
        list(iter_chunks([(X, y[:-1])]))


def test_one_shot_iterator_refuses_several_epochs():
    est = _sgd_linear()
    with pytest.raises(ValueError, match="re-iterable"):
        stream_partial_fit(est, iter(_array_chunks()), n_epochs=2)
    assert not hasattr(est, "coef_")


# ---------------------------------------------------------------- training


def test_stream_equals_partial_fit_by_hand_over_epochs(tmp_path):
    df = _frame(250)
    df.to_csv(tmp_path / "a.csv", index=False)
    est = stream_partial_fit(_sgd_linear(), tmp_path / "a.csv", n_epochs=3, target="y",
                             columns=FEATURES, chunksize=100)
    ref = _sgd_linear()
    for _ in range(3):
        for start in range(0, 250, 100):
            part = df.iloc[start:start + 100]
            ref.partial_fit(part[FEATURES].to_numpy(), part["y"].to_numpy())
    _assert_same_linear(est, ref)


def test_returns_the_estimator_and_callable_source_runs_epochs():
    chunks = _array_chunks()
    est = _sgd_linear()
    assert stream_partial_fit(est, lambda: iter(chunks), n_epochs=2) is est
    ref = _sgd_linear()
    for c in chunks + chunks:
        ref.partial_fit(*c)
    _assert_same_linear(est, ref)


def test_sample_weight_column_equals_weighted_partial_fit(tmp_path, pq):
    df = _frame(200)
    pq.write_table(_table(df), tmp_path / "a.parquet")
    est = stream_partial_fit(_sgd_linear(), tmp_path / "a.parquet", target="y",
                             sample_weight="w", chunksize=64)
    ref = _sgd_linear()
    for start in range(0, 200, 64):
        part = df.iloc[start:start + 64]
        ref.partial_fit(part[FEATURES].to_numpy(), part["y"].to_numpy(),
                        sample_weight=part["w"].to_numpy())
    _assert_same_linear(est, ref)
    unweighted = stream_partial_fit(_sgd_linear(), tmp_path / "a.parquet", target="y",
                                    columns=FEATURES, chunksize=64)
    assert not np.allclose(unweighted.coef_, est.coef_)


def test_sample_weight_in_iterable_chunks():
    chunks = [(X, y, np.full(len(y), 2.0 + k)) for k, (X, y) in enumerate(_array_chunks())]
    est = stream_partial_fit(_sgd_linear(), chunks)
    ref = _sgd_linear()
    for X, y, w in chunks:
        ref.partial_fit(X, y, sample_weight=w)
    _assert_same_linear(est, ref)


def test_float32_chunks_give_float32_model(tmp_path):
    est = stream_partial_fit(_sgd_linear(), _array_chunks(dtype=np.float32))
    assert est.coef_.dtype == np.float32
    _frame(100, classify=True).to_csv(tmp_path / "a.csv", index=False)
    clf = stream_partial_fit(_sgd_logistic(), tmp_path / "a.csv", target="y",
                             columns=FEATURES, dtype=np.float32, chunksize=40)
    assert clf.coef_.dtype == np.float32


def test_classifier_classes_inferred_from_first_chunk():
    chunks = _array_chunks(classify=True)
    est = stream_partial_fit(_sgd_logistic(), chunks)
    ref = _sgd_logistic()
    for X, y in chunks:
        ref.partial_fit(X, y, classes=[0, 1])
    _assert_same_linear(est, ref)
    np.testing.assert_array_equal(est.classes_, [0, 1])


def test_classifier_unseen_class_in_later_chunk_asks_for_classes():
    chunks = _array_chunks(classify=True)
    X, y = chunks[1]
    chunks[1] = (X, np.where(np.arange(len(y)) < 3, 2, y))
    est = _sgd_logistic()
    with pytest.raises(ValueError, match=r"chunk 1.*\[2\].*classes="):
        stream_partial_fit(est, chunks)
    ref = _sgd_logistic().partial_fit(*chunks[0], classes=[0, 1])
    _assert_same_linear(est, ref)
    full = stream_partial_fit(_sgd_logistic(), chunks, classes=[0, 1, 2])
    np.testing.assert_array_equal(full.classes_, [0, 1, 2])


def test_classifier_single_class_first_chunk_asks_for_classes():
    X, y = _array_chunks(classify=True)[0]
    with pytest.raises(ValueError, match=r"chunk 0.*one class.*classes="):
        stream_partial_fit(_sgd_logistic(), [(X, np.zeros_like(y))])


def test_already_fitted_classifier_keeps_its_classes():
    chunks = _array_chunks(classify=True)
    est = _sgd_logistic().partial_fit(*chunks[0], classes=[0, 1, 2])
    stream_partial_fit(est, chunks[1:])
    np.testing.assert_array_equal(est.classes_, [0, 1, 2])


@pytest.mark.parametrize("make", [
    lambda: MLPClassifier(hidden_layer_sizes=(8,), batch_size=16, random_state=0),
    lambda: MLPRegressor(hidden_layer_sizes=(8,), batch_size=16, random_state=0),
])
def test_mlps_stream_equals_by_hand(make):
    classify = isinstance(make(), MLPClassifier)
    chunks = _array_chunks(classify=classify, dtype=np.float32)
    est = stream_partial_fit(make(), chunks, n_epochs=2)
    ref = make()
    for X, y in chunks + chunks:
        ref.partial_fit(X, y, **({"classes": [0, 1]} if classify else {}))
    for a, b in zip(est.coefs_, ref.coefs_, strict=True):
        np.testing.assert_array_equal(a, b)
        assert a.dtype == np.float32


def test_matrix_factorization_streams_id_pairs_from_csv(tmp_path):
    rng = np.random.default_rng(0)
    n = 300
    df = pd.DataFrame({"user": rng.integers(0, 20, n), "item": rng.integers(0, 15, n),
                       "rating": rng.integers(1, 6, n).astype(float)})
    df.to_csv(tmp_path / "ratings.csv", index=False)

    def make():
        return MatrixFactorization(n_components=4, random_state=0)

    est = stream_partial_fit(make(), tmp_path / "ratings.csv", target="rating",
                             chunksize=100)
    ref = make()
    for start in range(0, n, 100):
        part = df.iloc[start:start + 100]
        ref.partial_fit(part[["user", "item"]].to_numpy(), part["rating"].to_numpy())
    np.testing.assert_array_equal(est.predict(df[["user", "item"]].to_numpy()),
                                  ref.predict(df[["user", "item"]].to_numpy()))


def test_partial_fit_error_is_reported_with_chunk_index_and_rolled_back():
    chunks = _array_chunks()
    X, y = chunks[1]
    chunks[1] = (X, np.array(["a"] * len(y), dtype=object))
    est = _sgd_linear()
    with pytest.raises(ValueError, match=r"chunk 1"):
        stream_partial_fit(est, chunks)
    _assert_same_linear(est, _sgd_linear().partial_fit(*chunks[0]))


def test_bad_n_epochs():
    with pytest.raises(ValueError, match="n_epochs"):
        stream_partial_fit(_sgd_linear(), _array_chunks(), n_epochs=0)


def test_sample_weight_callable_is_applied_per_chunk():
    chunks = _array_chunks()

    def weigh(X, y):
        return 1.0 + (X[:, 0] > 0)

    est = stream_partial_fit(_sgd_linear(), chunks, sample_weight=weigh)
    ref = _sgd_linear()
    for X, y in chunks:
        ref.partial_fit(X, y, sample_weight=weigh(X, y))
    _assert_same_linear(est, ref)


def test_implicit_feedback_chunks_without_target():
    rng = np.random.default_rng(0)
    chunks = [(np.column_stack([rng.integers(0, 20, 100), rng.integers(0, 15, 100)]), None)
              for _ in range(2)]

    def make():
        return MatrixFactorization(n_components=4, loss="bpr", random_state=0)

    est = stream_partial_fit(make(), chunks)
    ref = make()
    for X, _ in chunks:
        ref.partial_fit(X)
    np.testing.assert_array_equal(est.predict(chunks[0][0]), ref.predict(chunks[0][0]))


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_reading_a_file_holds_one_chunk_at_a_time(tmp_path, fmt):
    import tracemalloc

    pytest.importorskip("pyarrow")
    n = 100_000
    df = pd.DataFrame(np.random.default_rng(0).normal(size=(n, 10)),
                      columns=[f"f{i}" for i in range(10)])
    df["y"] = np.arange(n) % 2
    path = tmp_path / f"a.{fmt}"
    if fmt == "csv":
        df.to_csv(path, index=False)
    else:
        df.to_parquet(path, row_group_size=5_000)
    full = df.memory_usage().sum()
    del df
    tracemalloc.start()
    try:
        rows = sum(len(y) for _, y in iter_chunks(path, target="y", chunksize=2_000))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert rows == n
    assert peak < 0.25 * full  # numpy/pandas allocations of one chunk, not the file


def test_chunks_are_consumed_lazily():
    events = []

    def source():
        for k, (X, y) in enumerate(_array_chunks()):
            events.append(f"read {k}")
            yield X, y

    class Recorder(LinearRegression):
        def partial_fit(self, X, y, sample_weight=None):
            events.append("fit")
            return super().partial_fit(X, y, sample_weight)

    stream_partial_fit(Recorder(solver="sgd", batch_size=16, random_state=0), source())
    assert events == ["read 0", "fit", "read 1", "fit", "read 2", "fit"]


def test_column_names_with_array_chunks_are_refused():
    with pytest.raises(ValueError, match="columns"):
        list(iter_chunks(_array_chunks(), columns=["f0"]))
    with pytest.raises(ValueError, match="sample_weight column"):
        list(iter_chunks(_array_chunks(), target="y", sample_weight="w"))


def test_not_a_source():
    with pytest.raises(TypeError, match="source must be"):
        list(iter_chunks(3))


def test_nested_lists_and_sparse_chunks():
    import scipy.sparse as sp

    X, y = _array_chunks()[0]
    (Xl, _), = iter_chunks([(X.tolist(), y)], dtype=np.float32)
    assert Xl.dtype == np.float32 and Xl.shape == X.shape
    Xs = sp.csr_matrix(X)
    Xs.data[0] = np.inf
    with pytest.raises(ValueError, match="chunk 0.*NaN or infinity"):
        list(iter_chunks([(Xs, y)]))
