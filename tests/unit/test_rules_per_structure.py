"""Rules that keep part of their work per graph structure (ArchGraph.structural) still follow every edit:
a change of structure is seen at once, and a change of anything else is read from the file being audited."""

from __future__ import annotations

from archls import engine
from archls.config import Config

LOOP = """name: shop
components:
  web: {type: client}
  a: {type: service, replicas: 2}
  b: {type: service, replicas: 2}
  c: {type: service, replicas: 2}
connections:
  - {from: web, to: a, timeout_ms: 900}
  - {from: a, to: b, timeout_ms: 500, retries: 2}
  - {from: b, to: c, timeout_ms: 200, retries: 2}
  - {from: c, to: a, timeout_ms: 100}
"""


def messages(text: str, code: str) -> list[str]:
    return [f.message for f in engine.analyse(text, "shop.arch.yaml", Config()).findings if f.code == code]


def test_a_cycle_comes_and_goes_with_the_edit_that_makes_it() -> None:
    assert messages(LOOP, "QUAL001") == ["synchronous required calls form a cycle: a -> b -> c -> a"]
    broken = LOOP.replace("{from: c, to: a, timeout_ms: 100}", "{from: c, to: a, mode: async}")
    assert messages(broken, "QUAL001") == []
    assert messages(LOOP, "QUAL001") == ["synchronous required calls form a cycle: a -> b -> c -> a"]


def test_retries_are_read_from_the_file_whatever_its_structure_shares() -> None:
    chain = LOOP.replace("  - {from: c, to: a, timeout_ms: 100}\n", "")
    assert messages(chain, "REL018") == []  # 3 x 3 = 9 attempts: within the limit of 10
    more = chain.replace("timeout_ms: 200, retries: 2", "timeout_ms: 200, retries: 3")
    assert messages(more, "REL018") == [
        "'c' can receive up to 12 attempts per request: retries multiply along a -> b -> c; retry at one layer only"
    ]
    assert messages(chain, "REL018") == []


def test_fan_in_follows_the_connections() -> None:
    # web, c and nine more call 'a': one over the limit of 10.
    callers = "".join(f"  s{i}: {{type: service}}\n" for i in range(9))
    calls = "".join(f"  - {{from: s{i}, to: a}}\n" for i in range(9))
    text = LOOP.replace("connections:\n", callers + "connections:\n" + calls)
    [message] = messages(text, "QUAL004")
    assert message.startswith("11 components call 'a'")
    assert messages(text.replace("  - {from: s8, to: a}\n", ""), "QUAL004") == []
    assert messages(text, "QUAL004") == [message]
