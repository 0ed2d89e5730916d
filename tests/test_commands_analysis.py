"""`archls loadtest`, `archls cost` and the estimate line of `archls check`, run as a user would."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from archls.cli import main

ROOT = Path(__file__).resolve().parents[1]
RIDES = ROOT / "examples" / "ride-sharing.arch.yaml"

OVERLOADED = """name: overloaded
requirements: {peak_rps: 3000, budget_monthly: 50}
components:
  web: {type: client}
  api:
    type: service
    technology: python
    replicas: 2
    resources: {cpu: 1, memory_mb: 1024}
connections:
  - {from: web, to: api, protocol: https}
flows:
  browse: {rps: 3000, latency_budget_ms: 200, path: [web, api]}
"""


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_loadtest_prints_flows_and_components(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "loadtest", str(RIDES))
    assert code == 0
    lines = out.splitlines()
    header = next(line for line in lines if line.startswith("flow "))
    assert header.split() == ["flow", "rps", "p50", "p99", "budget", "verdict", "bottleneck"]
    ride = next(line for line in lines if line.startswith("request-ride"))
    assert "800 ms" in ride and " ok " in ride
    gateway = next(line for line in lines if line.startswith("gateway "))
    assert "(3 x 5,000)" in gateway and "%" in gateway
    assert "Saturates at ~" in out


def test_loadtest_json_has_the_same_figures(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "loadtest", str(RIDES), "--format", "json")
    data = json.loads(out)
    assert code == 0
    flows = {f["id"]: f for f in data["flows"]}
    assert flows["driver-location"]["rps"] == 2500
    assert flows["driver-location"]["verdict"] == "ok"
    assert 0 < flows["request-ride"]["p50_ms"] < flows["request-ride"]["p99_ms"] < 800
    components = {c["id"]: c for c in data["components"]}
    assert components["trips-db"]["figures"] == "postgresql"
    assert components["rider-app"]["utilisation"] is None
    assert data["entry_rps"] == pytest.approx(4000)


def test_loadtest_scale_finds_the_breaking_point_and_exits_1(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code, out, _ = run(capsys, "loadtest", str(RIDES), "--scale", "3", "--format", "json")
    data = json.loads(out)
    assert code == 1
    assert any(c["saturated"] for c in data["components"])
    target = tmp_path / "over.arch.yaml"
    target.write_text(OVERLOADED)
    code, out, _ = run(capsys, "loadtest", str(target))
    assert code == 1
    assert "saturated" in out and "over" in out


def test_cost_prints_lines_total_budget_and_alternatives(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "cost", str(RIDES))
    assert code == 0
    assert "trips-db" in out and "db.r6g.xlarge" in out
    total = next(line for line in out.splitlines() if line.startswith("total"))
    assert total.split()[-1].startswith("$")
    assert "within budget" in out
    assert "Not estimated: rider-app (a client)" in out
    assert "Prices from:" in out and "https://aws.amazon.com/rds/postgresql/pricing/" in out


def test_cost_json_and_region(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    target = tmp_path / "tasks.arch.yaml"
    target.write_text("name: t\ncomponents:\n  api: {type: service, replicas: 1, resources: {instance: m5.large}}\n")
    _, out, _ = run(capsys, "cost", str(target), "--format", "json")
    east = json.loads(out)
    _, out, _ = run(capsys, "cost", str(target), "--format", "json", "--region", "eu-west-1")
    west = json.loads(out)
    assert east["total_monthly"] == pytest.approx(0.096 * 730)
    assert west["total_monthly"] == pytest.approx(0.107 * 730)
    assert west["components"][0]["region"] == "eu-west-1"
    assert any(s["kind"] == "arm" for s in east["savings"]) is False  # one replica saves under the threshold


def test_cost_over_budget_exits_1(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    target = tmp_path / "over.arch.yaml"
    target.write_text(OVERLOADED)
    code, out, _ = run(capsys, "cost", str(target))
    assert code == 1
    assert "over budget" in out


def test_commands_report_unreadable_files_as_usage_errors(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, _, err = run(capsys, "cost", str(tmp_path / "missing.arch.yaml"))
    assert code == 2 and "cannot read" in err
    other = tmp_path / "notes.txt"
    other.write_text("hello")
    code, _, err = run(capsys, "loadtest", str(other))
    assert code == 2 and "not a file archls reads" in err
    broken = tmp_path / "broken.arch.yaml"
    broken.write_text("components: [\n")
    code, _, err = run(capsys, "loadtest", str(broken))
    assert code == 2 and "cannot be read as an architecture" in err
    code, _, err = run(capsys, "loadtest", str(RIDES), "--scale", "0")
    assert code == 2


def test_check_prints_the_monthly_estimate(capsys: pytest.CaptureFixture[str]) -> None:
    _, out, _ = run(capsys, "check", str(RIDES))
    last = out.strip().splitlines()[-1]
    # one line per model: its grade, then its cost against the budget
    assert "ride-sharing.arch.yaml (architecture): grade " in last and "; estimated $" in last
    assert "/month against a $45,000 budget" in last


def test_commands_run_as_a_process() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "archls", "loadtest", str(RIDES), "--format", "json"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["name"] == "Ride sharing platform"
