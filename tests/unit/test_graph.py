from archls import engine
from archls.graph import ArchGraph


def model(text: str):
    return engine.analyse(text, "g.arch.yaml").model


CHAIN = """
name: x
components:
  web: {type: client}
  api: {type: service}
  orders: {type: service}
  db: {type: database}
  queue: {type: queue}
  worker: {type: worker}
connections:
  - {from: web, to: api}
  - {from: api, to: orders}
  - {from: orders, to: db}
  - {from: orders, to: queue, mode: async}
  - {from: queue, to: worker, mode: async}
  - {from: worker, to: db}
"""


def test_adjacency_and_fan() -> None:
    graph = ArchGraph(model(CHAIN))
    assert graph.callees("orders") == {"db", "queue"}
    assert graph.callers("db") == {"orders", "worker"}
    assert graph.fan_in("db") == 2
    assert [i for i, _ in graph.between("api", "orders")] == [1]


def test_dependents_follow_blocking_calls_only() -> None:
    graph = ArchGraph(model(CHAIN))
    deps = graph.dependents()
    assert deps["db"] == 4  # orders, api, web (sync chain) and worker
    assert deps["worker"] == 0  # only reached asynchronously
    assert graph.upstream("db", blocking_only=True) == {"orders", "api", "web", "worker"}


def test_cycles_and_reachability() -> None:
    text = CHAIN + "  - {from: db, to: api}\n"
    graph = ArchGraph(model(text))
    [cycle] = graph.blocking_cycles()
    assert sorted(cycle) == [1, 2, 6]
    assert graph.reachable == {"web", "api", "orders", "db", "queue", "worker"}


def test_structural_results_are_shared_between_equal_structures() -> None:
    a = ArchGraph(model(CHAIN))
    b = ArchGraph(model(CHAIN.replace("{type: database}", "{type: database, replicas: 3}")))
    assert a.signature == b.signature
    assert a.blocking is b.blocking


def test_groups_of_includes_parents() -> None:
    text = CHAIN + "groups:\n  vpc: {type: vpc}\n  private: {type: subnet, parent: vpc, members: [db]}\n"
    assert ArchGraph(model(text)).groups_of["db"] == ["private", "vpc"]
