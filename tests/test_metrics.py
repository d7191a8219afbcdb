import numpy as np
import pytest

from curnlp.metrics import accuracy_at_coverage, coverage_curve, expected_calibration_error, threshold_for_accuracy


def test_ece_of_perfectly_calibrated_bins_is_zero_and_overconfidence_shows():
    conf = np.array([0.9] * 10 + [0.5] * 10)
    ok = np.array([1] * 9 + [0] + [1] * 5 + [0] * 5)
    assert expected_calibration_error(conf, ok) == pytest.approx(0.0)
    assert expected_calibration_error([1.0, 1.0], [0, 0]) == pytest.approx(1.0)


def test_coverage_curve_and_threshold():
    conf = [0.95, 0.9, 0.8, 0.7, 0.6, 0.3]
    ok = [1, 1, 1, 0, 1, 0]
    cov, acc, thr = coverage_curve(conf, ok)
    assert list(np.round(acc, 3)) == [1.0, 1.0, 1.0, 0.75, 0.8, 0.667]
    assert accuracy_at_coverage(conf, ok, 0.5) == 1.0
    assert threshold_for_accuracy(conf, ok, 0.8) == (0.6, pytest.approx(5 / 6))
    assert threshold_for_accuracy(conf, [0] * 6, 0.5) == (1.0, 0.0)
