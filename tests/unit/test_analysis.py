"""Load, cost and availability analyses on small architectures, against figures worked out by hand
from the catalog's prices and throughputs."""

from __future__ import annotations

import datetime
import math
from pathlib import Path

import pytest

from archls import engine
from archls.analysis import figures, results
from archls.config import Config, build
from archls.model import Architecture

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def analyse(text: str, config: Config | None = None) -> tuple[Architecture, Config]:
    config = config or Config()
    analysis = engine.analyse(text, "test.arch.yaml", config)
    assert analysis.model is not None, [f.message for f in analysis.findings]
    return analysis.model, analysis.config


# --- load -----------------------------------------------------------------------------------------

CHAIN = """
name: chain
requirements: {peak_rps: 1000}
components:
  web: {type: client}
  api: {type: service, technology: go, replicas: 2, resources: {cpu: 1}}
  db: {type: database, technology: postgresql, resources: {instance: db.m6g.large}}
  cache: {type: cache, technology: redis}
  audit: {type: queue, technology: rabbitmq}
  auditor: {type: worker, technology: python}
connections:
  - {from: web, to: api, protocol: https}
  - {from: api, to: db, protocol: postgres, share: 0.3}
  - {from: api, to: cache, protocol: redis, calls: 3}
  - {from: api, to: audit, protocol: amqp}
  - {from: audit, to: auditor, protocol: amqp}
"""


def test_peak_spreads_over_connections_by_share_and_calls() -> None:
    model, config = analyse(CHAIN)
    load = results(model, config).load
    assert load.entry_rps == 1000
    assert load.components["api"].arrival_rps == pytest.approx(1000)
    assert load.components["db"].arrival_rps == pytest.approx(300)
    assert load.components["cache"].arrival_rps == pytest.approx(3000)
    # A broker takes every message; its consumer's pace is not known from the file.
    assert load.components["audit"].arrival_rps == pytest.approx(1000)
    assert load.components["auditor"].arrival_rps == 0


def test_capacity_is_replicas_times_per_replica_throughput() -> None:
    model, config = analyse(CHAIN)
    api = results(model, config).load.components["api"]
    assert api.per_replica_rps == 4000  # go: 4,000 rps per vCPU, 1 vCPU
    assert api.capacity_rps == 8000
    assert api.utilisation == pytest.approx(1000 / 8000)
    db = results(model, config).load.components["db"]
    assert db.per_replica_rps == 3000  # postgresql: 1,500 per vCPU, db.m6g.large has 2


def test_flows_pin_rates_on_their_path_and_the_rest_of_the_peak_enters_at_the_edge() -> None:
    text = """
name: flows
requirements: {peak_rps: 1000}
components:
  web: {type: client}
  api: {type: service, technology: go, replicas: 2}
  search: {type: service, technology: go, replicas: 2}
  db: {type: database, technology: postgresql, replicas: 2}
connections:
  - {from: web, to: api, protocol: https}
  - {from: api, to: search, protocol: https, share: 0.5}
  - {from: search, to: db, protocol: postgres, calls: 2}
flows:
  find: {rps: 200, path: [web, api, search, db]}
"""
    model, config = analyse(text)
    load = results(model, config).load
    # 200 on the flow plus 800 unattributed at the edge.
    assert load.components["api"].arrival_rps == pytest.approx(1000)
    # The flow's 200 all go to search; of the other 800, share 0.5.
    assert load.components["search"].arrival_rps == pytest.approx(200 + 400)
    assert load.components["db"].arrival_rps == pytest.approx(600 * 2)
    assert load.components["search"].flow_rps == pytest.approx(200)


def test_a_client_splits_its_requests_over_its_connections() -> None:
    text = """
name: split
requirements: {peak_rps: 900}
components:
  web: {type: client}
  cdn: {type: cdn, technology: cloudfront}
  api: {type: service, replicas: 2}
  chat: {type: service, replicas: 2}
connections:
  - {from: web, to: cdn, protocol: https}
  - {from: web, to: api, protocol: https}
  - {from: web, to: chat, protocol: wss}
"""
    model, config = analyse(text)
    load = results(model, config).load
    assert [load.components[c].arrival_rps for c in ("cdn", "api", "chat")] == pytest.approx([300, 300, 300])


def test_a_cdn_passes_on_only_its_misses_unless_a_share_says_otherwise() -> None:
    text = """
name: cdn
requirements: {peak_rps: 1000}
components:
  web: {type: client}
  cdn: {type: cdn, technology: cloudfront}
  images: {type: object-storage, technology: s3}
  app: {type: service, replicas: 2}
connections:
  - {from: web, to: cdn, protocol: https}
  - {from: cdn, to: images, protocol: s3}
  - {from: cdn, to: app, protocol: https, share: 0.4}
"""
    model, config = analyse(text)
    load = results(model, config).load
    assert load.components["images"].arrival_rps == pytest.approx(100)
    assert load.components["app"].arrival_rps == pytest.approx(400)
    # S3 and CloudFront add capacity by themselves: no utilisation.
    assert load.components["images"].utilisation is None


def test_a_cycle_is_not_followed_round_again() -> None:
    text = """
name: loop
requirements: {peak_rps: 100}
components:
  web: {type: client}
  a: {type: service, replicas: 2}
  b: {type: service, replicas: 2}
connections:
  - {from: web, to: a, protocol: https}
  - {from: a, to: b, protocol: grpc}
  - {from: b, to: a, protocol: grpc}
"""
    model, config = analyse(text)
    load = results(model, config).load
    assert load.components["a"].arrival_rps == pytest.approx(100)
    assert load.components["b"].arrival_rps == pytest.approx(100)
    assert load.dropped == [2]


def test_autoscaling_runs_what_the_target_needs_within_its_range() -> None:
    text = """
name: scaling
requirements: {peak_rps: 5000}
components:
  web: {type: client}
  api:
    type: service
    technology: go
    autoscaling: {min: 2, max: 10, target_cpu: 50}
    resources: {cpu: 1}
connections:
  - {from: web, to: api, protocol: https}
"""
    model, config = analyse(text)
    api = results(model, config).load.components["api"]
    assert api.replicas == 3  # ceil(5000 / (4000 x 0.5))
    assert api.capacity_rps == 12000
    assert api.max_capacity_rps == 40000
    assert api.utilisation == pytest.approx(5000 / 12000)


def test_flow_latency_adds_components_and_round_trips_and_amplifies_fan_out() -> None:
    text = """
name: latency
components:
  web: {type: client}
  api: {type: service, technology: go, replicas: 2, latency_ms: 10, capacity_rps: 1000}
  store: {type: database, replicas: 1, latency_ms: 5, capacity_rps: 1000}
connections:
  - {from: web, to: api, protocol: https}
  - {from: api, to: store, protocol: postgres, calls: 4}
flows:
  read: {rps: 100, path: [web, api, store]}
"""
    model, config = analyse(text)
    res = results(model, config)
    flow = res.load.flows["read"]
    api, store = res.load.components["api"], res.load.components["store"]
    assert store.arrival_rps == pytest.approx(400)
    # One 0.5 ms round trip for api -> store; the user's own network to api is not the system's.
    expected_p99 = api.quantile(0.99) + store.quantile(0.99 ** (1 / 4)) + 0.5
    assert flow.p99_ms == pytest.approx(expected_p99)
    assert flow.p50_ms == pytest.approx(api.quantile(0.5) + store.quantile(0.5**0.25) + 0.5)
    assert flow.bottleneck == "store"


def test_a_saturated_component_makes_the_flow_unbounded() -> None:
    text = """
name: saturated
components:
  web: {type: client}
  api: {type: service, replicas: 1, capacity_rps: 100}
connections:
  - {from: web, to: api, protocol: https}
flows:
  read: {rps: 150, latency_budget_ms: 100, path: [web, api]}
"""
    model, config = analyse(text)
    res = results(model, config)
    assert res.load.components["api"].saturated
    assert res.load.flows["read"].p99_ms is None
    assert res.load.flows["read"].saturated == ["api"]
    assert res.load.limit_rps == pytest.approx(100)


def test_no_rates_means_no_utilisation_but_unloaded_latency() -> None:
    model, config = analyse("name: idle\ncomponents:\n  web: {type: client}\n  api: {type: service, replicas: 2}\n")
    res = results(model, config)
    assert not res.load.has_load
    fig = figures(model, config)
    assert fig.components["api"].utilisation is None
    assert fig.components["api"].p99_ms is not None


# --- cost -------------------------------------------------------------------------------------------


def test_fargate_tasks_cost_vcpu_and_memory_hours() -> None:
    text = """
name: tasks
components:
  api: {type: service, technology: go, replicas: 2, resources: {cpu: 1, memory_mb: 2048}}
"""
    model, config = analyse(text)
    api = results(model, config).cost.components["api"]
    # 2 x (1 x $0.04048 + 2 x $0.004445) x 730 h
    assert api.monthly == pytest.approx(2 * (0.04048 + 2 * 0.004445) * 730)
    assert api.per_replica == pytest.approx((0.04048 + 2 * 0.004445) * 730)


def test_instances_are_priced_per_replica_with_their_storage_and_region() -> None:
    text = """
name: db
components:
  db:
    type: database
    technology: postgresql
    replicas: 2
    resources: {instance: db.r6g.xlarge, storage_gb: 100}
  eu-db:
    type: database
    technology: postgresql
    zones: [eu-west-1a]
    resources: {instance: db.r6g.large}
"""
    model, config = analyse(text)
    cost = results(model, config).cost
    # db.r6g.large is $0.225/h in us-east-1; xlarge is twice that; gp3 storage $0.115/GiB-month.
    assert cost.components["db"].monthly == pytest.approx(2 * 0.45 * 730 + 2 * 100 * 0.115)
    eu = cost.components["eu-db"]
    assert eu.region == "eu-west-1"
    assert eu.monthly == pytest.approx(0.225 * 1.10 * 730)
    assert cost.total == pytest.approx(cost.components["db"].monthly + eu.monthly)


def test_stated_cost_wins_and_unpriced_parts_are_listed() -> None:
    text = """
name: stated
components:
  web: {type: client}
  api: {type: service, cost_monthly: 1234}
  psp: {type: external, technology: stripe}
"""
    model, config = analyse(text)
    cost = results(model, config).cost
    assert cost.total == 1234
    assert cost.components["api"].overridden
    assert set(cost.unpriced) == {"web", "psp"}


def test_configured_prices_and_region_override_the_catalog() -> None:
    text = "name: p\ncomponents:\n  api: {type: service, replicas: 1, resources: {cpu: 1, memory_mb: 1024}}\n"
    config = build({"region": "eu-west-1", "catalog": {"prices": {"fargate.vcpu_hour": 0.05}}})
    model, config = analyse(text, config)
    api = results(model, config).cost.components["api"]
    assert api.region == "eu-west-1"
    assert api.monthly == pytest.approx((0.05 + 0.004445) * 730)
    assert api.lines[0].source == "config"


def test_savings_are_worked_out_in_dollars() -> None:
    text = """
name: savings
components:
  web: {type: client}
  api:
    type: service
    technology: go
    replicas: 10
    resources: {cpu: 1, memory_mb: 1024}
  old: {type: service, technology: go, replicas: 2, resources: {instance: m4.large}}
  disk: {type: search, technology: opensearch, resources: {instance: r6g.large, storage_gb: 100, storage_type: gp2}}
connections:
  - {from: web, to: api, protocol: https}
  - {from: web, to: old, protocol: https}
  - {from: web, to: disk, protocol: https}
flows:
  browse: {rps: 1000, path: [web, api]}
"""
    model, config = analyse(text)
    cost = results(model, config).cost
    replicas = cost.savings_for("replicas")[0]
    assert (replicas.cid, replicas.extra["needed"]) == ("api", 2)
    assert replicas.monthly == pytest.approx(8 * (0.04048 + 0.004445) * 730)
    generation = cost.savings_for("generation")[0]
    assert generation.extra == {"from": "m4.large", "to": "m6i.large"}
    assert generation.monthly == pytest.approx((0.10 - 0.096) * 730 * 2)
    # r6g.large (not r6g.large.search) is an EC2 instance, so its volume is priced as EBS.
    storage = cost.savings_for("storage")[0]
    assert storage.monthly == pytest.approx(100 * (0.10 - 0.08))


def test_worst_case_counts_autoscaling_maximums() -> None:
    text = "name: w\ncomponents:\n  api: {type: service, autoscaling: {min: 2, max: 10}, resources: {cpu: 1, memory_mb: 1024}}\n"
    model, config = analyse(text)
    cost = results(model, config).cost
    assert cost.worst_case == pytest.approx(cost.total * 5)


# --- availability -------------------------------------------------------------------------------


def test_component_availability_from_replicas_and_zones() -> None:
    text = """
name: a
components:
  one: {type: service}
  one-zone: {type: service, zones: [a]}
  two-zones: {type: service, replicas: 2, zones: [a, b]}
  three-zones: {type: service, replicas: 3, zones: [a, b, c]}
  sure: {type: service, replicas: 2}
  s3: {type: object-storage, technology: s3}
"""
    model, config = analyse(text)
    comps = results(model, config).availability.components
    assert comps["one"].value == pytest.approx(0.995)
    assert comps["one-zone"].value == pytest.approx(0.995 * 0.999)
    # (1 - 0.001^2)(1 - 0.005^2) would be 0.999974; the multi-zone ceiling holds it at 99.99%.
    assert comps["two-zones"].value == pytest.approx(0.9999)
    assert comps["three-zones"].value == pytest.approx(0.99999)
    assert comps["sure"].value == pytest.approx(0.9999)
    assert comps["s3"].managed and comps["s3"].value == pytest.approx(0.9999)


def test_parallel_replicas_compose_as_one_minus_product_of_failures() -> None:
    text = "name: p\ncomponents:\n  api: {type: service, technology: go, replicas: 2}\n"
    config = build({"catalog": {"technologies": {"go": {"availability": 0.9}}}})
    model, config = analyse(text, config)
    assert results(model, config).availability.components["api"].value == pytest.approx(1 - 0.1**2)


def test_flow_availability_multiplies_what_it_waits_for() -> None:
    text = """
name: f
requirements: {availability: 99.9}
components:
  web: {type: client}
  api: {type: service, replicas: 2, zones: [a, b]}
  db: {type: database}
  queue: {type: queue, technology: sqs}
  worker: {type: worker}
connections:
  - {from: web, to: api, protocol: https}
  - {from: api, to: db, protocol: postgres}
  - {from: api, to: queue, protocol: sqs, mode: async}
  - {from: queue, to: worker, protocol: sqs, mode: async}
flows:
  read: {path: [web, api, db]}
  write: {path: [web, api, queue, worker]}
"""
    model, config = analyse(text)
    res = results(model, config).availability
    assert res.flows["read"].members == ["api", "db"]
    assert res.flows["read"].value == pytest.approx(0.9999 * 0.995)
    # The write is done once it is handed to the queue.
    assert res.flows["write"].members == ["api"]
    assert res.flows["write"].cut_at == "api"
    assert res.target == pytest.approx(0.999)


# --- figures() and the examples ----------------------------------------------------------------------


def test_figures_give_editor_features_what_they_show() -> None:
    model, config = analyse((EXAMPLES / "ride-sharing.arch.yaml").read_text(encoding="utf-8"))
    fig = figures(model, config)
    assert fig.cost_monthly and fig.cost_monthly > 1000
    assert fig.budget_monthly == 45000
    gateway = fig.components["gateway"]
    assert gateway.arrival_rps and gateway.utilisation is not None and 0 < gateway.utilisation < 1
    assert gateway.capacity_rps and gateway.p99_ms and gateway.availability and gateway.cost_monthly
    assert fig.components["rider-app"].cost_monthly is None
    ride = fig.flows["request-ride"]
    assert ride.budget_ms == 800 and ride.p99_ms is not None and ride.p99_ms < 800
    assert ride.availability is not None and ride.availability > 99.9
    assert ride.rps == 300


@pytest.mark.parametrize("path", sorted(EXAMPLES.glob("*.arch.yaml")), ids=lambda p: p.name)
def test_every_example_has_figures_for_every_component_and_flow(path: Path) -> None:
    model, config = analyse(path.read_text(encoding="utf-8"))
    fig = figures(model, config)
    assert set(fig.components) == set(model.components)
    assert set(fig.flows) == set(model.flows)
    assert fig.cost_monthly is not None and fig.cost_monthly > 0
    for flow in fig.flows.values():
        assert flow.availability is None or 0 < flow.availability <= 100
        assert flow.p99_ms is None or math.isfinite(flow.p99_ms)


def test_analyses_are_deterministic_and_cached_per_model() -> None:
    text = (EXAMPLES / "ride-sharing.arch.yaml").read_text(encoding="utf-8")
    model, config = analyse(text)
    assert results(model, config) is results(model, config)
    other = Architecture.model_validate(model.model_dump(by_alias=True))
    again = results(other, config)
    assert again is not results(model, config)
    assert again.cost.total == results(model, config).cost.total
    assert again.load.flows["request-ride"].p99_ms == results(model, config).load.flows["request-ride"].p99_ms


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("    replicas: 3\n", "    replicas: 9\n"),  # one component's capacity
        ("    rps: 300\n", "    rps: 900\n"),  # every arrival on a flow's path
        ("  - from: gateway\n    to: trips", "  - from: matching\n    to: trips"),  # the wiring, into a cycle
    ],
    ids=["replicas", "rate", "wiring"],
)
def test_figures_after_an_edit_are_those_of_a_fresh_read(old: str, new: str) -> None:
    text = (EXAMPLES / "ride-sharing.arch.yaml").read_text(encoding="utf-8")
    assert old in text
    before, config = analyse(text)
    figures(before, config)  # the analyses of the unchanged parts are remembered from here
    edited, _ = analyse(text.replace(old, new, 1))
    fresh = Architecture.model_validate(edited.model_dump(by_alias=True))
    assert figures(edited, config) == figures(fresh, config)
    assert figures(edited, config) != figures(before, config)


def test_as_of_is_a_date_in_the_configuration() -> None:
    assert build({"as_of": "2026-11-26"}).as_of == datetime.date(2026, 11, 26)
