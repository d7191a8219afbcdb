"""Retraining and evaluation: :func:`train`, :func:`cross_validate`, :func:`evaluate` and their :class:`Report`.

* :mod:`~curnlp.training.prepare`: an archive's messages into classifier records, through the
  Router's own per-message stages (:mod:`curnlp.pipeline`);
* :mod:`~curnlp.training.cross_validation`: grouped k-fold and forward-in-time splits;
* :mod:`~curnlp.training.train`: a Router with its manifest (review threshold, periods, metrics);
* :mod:`~curnlp.training.evaluate`: route a labelled archive and compare;
* :mod:`~curnlp.training.report`: the figures, tables, plots and HTML of held-out predictions.

Cross-validation is grouped: messages whose clean text is identical (case and spacing
aside) always fall in the same fold, so a duplicate never sits on both sides. With a
time column, ``scheme="forward"`` trains on the earlier messages and judges on the later
ones (expanding window, several origins), which is how a model is used.
"""
from __future__ import annotations

from .cross_validation import agency_shares, cross_validate, forward_splits
from .evaluate import evaluate
from .prepare import Prepared, prepare
from .report import REVIEW_ACCURACY, Report, TargetReport
from .train import train

__all__ = ["train", "cross_validate", "evaluate", "Report", "TargetReport", "prepare", "Prepared", "forward_splits",
           "agency_shares", "REVIEW_ACCURACY"]
