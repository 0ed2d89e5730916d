"""Exports: wall time of ``archls export all`` on a 50-component architecture (target: under 1 s),
and checkov's failed-check count on the exported Terraform of each example.

checkov runs from its own venv (``scripts/checkov-venv.sh`` creates ``.venv-checkov`` once).
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(ROOT))

from generate import architecture  # noqa: E402


def export_all_wall_time(components: int = 50, runs: int = 5) -> None:
    from archls import export
    from archls.export.context import build

    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "synthetic.arch.yaml"
        source.write_text(architecture(components), encoding="utf-8")
        cli = []
        for n in range(runs):
            started = time.perf_counter()
            done = subprocess.run(
                [sys.executable, "-m", "archls", "export", "all", str(source), "-o", f"{tmp}/out{n}"],
                capture_output=True, text=True, check=False,
            )  # fmt: skip
            cli.append(time.perf_counter() - started)
            if done.returncode != 0:
                print(f"export failed: {done.stderr.strip()}")
                return
        files = sum(1 for p in Path(f"{tmp}/out0").rglob("*") if p.is_file())
        size = sum(p.stat().st_size for p in Path(f"{tmp}/out0").rglob("*") if p.is_file())
        model, graph = export.load(source)
        in_process = []
        for _ in range(runs):
            started = time.perf_counter()
            export.render(model, "all", graph)
            in_process.append(time.perf_counter() - started)
        per_target = []
        ctx = build(model, graph)
        for target in export.all_targets():
            started = time.perf_counter()
            target.render(ctx)
            per_target.append((time.perf_counter() - started, target.name))
    print(f"export all, {components} components: {files} files, {size / 1024:.0f} KiB")
    print(f"  CLI wall time (process start included): median {statistics.median(cli):.3f} s, best {min(cli):.3f} s "
          f"(target < 1 s)")  # fmt: skip
    print(f"  rendering in process: median {statistics.median(in_process) * 1000:.0f} ms")
    slowest = ", ".join(f"{name} {t * 1000:.0f} ms" for t, name in sorted(per_target, reverse=True)[:5])
    print(f"  slowest targets: {slowest}")


def checkov_failed_checks() -> None:
    from archls import export

    try:
        checkov = subprocess.run(
            [str(ROOT / "scripts" / "checkov-venv.sh")], capture_output=True, text=True, check=True, timeout=1800
        ).stdout.strip()
    except (subprocess.SubprocessError, OSError) as exc:
        print(f"checkov unavailable ({exc}); skipped")
        return
    examples = sorted(ROOT.glob("examples/*.arch.yaml")) + sorted(ROOT.glob("tests/fixtures/export/shop.arch.yaml"))
    for example in examples:
        model, graph = export.load(example)
        with tempfile.TemporaryDirectory() as tmp:
            export.export(model, "terraform-aws", Path(tmp), graph)
            started = time.perf_counter()
            done = subprocess.run(
                [checkov, "-d", tmp, "--framework", "terraform", "--skip-download", "--quiet", "--compact", "-o", "json"],
                capture_output=True, text=True, check=False, timeout=1800,
            )  # fmt: skip
            took = time.perf_counter() - started
        try:
            report = json.loads(done.stdout)
        except json.JSONDecodeError:
            print(f"{example.name}: checkov gave no JSON ({done.stderr.strip()[:200]})")
            continue
        reports = report if isinstance(report, list) else [report]
        summary = Counter()
        failed_ids: Counter[str] = Counter()
        for item in reports:
            for key in ("passed", "failed", "skipped"):
                summary[key] += item.get("summary", {}).get(key, 0)
            for check in item.get("results", {}).get("failed_checks", []):
                failed_ids[check["check_id"]] += 1
        top = ", ".join(f"{cid} x{n}" for cid, n in failed_ids.most_common(8))
        print(f"{example.name}: checkov failed {summary['failed']}, passed {summary['passed']} "
              f"({took:.0f} s); most failed: {top}")  # fmt: skip


def main() -> None:
    export_all_wall_time()
    checkov_failed_checks()


if __name__ == "__main__":
    main()
