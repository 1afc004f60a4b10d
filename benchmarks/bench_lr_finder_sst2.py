"""find_learning_rate on SST-2 TF-IDF: does its suggestion train as well as a hand-tuned step?

Run: ``python benchmarks/bench_lr_finder_sst2.py`` (SST-2 from ../shared/data or $SKGD_DATA).
"""

import time
import warnings

from sklearn.base import clone
from sklearn.exceptions import ConvergenceWarning
from sklearn.feature_extraction.text import TfidfVectorizer

from skgd import LogisticRegression
from skgd.datasets import load_sst2
from skgd.model_selection import find_learning_rate

CASES = [  # (estimator, hand-tuned step)
    (LogisticRegression(solver="adam", batch_size=64, alpha=1e-5, max_iter=5,
                        random_state=0), 1e-3),
    (LogisticRegression(solver="sgd", batch_size=32, learning_rate="constant", alpha=1e-5,
                        max_iter=5, random_state=0), 0.5),
]


def main() -> None:
    warnings.simplefilter("ignore", ConvergenceWarning)
    d = load_sst2()
    vec = TfidfVectorizer(ngram_range=(1, 2), min_df=2)
    Xtr, Xte = vec.fit_transform(d.text_train), vec.transform(d.text_test)
    print("| solver | suggestion | accuracy | hand-tuned step | accuracy | seconds |")
    print("|---|---|---|---|---|---|")
    for est, tuned_lr in CASES:
        tic = time.perf_counter()
        res = find_learning_rate(est, Xtr, d.y_train, random_state=0)
        tuned = clone(est).set_params(learning_rate_init=tuned_lr).fit(Xtr, d.y_train)
        found = clone(est).set_params(learning_rate_init=res.suggestion).fit(Xtr, d.y_train)
        print(f"| {est.solver} | {res.suggestion:.3g} | {found.score(Xte, d.y_test):.4f} | "
              f"{tuned_lr:g} | {tuned.score(Xte, d.y_test):.4f} | "
              f"{time.perf_counter() - tic:.1f} |")


if __name__ == "__main__":
    main()
