"""
Early stopping with restored weights
====================================

An over-sized MLP on a small noisy problem starts to overfit after a few epochs: its
validation log loss turns up while the training loss keeps falling.
:class:`skgd.callbacks.EarlyStopping` scores the model on the validation data after
each epoch (here with ``scoring="neg_log_loss"``), stops ``patience`` epochs after the
best one, and restores the weights of that best epoch (``restore_best=True``), so the
fitted model is the best one seen, not the last one. The built-in
``early_stopping=True`` applies the same rule to the estimator's own score.
"""

# %%
import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import make_classification
from sklearn.metrics import log_loss
from sklearn.model_selection import train_test_split

from skgd import MLPClassifier
from skgd.callbacks import EarlyStopping

X, y = make_classification(n_samples=1000, n_features=40, n_informative=6, flip_y=0.15,
                           random_state=0)
X_train, X_val, y_train, y_val = train_test_split(X, y, test_size=0.4, random_state=0)

params = {"hidden_layer_sizes": (128, 128), "learning_rate_init": 0.003, "max_iter": 40,
          "tol": None, "random_state": 0}
full = MLPClassifier(**params).fit(X_train, y_train, X_val=X_val, y_val=y_val)

stopper = EarlyStopping(scoring="neg_log_loss", patience=5, restore_best=True)
stopped = MLPClassifier(**params).set_callbacks(stopper)
stopped.fit(X_train, y_train, X_val=X_val, y_val=y_val)


def val_log_loss(model):
    return log_loss(y_val, model.predict_proba(X_val))


print(f"without early stopping: {full.n_iter_} epochs, validation log loss "
      f"{val_log_loss(full):.3f}, accuracy {full.score(X_val, y_val):.3f}")
print(f"EarlyStopping: best epoch {stopper.best_epoch_}, stopped at epoch "
      f"{stopper.stopped_epoch_}; the fitted (restored) model has validation log loss "
      f"{val_log_loss(stopped):.3f} (best score {-stopper.best_score_:.3f}), "
      f"accuracy {stopped.score(X_val, y_val):.3f}")

# %%
# The curves of the 40-epoch run, with the epoch EarlyStopping restored and the epoch
# it stopped at, and what the two fitted models score.
epochs = np.arange(1, full.n_iter_ + 1)
fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 4), width_ratios=[2, 1])
ax1.plot(epochs, full.loss_curve_, label="training loss")
ax1.plot(epochs, [h["val_loss"] for h in full.history_], label="validation loss")
ax1.axvline(stopper.best_epoch_, ls="--", color="k", label="restored epoch")
ax1.axvline(stopper.stopped_epoch_, ls=":", color="gray", label="stopped")
ax1.set(xlabel="epoch", ylabel="log loss", title="MLP (128, 128) on 600 noisy rows")
ax1.legend()
names = ["last epoch\n(no early stopping)", "restored best epoch\n(EarlyStopping)"]
ax2.bar(names, [val_log_loss(full), val_log_loss(stopped)], color=["0.6", "C0"])
ax2.set(ylabel="validation log loss of the fitted model")
fig.tight_layout()
plt.show()
