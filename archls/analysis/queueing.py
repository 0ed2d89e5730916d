"""Queueing formulas: M/M/c (Erlang C) waiting, sojourn-time percentiles, tail amplification.

A component with ``c`` identical servers of rate ``mu`` receiving Poisson arrivals at ``lam``
(``rho = lam / (c * mu) < 1``) makes a request wait with probability C (Erlang C); a request that
waits does so for an exponential time of rate ``c * mu - lam``; then it is served in an
exponential time of rate ``mu``. The sojourn time T is the sum, and its distribution has a closed
form, so percentiles are found by bisection on it. In units of the service time everything
depends only on ``(c, rho)``, which is what the percentile cache is keyed on.
"""

from __future__ import annotations

import math
from functools import lru_cache

#: Above this many servers Erlang C is approximated (Sakasegawa) instead of summed exactly.
EXACT_SERVERS = 1000


def erlang_c(servers: int, offered: float) -> float:
    """Probability that an arrival waits in an M/M/c queue with ``offered = lam / mu`` (< servers)."""
    if servers < 1:
        raise ValueError("servers must be at least 1")
    if offered <= 0:
        return 0.0
    rho = offered / servers
    if rho >= 1:
        return 1.0
    if servers > EXACT_SERVERS:
        # Sakasegawa (1977): Wq ~ S rho^sqrt(2(c+1)) / (c (1 - rho)), so C ~ rho^(sqrt(2(c+1)) - 1).
        # It overstates waiting for large c, which errs on the safe side.
        return rho ** (math.sqrt(2 * (servers + 1)) - 1)
    return _erlang_c(servers, offered)


@lru_cache(maxsize=65536)
def _erlang_c(servers: int, offered: float) -> float:
    # Erlang B by its stable recursion, then C from B.
    rho = offered / servers
    b = 1.0
    for k in range(1, servers + 1):
        b = offered * b / (k + offered * b)
    return b / (1 - rho * (1 - b))


def mean_wait(servers: int, offered: float, service: float) -> float:
    """Mean time in the queue (before service), in the unit of ``service`` (the mean service time)."""
    rho = offered / servers
    if rho >= 1:
        return math.inf
    return erlang_c(servers, offered) * service / (servers * (1 - rho))


def _survival(u: float, wait_probability: float, ratio: float) -> float:
    """P(T > u) with T in units of the mean service time; ``ratio = (c mu - lam) / mu``."""
    direct = math.exp(-u)
    if wait_probability <= 0:
        return direct
    if abs(ratio - 1) < 1e-9:
        queued = (1 + u) * direct
    else:
        queued = (ratio * direct - math.exp(-ratio * u)) / (ratio - 1)
    return (1 - wait_probability) * direct + wait_probability * queued


@lru_cache(maxsize=65536)
def _quantile_units(servers: int, rho: float, q: float) -> float:
    wait_probability = erlang_c(servers, rho * servers)
    ratio = servers * (1 - rho)
    tail = 1 - q
    # T is at least the service time, and at most a service and a wait each at the (1 - tail/2) level.
    lo = -math.log(tail)
    hi = math.log(2 / tail)
    if wait_probability > tail / 2:
        hi += math.log(2 * wait_probability / tail) / ratio
    for _ in range(48):
        mid = (lo + hi) / 2
        if _survival(mid, wait_probability, ratio) > tail:
            lo = mid
        else:
            hi = mid
        if hi - lo < 1e-7 * hi:
            break
    return (lo + hi) / 2


def sojourn_quantile(servers: int, rho: float, service: float, q: float) -> float:
    """The ``q`` quantile (0 < q < 1) of the time in an M/M/c system, in the unit of ``service``.

    ``rho`` is the utilisation of the ``servers``; infinite when ``rho >= 1`` (the queue grows).
    """
    if not 0 < q < 1:
        raise ValueError("q must be between 0 and 1")
    if rho >= 1:
        return math.inf
    rho = max(0.0, round(rho, 5))
    return service * _quantile_units(max(1, servers), rho, round(q, 9))


#: Shape of the Erlang distribution used for components that never queue (third parties,
#: elastic managed services): its p99 is about 4x its median, as measured API latencies tend to be,
#: where an exponential's would be 6.6x.
DELAY_SHAPE = 2


@lru_cache(maxsize=1024)
def _erlang2_units(q: float) -> float:
    # P(X > u) = e^-u (1 + u) for X ~ Erlang(2, 1); find u where it equals 1 - q.
    tail = 1 - q
    lo, hi = 0.0, 2.0
    while math.exp(-hi) * (1 + hi) > tail:
        hi *= 2
    for _ in range(60):
        mid = (lo + hi) / 2
        if math.exp(-mid) * (1 + mid) > tail:
            lo = mid
        else:
            hi = mid
    return (lo + hi) / 2


def delay_quantile(service: float, q: float) -> float:
    """The ``q`` quantile of the time in a component that never queues, with mean ``service``."""
    if not 0 < q < 1:
        raise ValueError("q must be between 0 and 1")
    return service / DELAY_SHAPE * _erlang2_units(round(q, 9))


def delay_survival(service: float, t: float) -> float:
    """P(T > t) for the same delay."""
    if service <= 0:
        return 0.0
    u = DELAY_SHAPE * t / service
    return math.exp(-u) * (1 + u)


def fanout_quantile(q: float, calls: float) -> float:
    """The per-call quantile whose value the slowest of ``calls`` parallel calls reaches at level ``q``.

    The slowest of N independent calls is below x with probability F(x)^N, so the request's q
    quantile is each call's q^(1/N) quantile.
    """
    if calls <= 1:
        return q
    return q ** (1 / calls)


def tail_amplification(p: float, calls: float) -> float:
    """Share of requests that meet at least one slow call when each of ``calls`` is slow with probability p.

    1 - (1 - p)^N (Dean and Barroso, The Tail at Scale).
    """
    if calls <= 0:
        return 0.0
    return 1 - (1 - p) ** calls


def survival(servers: int, rho: float, service: float, t: float) -> float:
    """P(T > t) for the M/M/c sojourn time; 1 when the queue is unstable."""
    if rho >= 1:
        return 1.0
    if service <= 0:
        return 0.0
    return _survival(t / service, erlang_c(servers, rho * servers), servers * (1 - rho))
