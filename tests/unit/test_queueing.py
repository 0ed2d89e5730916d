"""The queueing formulas against values worked out by hand."""

from __future__ import annotations

import math

import pytest

from archls.analysis import queueing


@pytest.mark.parametrize(
    ("servers", "offered", "expected"),
    [
        (1, 0.5, 0.5),  # M/M/1: an arrival waits exactly when the server is busy, P = rho
        (1, 0.9, 0.9),
        (2, 1.0, 1 / 3),  # (1/2 * 2) / (1 + 1 + 1) with a = 1, c = 2
        (3, 2.0, 4 / 9),  # (8/6 * 3) / (1 + 2 + 2 + 4)
        (4, 3.0, 0.5094),  # textbook table value for c = 4, rho = 0.75
    ],
)
def test_erlang_c_matches_hand_computed_values(servers: int, offered: float, expected: float) -> None:
    assert queueing.erlang_c(servers, offered) == pytest.approx(expected, abs=1e-4)


def test_erlang_c_edges() -> None:
    assert queueing.erlang_c(3, 0.0) == 0.0
    assert queueing.erlang_c(3, 3.0) == 1.0  # saturated: everyone waits
    with pytest.raises(ValueError):
        queueing.erlang_c(0, 1.0)


def test_erlang_c_approximation_for_many_servers_stays_a_probability_and_errs_high() -> None:
    exact = queueing.erlang_c(1000, 800.0)
    approx = queueing.erlang_c(1001, 800.8)
    assert 0 < exact < 1
    assert exact <= approx < 1


def test_mm1_mean_wait_is_rho_over_one_minus_rho_service_times() -> None:
    # M/M/1 at 80%: Wq = rho / (1 - rho) * S = 4 S
    assert queueing.mean_wait(1, 0.8, 10.0) == pytest.approx(40.0)
    assert math.isinf(queueing.mean_wait(1, 1.0, 10.0))


@pytest.mark.parametrize("rho", [0.1, 0.5, 0.8, 0.95])
@pytest.mark.parametrize("q", [0.5, 0.9, 0.99])
def test_mm1_sojourn_quantile_is_exponential_with_rate_mu_minus_lambda(rho: float, q: float) -> None:
    # In M/M/1 the sojourn time is exponential with mean S / (1 - rho).
    service = 4.0
    expected = -service / (1 - rho) * math.log(1 - q)
    assert queueing.sojourn_quantile(1, rho, service, q) == pytest.approx(expected, rel=1e-5)


def test_utilisation_08_makes_the_mean_five_service_times() -> None:
    # DESIGN.md: M/M/1 latency is S / (1 - rho), so 0.8 means 5x the service time (the mean, ln 2 at p50).
    p50 = queueing.sojourn_quantile(1, 0.8, 1.0, 0.5)
    assert p50 / math.log(2) == pytest.approx(5.0, rel=1e-5)


def test_mmc_quantile_is_where_the_survival_function_crosses() -> None:
    for servers, rho in ((2, 0.6), (8, 0.85), (40, 0.9)):
        for q in (0.5, 0.99):
            t = queueing.sojourn_quantile(servers, rho, 3.0, q)
            assert queueing.survival(servers, rho, 3.0, t) == pytest.approx(1 - q, rel=1e-4)


def test_more_servers_at_the_same_utilisation_wait_less() -> None:
    one = queueing.sojourn_quantile(1, 0.8, 1.0, 0.99)
    ten = queueing.sojourn_quantile(10, 0.8, 1.0, 0.99)
    assert ten < one
    # With many servers and little load the sojourn approaches the service time's own quantile.
    assert queueing.sojourn_quantile(50, 0.1, 1.0, 0.99) == pytest.approx(math.log(100), rel=1e-3)


def test_saturated_queue_has_no_finite_quantile() -> None:
    assert math.isinf(queueing.sojourn_quantile(4, 1.0, 1.0, 0.5))
    assert queueing.survival(4, 1.2, 1.0, 1000.0) == 1.0


def test_delay_quantiles_follow_an_erlang_two() -> None:
    # X ~ Erlang(2) with mean S: P(X > x) = e^-u (1 + u), u = 2x/S; the median solves it at u = 1.67835.
    assert queueing.delay_quantile(100.0, 0.5) == pytest.approx(100 / 2 * 1.678347, rel=1e-5)
    p99 = queueing.delay_quantile(100.0, 0.99)
    assert queueing.delay_survival(100.0, p99) == pytest.approx(0.01, rel=1e-6)
    assert p99 / queueing.delay_quantile(100.0, 0.5) == pytest.approx(3.96, abs=0.01)


def test_tail_amplification_is_one_minus_one_minus_p_to_the_n() -> None:
    assert queueing.tail_amplification(0.01, 1) == pytest.approx(0.01)
    assert queueing.tail_amplification(0.01, 10) == pytest.approx(1 - 0.99**10)
    assert queueing.tail_amplification(0.01, 100) == pytest.approx(0.634, abs=1e-3)  # The Tail at Scale's example
    assert queueing.tail_amplification(0.01, 0) == 0.0


def test_fanout_quantile_takes_the_slowest_of_n() -> None:
    assert queueing.fanout_quantile(0.99, 1) == 0.99
    assert queueing.fanout_quantile(0.99, 2) == pytest.approx(math.sqrt(0.99))
    # The median of the slowest of 10 is each call's 93rd percentile.
    assert queueing.fanout_quantile(0.5, 10) == pytest.approx(0.5**0.1)


def test_quantile_arguments_are_checked() -> None:
    with pytest.raises(ValueError):
        queueing.sojourn_quantile(1, 0.5, 1.0, 1.0)
    with pytest.raises(ValueError):
        queueing.delay_quantile(1.0, 0.0)
