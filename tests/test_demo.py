"""The README's quick-start demo runs and every fit scores sensibly."""

from skgd.demo import run


def test_demo_runs_every_estimator():
    lines = []
    rows = run(print_fn=lines.append)
    names = {r["estimator"] for r in rows}
    assert names == {"LogisticRegression", "LinearRegression", "MLPClassifier",
                     "MLPRegressor", "MatrixFactorization"}
    compiled = sum(r["compile_seconds"] for r in rows) >= 0.01
    # header, rule, one line per fit, and a note when kernels were compiled
    assert len(lines) == len(rows) + 2 + compiled
    assert compiled == ("compiling kernels" in lines[-1])
    assert all(r["seconds"] >= 0 and r["compile_seconds"] >= 0 for r in rows)
    for r in rows:
        floor = 0.9 if r["data"] in ("digits", "breast_cancer") else 0.2
        assert r["score"] > floor, r
