"""The drift monitor (CUSUM on unflagged routings) and the risk-controlled promise threshold."""
from __future__ import annotations

import numpy as np
import pytest

from curnlp.live.monitor import Monitor
from curnlp.live.promise import choose_threshold, promise_of, upper_error


def _run(monitor: Monitor, errors: np.ndarray) -> list[int]:
    fired = []
    for i, wrong in enumerate(errors):
        if monitor.observe("Комитет ЖКХ", "Другой" if wrong else "Комитет ЖКХ", flagged=False, time=float(i)):
            if monitor.alarm:
                fired.append(i)
            monitor.reset()
    return fired


def test_rare_false_alarms_at_the_promised_error_rate():
    rng = np.random.default_rng(0)
    fired = _run(Monitor(accuracy=0.85), rng.random(20_000) < 0.15)
    assert len(fired) <= 6, fired  # mean run between false alarms in the thousands


def test_fires_within_a_few_dozen_messages_after_a_change():
    rng = np.random.default_rng(1)
    for change_rate in (0.8, 0.5):
        m = Monitor(accuracy=0.85)
        stream = np.concatenate([rng.random(400) < 0.15, rng.random(200) < change_rate])
        fired = [i for i in _run(m, stream) if i >= 400]
        assert fired and fired[0] - 400 <= 40, (change_rate, fired)


def test_change_point_estimate_and_flags():
    m = Monitor(accuracy=0.85)
    for i in range(100):
        m.observe("А", "А", flagged=False, time=float(i))
    for i in range(100, 110):
        m.observe("А", "Б", flagged=False, time=float(i))
    assert m.alarm and m.change_time == 100.0
    assert m.flags("любое") and m.active
    assert not m.caught_up(5) and m.alarm
    assert m.caught_up(40) and not m.alarm and not m.flags("А")


def test_flagged_routings_are_not_counted():
    m = Monitor(accuracy=0.85)
    for i in range(100):
        m.observe("А", "Б", flagged=True)
    assert not m.active and m.seen == 100


def test_monitor_state_round_trips():
    m = Monitor(accuracy=0.9)
    for i in range(20):
        m.observe("А", "Б", flagged=False, time=float(i))
    back = Monitor.from_dict(m.to_dict())
    assert back.alarm and back.change_time == m.change_time and back.accuracy == 0.9


def test_threshold_controls_the_upper_bound_of_the_error():
    rng = np.random.default_rng(2)
    conf = rng.beta(5, 1.5, 2000)
    correct = rng.random(2000) < conf  # calibrated: accuracy above t grows with t
    t, coverage, observed = choose_threshold(conf, correct, accuracy=0.85, delta=0.1)
    routed = conf >= t
    assert 0 < coverage < 1 and routed.mean() == pytest.approx(coverage)
    assert upper_error(int((~correct[routed]).sum()), int(routed.sum()), 0.1) <= 0.15
    # the point estimate would go lower: the bound keeps a margin
    assert correct[routed].mean() > 0.85
    assert choose_threshold(conf, np.zeros(2000, bool))[:2] == (1.0, 0.0)


def test_promise_is_stable_when_the_window_moves_one_block():
    rng = np.random.default_rng(3)
    conf = rng.beta(5, 1.5, 1200)
    hist = [[c, int(ok)] for c, ok in zip(conf, rng.random(1200) < conf)]
    thresholds = [promise_of(hist[: 600 + 40 * k], 0.85, 0.1, 0.5)["threshold"] for k in range(10)]
    assert max(thresholds) - min(thresholds) < 0.1, thresholds
    assert promise_of(hist[:50], 0.85, 0.1, 0.42)["threshold"] == 0.42  # too few rows: training's choice


def test_all_routings_test_sees_a_change_when_everything_is_flagged():
    rng = np.random.default_rng(4)
    m = Monitor(accuracy=0.85)
    m.expect(0.75)
    stream = np.concatenate([rng.random(1000) < 0.25, rng.random(100) < 0.9])
    for i, wrong in enumerate(stream):
        m.observe("А", "Б" if wrong else "А", flagged=True, time=float(i))
        if m.alarm:
            break
    assert m.alarm and 1000 <= i <= 1040 and m.alarms[-1]["test"] == "all"
    assert 990 <= m.change_time <= 1010


def test_all_routings_test_rarely_fires_at_the_expected_accuracy():
    rng = np.random.default_rng(5)
    m = Monitor(accuracy=0.85)
    m.expect(0.7)
    alarms = 0
    for i, wrong in enumerate(rng.random(20_000) < 0.3):
        if m.observe("А", "Б" if wrong else "А", flagged=True, time=float(i)):
            alarms += 1
            m.reset()
            m.expect(0.7)
    assert alarms <= 4, alarms
