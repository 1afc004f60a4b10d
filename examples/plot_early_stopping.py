"""
Early stopping with restored weights
====================================

An over-sized MLP on a small noisy problem starts to overfit after a few epochs.
:class:`skgd.callbacks.EarlyStopping` scores the model on the validation data after
each epoch, stops ``patience`` epochs after the best one, and restores the weights of
that best epoch (``restore_best=True``), so the fitted model is the best one seen,
not the last one. The built-in ``early_stopping=True`` applies the same rule to the
estimator's own score.
"""

# %%
import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import make_classification
from sklearn.model_selection import train_test_split

from skgd import MLPClassifier
from skgd.callbacks import EarlyStopping

X, y = make_classification(n_samples=600, n_features=40, n_informative=6, flip_y=0.15,
                           random_state=0)
X_train, X_val, y_train, y_val = train_test_split(X, y, test_size=0.3, random_state=0)

params = {"hidden_layer_sizes": (128, 128), "learning_rate_init": 0.003, "max_iter": 60,
          "tol": None, "random_state": 0}
full = MLPClassifier(**params).fit(X_train, y_train, X_val=X_val, y_val=y_val)

stopper = EarlyStopping(patience=8, restore_best=True)
stopped = MLPClassifier(**params).set_callbacks(stopper)
stopped.fit(X_train, y_train, X_val=X_val, y_val=y_val)

print(f"without early stopping: {full.n_iter_} epochs, "
      f"validation accuracy of the fitted model {full.score(X_val, y_val):.3f}")
print(f"with EarlyStopping: best epoch {stopper.best_epoch_}, stopped at epoch "
      f"{stopper.stopped_epoch_}, validation accuracy of the fitted (restored) model "
      f"{stopped.score(X_val, y_val):.3f} = best score {stopper.best_score_:.3f}")

# %%
# The curves: the validation loss turns up while the training loss keeps falling.
epochs = np.arange(1, full.n_iter_ + 1)
val_loss = [h["val_loss"] for h in full.history_]
fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 4))
ax1.plot(epochs, full.loss_curve_, label="training loss")
ax1.plot(epochs, val_loss, label="validation loss")
ax1.set(xlabel="epoch", ylabel="log loss", title="60 epochs, no early stopping")
ax1.legend()
ax2.plot(epochs, full.validation_scores_, color="0.6", label="no early stopping")
ax2.plot(np.arange(1, len(stopped.validation_scores_) + 1), stopped.validation_scores_,
         label="EarlyStopping(patience=8)")
ax2.axvline(stopper.best_epoch_, ls="--", color="k", label="restored epoch")
ax2.axhline(stopped.score(X_val, y_val), ls=":", color="C1")
ax2.set(xlabel="epoch", ylabel="validation accuracy")
ax2.legend()
fig.tight_layout()
plt.show()
