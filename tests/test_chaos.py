"""The chaos engine and `archls chaos`: each semantic of docs/chaos.md on a small architecture built
for it, then the command as a user runs it on the examples."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from archls import engine
from archls.analysis import chaos
from archls.analysis.chaos import State
from archls.cli import main
from archls.commands.chaos import render_text

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = sorted((ROOT / "examples").glob("*.arch.yaml"))
SHOP = ROOT / "examples" / "ecommerce.arch.yaml"


def model_of(text: str):  # type: ignore[no-untyped-def]
    analysis = engine.analyse(text, "/tmp/chaos-test.arch.yaml")
    assert analysis.model is not None, analysis.findings
    return analysis.model, analysis.config


def simulate(text: str, fail: list[str] = [], zones: list[str] = []) -> chaos.ChaosResult:  # noqa: B006
    model, config = model_of(text)
    return chaos.simulate(model, config, fail, zones)


def states(result: chaos.ChaosResult) -> dict[str, str]:
    return {cid: c.state.value for cid, c in result.components.items()}


CHAIN = """name: chain
components:
  users: {type: client}
  web: {type: service, technology: go, replicas: 2, health_check: true}
  api: {type: service, technology: go, replicas: 2, health_check: true}
  db: {type: database, technology: postgresql, replicas: 2}
  recs: {type: service, technology: python, replicas: 2, health_check: true}
  audit: {type: service, technology: go, replicas: 2, health_check: true}
connections:
  - {from: users, to: web, protocol: https}
  - {from: web, to: api, protocol: http, timeout_ms: 500}
  - {from: api, to: db, protocol: postgres, timeout_ms: 200}
  - {from: web, to: recs, protocol: http, timeout_ms: 100, required: false}
  - {from: api, to: audit, protocol: http, timeout_ms: 100, fallback: write to the local spool}
flows:
  page: {rps: 100, latency_budget_ms: 500, path: [users, web, api, db]}
"""


def test_a_required_synchronous_dependency_takes_its_callers_down_with_the_chain() -> None:
    result = simulate(CHAIN, ["db"])
    assert states(result) == {
        "users": "up",
        "web": "down",
        "api": "down",
        "db": "down",
        "recs": "up",
        "audit": "up",
    }
    web = result.components["web"]
    assert web.chain == ["db", "api", "web"]
    assert web.reasons[0].cause == "api" and "needs api" in web.reasons[0].text
    assert result.flows["page"].state == "broken"
    assert result.traffic_lost == 1.0
    assert result.availability_after == 0.0 < (result.availability_before or 0)


def test_an_optional_call_and_a_fallback_only_degrade_the_caller() -> None:
    result = simulate(CHAIN, ["recs", "audit"])
    assert result.components["web"].state == State.DEGRADED
    assert "optional call to recs" in result.components["web"].reasons[0].text
    assert result.components["api"].state == State.DEGRADED
    assert "write to the local spool" in result.components["api"].reasons[0].text
    assert result.traffic_lost == 0.0
    assert result.flows["page"].state == "degraded"


def test_unknown_names_are_refused_with_a_suggestion() -> None:
    model, config = model_of(CHAIN)
    with pytest.raises(chaos.ChaosError, match="did you mean 'api'"):
        chaos.simulate(model, config, ["apl"])
    with pytest.raises(chaos.ChaosError, match="no zone named 'mars-1a'"):
        chaos.simulate(model, config, [], ["mars-1a"])


SHARED_CALLS = """name: partial
components:
  users: {type: client}
  web: {type: service, technology: go, replicas: 2, health_check: true}
  search: {type: service, technology: go, replicas: 2, health_check: true}
  cart: {type: service, technology: go, replicas: 2, health_check: true}
connections:
  - {from: users, to: web, protocol: https}
  - {from: web, to: search, protocol: http, timeout_ms: 500, share: 0.3}
  - {from: web, to: cart, protocol: http, timeout_ms: 500, share: 0.7}
flows:
  find: {rps: 30, path: [users, web, search]}
  buy: {rps: 70, path: [users, web, cart]}
"""


def test_a_dependency_some_requests_need_degrades_and_loses_only_its_share() -> None:
    result = simulate(SHARED_CALLS, ["search"])
    web = result.components["web"]
    assert web.state == State.DEGRADED
    assert "30% of its requests need search" in web.reasons[0].text
    assert result.flows["find"].state == "broken"
    # The shares add up to 1, so each request makes one call: buying is untouched.
    assert result.flows["buy"].state == "ok"
    assert result.traffic_lost == pytest.approx(0.3)


ASYNC = """name: orders
components:
  api: {type: service, technology: go, replicas: 2, public: true, health_check: true}
  queue: {type: queue, technology: rabbitmq, replicas: 1}
  mailer: {type: worker, technology: python, replicas: 1, capacity_rps: 50}
connections:
  - {from: api, to: queue, protocol: amqp, mode: async}
  - {from: queue, to: mailer, protocol: amqp, mode: async}
flows:
  order: {rps: 20, path: [api, queue, mailer]}
"""


def test_a_failed_consumer_grows_its_queue_backlog_and_breaks_nothing() -> None:
    result = simulate(ASYNC, ["mailer"])
    assert result.components["api"].state == State.UP
    assert result.components["queue"].state == State.DEGRADED
    assert [b.broker for b in result.backlogs] == ["queue"]
    assert result.backlogs[0].growth_per_hour == pytest.approx(20 * 3600)
    assert "72,000 messages an hour" in result.components["queue"].reasons[0].text
    assert result.flows["order"].state == "degraded"
    assert result.traffic_lost == 0.0


def test_a_failed_broker_degrades_the_publisher() -> None:
    result = simulate(ASYNC, ["queue"])
    assert result.components["api"].state == State.DEGRADED
    assert "cannot hand work to queue" in result.components["api"].reasons[0].text


ZONES = """name: zones
components:
  users: {type: client}
  lb: {type: load-balancer, technology: aws-alb, zones: [a, b, c]}
  api:
    type: service
    technology: go
    replicas: 3
    zones: [a, b, c]
    capacity_rps: 600
    health_check: true
  core:
    type: service
    technology: go
    replicas: 3
    zones: [a, b, c]
    capacity_rps: 400
connections:
  - {from: users, to: lb, protocol: https}
  - {from: lb, to: api, protocol: http, timeout_ms: 1000}
  - {from: api, to: core, protocol: grpc, timeout_ms: 200, retries: 3}
flows:
  call: {rps: 900, path: [users, lb, api, core]}
"""


def test_a_zone_takes_its_replicas_and_the_survivors_carry_the_load() -> None:
    result = simulate(ZONES, [], ["a"])
    api = result.components["api"]
    assert api.replicas_left == 2 and api.capacity_left == pytest.approx(2 / 3)
    # 900 rps on 2 x 600: busier, still below saturation (health checks route around the lost replica).
    assert api.utilisation_before == pytest.approx(900 / 1800)
    assert api.utilisation_after == pytest.approx(900 / 1200)
    assert any(r.text == "lost 1 of 3 replicas with 1 of its 3 zones" for r in api.reasons)
    # A managed balancer spans its zones itself: it keeps running in the others.
    assert any(r.text == "runs on in 2 of its 3 zones" for r in result.components["lb"].reasons)


def test_retries_against_the_lost_replicas_become_a_storm_that_saturates_the_rest() -> None:
    # core has no health check: a third of the attempts still go to the lost replica; api retries
    # them three times, and the extra attempts push the two replicas left past saturation.
    result = simulate(ZONES, [], ["a"])
    core = result.components["core"]
    assert core.state == State.DOWN
    assert core.arrival_after > core.arrival_before * 1.3
    assert core.reasons[0].kind == "saturated"
    assert "retries from api" in core.reasons[0].text
    assert result.components["api"].state == State.DOWN
    assert result.flows["call"].state == "broken"


def test_a_circuit_breaker_stops_the_storm() -> None:
    text = ZONES.replace("retries: 3}", "retries: 3, circuit_breaker: true}")
    down = simulate(text, ["core"])
    assert down.components["core"].arrival_after == 0  # the breaker is open: no call reaches it
    storm = simulate(ZONES, ["core"])
    assert storm.components["core"].arrival_after == pytest.approx(4 * storm.components["core"].arrival_before)


def test_a_call_without_a_timeout_to_a_failed_component_holds_the_caller() -> None:
    text = CHAIN.replace(
        "{from: web, to: recs, protocol: http, timeout_ms: 100, required: false}",
        "{from: web, to: recs, protocol: http, required: false}",
    )
    result = simulate(text, ["recs"])
    web = result.components["web"]
    assert web.state == State.DOWN
    assert web.reasons[0].kind == "timeouts" and "without a timeout" in web.reasons[0].text


def test_a_group_fails_with_its_members() -> None:
    text = CHAIN + "groups:\n  backend: {type: subnet, members: [api, db]}\n"
    result = simulate(text, ["backend"])
    assert result.components["api"].state == State.DOWN
    assert result.components["db"].reasons[0].text == "its group backend failed"
    zone = simulate(text, [], ["backend"])
    assert states(zone) == states(result)


def test_each_ranks_single_failures_by_traffic_lost() -> None:
    model, config = model_of(SHARED_CALLS)
    blasts = chaos.each(model, config)
    assert [(b.target, round(b.traffic_lost, 3)) for b in blasts] == [("web", 1.0), ("cart", 0.7), ("search", 0.3)]


# --- the command line ------------------------------------------------------------------------------


def test_chaos_command_prints_the_cascade(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["chaos", str(SHOP), "--fail", "shop-db"])
    out = capsys.readouterr().out
    assert code == 1
    assert "DOWN     catalog" in out and "needs shop-db (sync, required)" in out
    assert "chain: shop-db -> orders -> checkout" in out
    assert "Traffic lost: 82.2% of the flows' requests." in out


def test_chaos_json_lists_states_flows_and_backlogs(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["chaos", str(SHOP), "--fail", "mailer", "--format", "json"])
    data = json.loads(capsys.readouterr().out)
    assert code == 0
    assert data["down"] == ["mailer"] and data["degraded"] == ["order-queue"]
    assert data["backlogs"][0]["broker"] == "order-queue" and data["backlogs"][0]["growth_per_hour"] > 0
    assert {f["id"]: f["state"] for f in data["flows"]} == {
        "browse": "ok",
        "search-products": "ok",
        "place-order": "ok",
    }


def test_chaos_each_is_a_blast_radius_table(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["chaos", str(SHOP), "--each", "--format", "json"])
    rows = json.loads(capsys.readouterr().out)["each"]
    assert code == 1
    lost = [r["traffic_lost"] for r in rows]
    assert lost == sorted(lost, reverse=True)
    by_target = {r["target"]: r for r in rows}
    assert by_target["data"]["kind"] == "zone"
    assert by_target["shop-db"]["traffic_lost"] > by_target["search"]["traffic_lost"] > 0
    assert "shoppers" not in by_target  # clients are not failed


def test_chaos_usage_errors(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["chaos", str(SHOP)]) == 2
    assert "--fail" in capsys.readouterr().err
    assert main(["chaos", str(SHOP), "--fail", "shopdb"]) == 2
    assert "did you mean 'shop-db'" in capsys.readouterr().err


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_every_single_failure_of_every_example_settles(path: Path) -> None:
    analysis = engine.analyse(path.read_text("utf-8"), str(path))
    assert analysis.model is not None
    blasts = chaos.each(analysis.model, analysis.config, analysis.graph)
    assert blasts
    for blast in blasts:
        assert 0 <= blast.traffic_lost <= 1
        assert blast.target not in blast.down


COMPOSE = """services:
  vote:
    image: example/vote:1.0
    depends_on: [redis]
    environment:
      REDIS_HOST: redis
  result:
    image: example/result:1.0
  redis:
    image: redis:7.2
"""


def test_without_flows_or_a_public_edge_traffic_is_measured_where_nothing_calls_in(tmp_path: Path) -> None:
    path = tmp_path / "compose.yaml"
    path.write_text(COMPOSE, encoding="utf-8")
    analysis = engine.analyse(COMPOSE, str(path))
    assert analysis.model is not None
    if not any(c.target == "redis" for c in analysis.model.connections):
        pytest.skip("the compose reader inferred no connection to redis")
    result = chaos.simulate(analysis.model, analysis.config, ["redis"])
    assert result.components["vote"].state == State.DOWN
    assert result.traffic_basis == "entry points"
    assert result.traffic_lost == pytest.approx(0.5)  # vote of vote and result


# --- routers, retries on a flow, availability without flows --------------------------------------

ROUTER = """name: router
components:
  users: {type: client}
  lb: {type: load-balancer, technology: aws-alb}
  a: {type: service, technology: go, replicas: 2, health_check: true}
  b: {type: service, technology: go, replicas: 2, health_check: true}
connections:
  - {from: users, to: lb, protocol: https}
  - {from: lb, to: a, protocol: http, timeout_ms: 100}
  - {from: lb, to: b, protocol: http, timeout_ms: 100}
"""


def test_a_router_whose_every_target_fails_goes_down_with_all_its_requests() -> None:
    # Each request makes one call: losing both halves loses everything, not 1 - 0.5 x 0.5.
    one = simulate(ROUTER, ["a"])
    assert one.components["lb"].state == State.DEGRADED and one.traffic_lost == pytest.approx(0.5)
    both = simulate(ROUTER, ["a", "b"])
    lb = both.components["lb"]
    assert lb.state == State.DOWN
    assert lb.reasons[0].text == "each of its requests needs one of a, b, and all are down"
    assert both.traffic_lost == pytest.approx(1.0)
    assert both.availability_after == 0.0


def test_a_split_caller_loses_every_request_when_each_of_its_calls_fails() -> None:
    result = simulate(SHARED_CALLS, ["search", "cart"])
    assert result.components["web"].state == State.DOWN
    assert result.traffic_lost == pytest.approx(1.0)
    assert {f.state for f in result.flows.values()} == {"broken"}


FLAKY = """name: flaky
components:
  users: {type: client}
  lb: {type: load-balancer, technology: aws-alb, zones: [za, zb]}
  flaky: {type: service, technology: go, replicas: 4, zones: [za, zb], capacity_rps: 1000}
  store: {type: service, technology: go, replicas: 2, health_check: true}
  search: {type: service, technology: go, replicas: 2, health_check: true}
connections:
  - {from: users, to: lb, protocol: https}
  - {from: lb, to: flaky, protocol: http, timeout_ms: 1000, retries: 3}
  - {from: flaky, to: store, protocol: http, timeout_ms: 200}
  - {from: flaky, to: search, protocol: http, timeout_ms: 300, share: 0.2}
flows:
  get: {rps: 100, latency_budget_ms: 5000, path: [users, lb, flaky, store]}
"""


def test_retries_recover_attempts_that_reach_lost_replicas_and_the_p99_waits_for_their_timeouts() -> None:
    # flaky has no health check: half of the attempts reach the replicas lost with zone za and hang
    # until the 1,000 ms timeout. With 3 retries a request fails only when all 4 attempts do: 0.5^4.
    result = simulate(FLAKY, [], ["za"])
    get = result.flows["get"]
    assert get.lost_share == pytest.approx(0.5**4)
    assert result.traffic_lost == pytest.approx(0.0625)
    # 6.25% of the requests (more than 1 in 100) wait through all 4 timeouts: the p99 does too.
    assert get.p99_after == pytest.approx((get.p99_before or 0) + 4 * 1000, abs=5)
    assert result.components["lb"].failure == pytest.approx(0.0625)
    # The flow's reason is where its requests are lost, not the balancer running on in one zone.
    assert (get.reason or "").startswith("flaky: lost 2 of 4 replicas with 1 of its 2 zones")


def test_retries_do_not_recover_requests_that_need_a_component_that_is_down() -> None:
    # The fifth of flaky's requests that search its history need search again on every retry.
    result = simulate(FLAKY, ["search"])
    get = result.flows["get"]
    assert get.lost_share == pytest.approx(0.2)
    assert "which fails 20% of calls" in result.components["lb"].reasons[0].text
    # At flaky's step the p99 request waits once for search to time out (flaky does not retry it).
    assert get.p99_after == pytest.approx((get.p99_before or 0) + 300, abs=5)


def test_a_partial_failure_behind_a_call_without_a_timeout_leaves_the_p99_unbounded() -> None:
    text = FLAKY.replace(
        "{from: lb, to: flaky, protocol: http, timeout_ms: 1000, retries: 3}", "{from: lb, to: flaky, protocol: http}"
    )
    get = simulate(text, [], ["za"]).flows["get"]
    assert get.state == "degraded" and get.p99_after is None
    assert get.reason == "lb waits without a timeout for flaky, which fails 50% of calls"


def test_without_flows_availability_is_the_entry_points_composite() -> None:
    model, config = model_of(ROUTER)
    res_before = chaos.simulate(model, config, ["a"])
    assert res_before.traffic_basis == "entry points"
    before = res_before.availability_before
    assert before is not None and 0.99 < before < 1
    # Half of the requests are lost; the other half still meet the balancer and b.
    assert res_before.availability_after == pytest.approx(0.5 * before, rel=1e-3)
    assert simulate(ROUTER, ["lb"]).availability_after == 0.0


def test_a_compose_project_reports_availability_at_its_entry_points(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = tmp_path / "compose.yaml"
    path.write_text(COMPOSE, encoding="utf-8")
    code = main(["chaos", str(path), "--fail", "result", "--format", "json"])
    data = json.loads(capsys.readouterr().out)
    assert code == 1 and data["traffic_basis"] == "entry points"
    assert 90 < data["availability_before"] < 100
    # vote and result take equal parts of the requests: losing result leaves vote's part (vote
    # with redis), losing redis leaves result's part; together they are the whole.
    analysis = engine.analyse(COMPOSE, str(path))
    assert analysis.model is not None
    other = chaos.simulate(analysis.model, analysis.config, ["redis"])
    assert other.availability_after is not None and 0.45 < other.availability_after < 0.5
    assert data["availability_after"] + other.availability_after * 100 == pytest.approx(
        data["availability_before"], rel=1e-6
    )
    text = render_text("compose.yaml", "compose", other)
    assert f"Availability: {data['availability_before']:.2f}% before" in text and "(at the entry points)" in text
