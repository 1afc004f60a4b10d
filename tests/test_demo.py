"""The README's quick-start demo runs and every fit scores sensibly."""

from skgd.demo import run


def test_demo_runs_every_estimator():
    lines = []
    rows = run(print_fn=lines.append)
    names = {r["estimator"] for r in rows}
    assert names == {"LogisticRegression", "LinearRegression", "MLPClassifier",
                     "MLPRegressor", "MatrixFactorization"}
    assert len(lines) == len(rows) + 2  # header, rule, one line per fit
    for r in rows:
        floor = 0.9 if r["data"] in ("digits", "breast_cancer") else 0.2
        assert r["score"] > floor, r
