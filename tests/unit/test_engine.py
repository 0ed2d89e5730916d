"""The engine seam: rule isolation, configuration, caching, decoding."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from archls import config, engine
from archls.findings import Severity
from archls.rules import registry
from archls.rules.registry import Hit, RuleContext, rule

LOOP = """name: loop
components:
  web: {type: client}
  a: {type: service}
  b: {type: service}
  orphan: {type: service}
connections:
  - {from: web, to: a}
  - {from: a, to: b}
  - {from: b, to: a}
"""


@pytest.fixture
def exploding_rule() -> Iterator[str]:
    @rule("QUAL098", "Always fails", severity=Severity.WARNING, what="x", why="x", example="x", fix="x")
    def boom(ctx: RuleContext) -> Iterator[Hit]:
        raise RuntimeError("kaboom")
        yield  # pragma: no cover

    yield "QUAL098"
    del registry.REGISTRY["QUAL098"]


def test_a_failing_rule_is_isolated(exploding_rule: str) -> None:
    errors: list[tuple[str, str]] = []
    analysis = engine.analyse(
        LOOP + "# isolate\n", "e.arch.yaml", on_rule_error=lambda rid, tb: errors.append((rid, tb))
    )
    got = [f.code for f in analysis.findings]
    assert "QUAL001" in got and "QUAL002" in got
    [internal] = [f for f in analysis.findings if f.code == "ARCH000"]
    assert "QUAL098" in internal.message and "kaboom" in internal.message
    assert errors and errors[0][0] == "QUAL098" and "RuntimeError" in errors[0][1]


def test_ignore_select_and_severity() -> None:
    structural = ["QUAL001", "QUAL002", "QUAL003"]
    cfg = config.build({"select": structural, "ignore": ["QUAL002"], "severity": {"QUAL": "info"}})
    findings = engine.analyse(LOOP, "e.arch.yaml", cfg).findings
    assert [(f.code, f.severity) for f in findings] == [("QUAL001", Severity.INFO)]
    only = engine.analyse(LOOP, "e.arch.yaml", config.build({"select": ["QUAL002"]})).findings
    assert [f.code for f in only] == ["QUAL002"]


def test_per_path_overrides(tmp_path) -> None:
    (tmp_path / ".archls.yaml").write_text("select: [QUAL]\nper_path:\n  - path: legacy/*\n    ignore: [QUAL]\n")
    (tmp_path / "legacy").mkdir()
    legacy = tmp_path / "legacy" / "old.arch.yaml"
    current = tmp_path / "new.arch.yaml"
    assert [f.code for f in engine.analyse(LOOP, str(legacy), config.for_path(legacy)).findings] == []
    assert "QUAL001" in [f.code for f in engine.analyse(LOOP, str(current), config.for_path(current)).findings]


def test_project_config_from_pyproject_and_editor_override(tmp_path) -> None:
    (tmp_path / "pyproject.toml").write_text("[tool.archls]\nignore = ['QUAL001']\nregion = 'eu-west-1'\n")
    cfg = config.for_path(tmp_path / "a.arch.yaml", {"region": "us-east-1", "debounceMs": 0})
    assert cfg.ignore == ["QUAL001"]
    assert cfg.region == "us-east-1"
    assert cfg.debounce_ms == 0


def test_invalid_project_config_is_a_clear_error(tmp_path) -> None:
    (tmp_path / ".archls.yaml").write_text("ignroe: [SEC001]\n")
    with pytest.raises(config.ConfigError, match="ignroe"):
        config.for_path(tmp_path / "a.arch.yaml")


def test_results_are_cached_by_content() -> None:
    first = engine.analyse(LOOP, "c.arch.yaml")
    assert engine.analyse(LOOP, "c.arch.yaml") is first
    assert engine.analyse(LOOP + "\n", "c.arch.yaml") is not first


def test_oversized_text_is_one_finding() -> None:
    text = "name: x\n" + "#" * 6_000_000 + "\n"
    [finding] = engine.analyse(text, "big.arch.yaml").findings
    assert finding.code == "ARCH008" and finding.range.start_line == 0


def test_decode_reports_first_bad_byte() -> None:
    text, finding = engine.decode(b"name: x\ncomponents:\n  caf\xe9: {type: service}\n")
    assert finding is not None and finding.code == "ARCH009"
    assert (finding.range.start_line, finding.range.start_col) == (2, 5)
    assert "\ufffd" in text
    assert engine.decode("\ufeffname: x\n".encode())[0] == "name: x\n"


def test_unclaimed_files_are_left_alone() -> None:
    assert not engine.claims("config.yaml", "foo: bar\n")
    assert engine.analyse("foo: [\n", "config.yaml").findings == []
