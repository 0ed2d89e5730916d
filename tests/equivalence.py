"""Differential testing of the checks archls claims to match: archls beside checkov and Trivy, the
real tools, on the same inputs.

Every rule names the checkov, Trivy and KICS checks it matches (``Code.checkov``, ``Code.trivy``,
``Code.kics``) or is only related to (``Code.related``). For each matching claim this module runs
both tools over the same files and compares them resource by resource: a *positive* is a resource
the other tool fails, a *negative* one it evaluates and passes (for Trivy, which reports no passing
resources, a resource of a type the check failed somewhere). archls agrees on a resource when its
rule reports inside it exactly when the other tool does.

The inputs are the shared corpus (terragoat, kubernetes-goat, online-boutique, the voting app's
manifests) and the cases in ``tests/fixtures/equivalence`` (variants written for the claims: values
through variables and locals, heredocs, references between resources, ...). ``bench/run.py
equivalence`` adds checkov's own test examples when ``ARCHLS_CHECKOV_REPO`` names a checkov
checkout.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from tests.shared import CORPUS, ROOT

CASES = ROOT / "tests" / "fixtures" / "equivalence"
CHECKOV = ROOT / ".venv-checkov" / "bin" / "checkov"
TRIVY = ROOT / ".tools" / "trivy" / "bin" / "trivy"
CORPUS_DIRS = (
    "terragoat/aws",
    "kubernetes-goat/scenarios",
    "online-boutique/release",
    "online-boutique/terraform",
    "example-voting-app/k8s-specifications",
)
#: checkov checks run for the resources they evaluate, not their verdicts: without them no claimed
#: check would put RBAC bindings in the inventory, and Trivy's verdicts on bindings would be lost.
INVENTORY_CHECKS = frozenset({"CKV_K8S_42"})
#: A matching claim must hold on at least this share of its positives and of its negatives.
THRESHOLD = 0.9


@dataclass(frozen=True, order=True)
class Resource:
    file: str
    start: int  # 1-based, inclusive
    end: int
    name: str
    type: str


@dataclass
class Verdicts:
    """What one tool said of one check: resources failed and resources passed."""

    failed: set[Resource] = field(default_factory=set)
    passed: set[Resource] = field(default_factory=set)
    #: Resources the tool skipped for a skip comment: no verdict to compare with. (checkov also takes
    #: a ``# checkov:skip`` inside a heredoc, a shell script's line, for one; archls does not.)
    skipped: set[Resource] = field(default_factory=set)


@dataclass
class Row:
    rule: str
    tool: str
    check: str
    positives: int
    positives_agreed: int
    negatives: int
    negatives_agreed: int
    missed: list[Resource] = field(default_factory=list)
    extra: list[Resource] = field(default_factory=list)

    @property
    def holds(self) -> bool:
        ok_pos = self.positives == 0 or self.positives_agreed / self.positives >= THRESHOLD
        ok_neg = self.negatives == 0 or self.negatives_agreed / self.negatives >= THRESHOLD
        return ok_pos and ok_neg

    def share(self) -> str:
        return f"+{self.positives_agreed}/{self.positives} -{self.negatives_agreed}/{self.negatives}"


def inputs(extra: Iterable[Path] = ()) -> list[Path]:
    out = [CASES]
    if CORPUS is not None:
        out += [CORPUS / d for d in CORPUS_DIRS if (CORPUS / d).is_dir()]
    return [*out, *extra]


def normalise(tool: str, check: str) -> str:
    """One spelling per id: Trivy writes AVD-AWS-0086, AWS-0086, KSV011 and KSV-0011 for the same checks."""
    if tool != "trivy":
        return check
    check = check.removeprefix("AVD-")
    match = re.fullmatch(r"([A-Z]+)-?0*(\d+)", check)
    return f"{match.group(1)}-{int(match.group(2)):04d}" if match else check


# --- running the tools ------------------------------------------------------------------------


def _documents(text: str) -> Iterator[object]:
    decoder = json.JSONDecoder()
    index = 0
    while index < len(text):
        while index < len(text) and text[index].isspace():
            index += 1
        if index >= len(text):
            break
        value, index = decoder.raw_decode(text, index)
        yield value


def run_checkov(
    paths: list[Path], binary: Path = CHECKOV, checks: Iterable[str] = ()
) -> tuple[dict[str, Verdicts], set[Resource]]:
    """checkov's verdicts per check id (all, or only ``checks``), and every resource it evaluated
    (the inventory)."""
    command = [str(binary)]
    for path in paths:
        command += ["-d", str(path)]
    command += ["--framework", "terraform", "kubernetes", "--skip-download", "-o", "json"]
    if checks:
        command += ["--check", ",".join(sorted(checks))]
    done = subprocess.run(command, capture_output=True, text=True, check=False, timeout=900)
    if done.returncode not in (0, 1):
        raise RuntimeError(f"checkov failed: {done.stderr[-2000:]}")
    verdicts: dict[str, Verdicts] = {}
    inventory: set[Resource] = set()
    for document in _documents(done.stdout):
        for report in document if isinstance(document, list) else [document]:
            results = report.get("results", {}) if isinstance(report, dict) else {}
            for key, failed in (("failed_checks", True), ("passed_checks", False), ("skipped_checks", None)):
                for item in results.get(key, []):
                    start, end = item.get("file_line_range") or (0, 0)
                    resource = Resource(
                        os.path.realpath(item["file_abs_path"]),
                        int(start),
                        int(end),
                        item.get("resource", ""),
                        str(item.get("resource", "")).split(".", 1)[0],
                    )
                    inventory.add(resource)
                    bucket = verdicts.setdefault(item["check_id"], Verdicts())
                    {True: bucket.failed, False: bucket.passed, None: bucket.skipped}[failed].add(resource)
    return verdicts, inventory


def run_trivy(paths: list[Path], binary: Path = TRIVY) -> dict[str, set[tuple[str, int, int]]]:
    """Trivy's failures per check id: (file, first line, last line)."""
    out: dict[str, set[tuple[str, int, int]]] = {}
    home = ROOT / ".tools" / "trivy" / "home"
    home.mkdir(parents=True, exist_ok=True)
    for path in paths:
        done = subprocess.run(
            [str(binary), "config", "--skip-check-update", "--format", "json", "--quiet", str(path)],
            capture_output=True,
            text=True,
            check=False,
            timeout=600,
            env={**os.environ, "HOME": str(home), "TRIVY_CACHE_DIR": str(home / "cache")},
        )
        if done.returncode != 0:
            raise RuntimeError(f"trivy failed on {path}: {done.stderr[-2000:]}")
        report = json.loads(done.stdout or "{}")
        base = path if path.is_dir() else path.parent
        secrets = subprocess.run(
            [
                str(binary),
                "fs",
                "--scanners",
                "secret",
                "--skip-check-update",
                "--format",
                "json",
                "--quiet",
                str(path),
            ],
            capture_output=True,
            text=True,
            check=False,
            timeout=600,
            env={**os.environ, "HOME": str(home), "TRIVY_CACHE_DIR": str(home / "cache")},
        )
        for result in json.loads(secrets.stdout or "{}").get("Results") or []:
            target = os.path.realpath(base / result["Target"])
            for item in result.get("Secrets") or []:
                out.setdefault(item["RuleID"], set()).add((target, int(item["StartLine"]), int(item["EndLine"])))
        for result in report.get("Results") or []:
            target = os.path.realpath(base / result["Target"])
            for item in result.get("Misconfigurations") or []:
                cause = item.get("CauseMetadata") or {}
                if item.get("Status") != "FAIL" or not cause.get("StartLine"):
                    continue
                out.setdefault(normalise("trivy", item["ID"]), set()).add(
                    (target, int(cause["StartLine"]), int(cause.get("EndLine") or cause["StartLine"]))
                )
    return out


def run_archls(paths: list[Path]) -> dict[str, set[tuple[str, int]]]:
    """archls's findings per rule: (file, line)."""
    done = subprocess.run(
        [sys.executable, "-m", "archls", "check", *map(str, paths), "--format", "json", "--fail-on", "never"],
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
        timeout=900,
    )
    if done.returncode != 0:
        raise RuntimeError(f"archls check failed: {done.stderr[-2000:]}")
    data = json.loads(done.stdout)
    out: dict[str, set[tuple[str, int]]] = {}
    for item in data if isinstance(data, list) else data["findings"]:
        file = item["file"] if os.path.isabs(item["file"]) else str(ROOT / item["file"])
        out.setdefault(item["rule"], set()).add((os.path.realpath(file), int(item["line"])))
    return out


# --- comparing --------------------------------------------------------------------------------


def _by_file(inventory: set[Resource]) -> dict[str, list[Resource]]:
    by_file: dict[str, list[Resource]] = {}
    for resource in inventory:
        by_file.setdefault(resource.file, []).append(resource)
    return by_file


def _resources_at(by_file: dict[str, list[Resource]], file: str, line: int) -> list[Resource]:
    """Every resource around a line: checkov reads some blocks twice (a Deployment and the Pod it
    templates) and its secret scanner reports single lines inside resources."""
    return [r for r in by_file.get(file, ()) if r.start <= line <= r.end]


def _configured_buckets(paths: list[Path]) -> list[tuple[str, int, int, tuple[str, str]]]:
    """(file, first line, last line) of each S3 settings resource (aws_s3_bucket_versioning,
    ..._public_access_block) and the (file, address) of the bucket it configures. archls reports a
    setting where it is written, checkov the bucket: a finding in one counts for the other."""
    from archls import engine
    from archls.formats._tfmap import attached_to

    folders = {tf.parent for path in paths for tf in (path.rglob("*.tf") if path.is_dir() else [path])}
    out: list[tuple[str, int, int, tuple[str, str]]] = []
    for folder in sorted(folders):
        first = sorted(folder.glob("*.tf"))[0]
        analysis = engine.analyse(first.read_text(encoding="utf-8"), str(first))
        project = getattr(analysis.loaded.native if analysis.loaded else None, "project", None)
        if project is None:
            continue
        for resource in project.resources:
            if not resource.type.startswith("aws_s3_bucket_"):
                continue
            bucket = attached_to(resource, project, "bucket", "aws_s3_bucket")
            if bucket is not None:
                where = resource.block.range
                target = (os.path.realpath(bucket.file), bucket.address)
                out.append((os.path.realpath(resource.file), where.start_line + 1, where.end_line + 1, target))
    return out


@dataclass(frozen=True)
class Claim:
    """A rule's claim to match a group of one tool's checks. A rule that covers what several checks
    cover between them (SEC010: hostPID, hostIPC and hostNetwork) matches their union: a resource is a
    positive when any of them fails it."""

    rule: str
    tool: str
    checks: tuple[str, ...]

    @property
    def check(self) -> str:
        return ", ".join(self.checks)


def claims() -> list[Claim]:
    from archls.rules.registry import all_codes

    out = []
    for code in all_codes():
        for tool, ids in (("checkov", code.checkov), ("trivy", code.trivy)):
            if ids:
                out.append(Claim(code.id, tool, tuple(ids)))
    return out


def compare(
    paths: list[Path],
    checkov: Path = CHECKOV,
    trivy: Path | None = TRIVY,
    ignore: Callable[[Resource], bool] | None = None,
) -> list[Row]:
    """One row per claim. ``ignore`` names resources that are no case at all (for example, blocks
    Terraform itself rejects)."""
    everything = claims()
    # Only the claimed checks: checkov runs in half the time, and the resources they evaluate are the
    # inventory every claim is judged on. The three tools run side by side.
    claimed = {check for claim in everything if claim.tool == "checkov" for check in claim.checks}
    claimed |= INVENTORY_CHECKS
    with ThreadPoolExecutor(max_workers=3) as pool:
        checkov_run = pool.submit(run_checkov, paths, checkov, claimed)
        trivy_run = pool.submit(run_trivy, paths, trivy) if trivy is not None else None
        archls_run = pool.submit(run_archls, paths)
        verdicts, inventory = checkov_run.result()
        failures = trivy_run.result() if trivy_run is not None else {}
        hits = archls_run.result()
    by_file = _by_file(inventory)
    named = {(r.file, r.name): r for r in inventory}
    settings = _configured_buckets(paths)

    def lifted(file: str, line: int) -> set[Resource]:
        """The resources around a line, and the bucket a settings resource there configures."""
        around = set(_resources_at(by_file, file, line))
        around |= {named[b] for f, start, end, b in settings if f == file and start <= line <= end and b in named}
        return around

    fired: dict[str, set[Resource]] = {}
    for rule, places in hits.items():
        fired[rule] = {r for f, line in places for r in lifted(f, line)}
    rows = []
    for claim in everything:
        if claim.tool == "checkov":
            groups = [verdicts.get(check, Verdicts()) for check in claim.checks]
            skipped = set().union(*(g.skipped for g in groups))
            positives = {x for g in groups for r in g.failed for x in lifted(r.file, r.start)} - skipped
            negatives = set().union(*(g.passed for g in groups)) - positives - skipped
        else:
            if trivy is None:
                continue
            failed = {
                r
                for check in claim.checks
                for f, start, _ in failures.get(normalise("trivy", check), ())
                for r in lifted(f, start)
            }
            # Trivy names no passing resource: the other resources of the types it failed are its negatives.
            types = {r.type for r in failed}
            positives, negatives = failed, {r for r in inventory if r.type in types} - failed
        if ignore is not None:
            positives = {r for r in positives if not ignore(r)}
            negatives = {r for r in negatives if not ignore(r)}
        # A native rule steps aside where a model rule already reports the same problem (one finding
        # per problem), so archls's answer to a check is every rule that claims it.
        partners = {c.rule for c in everything if c.tool == claim.tool and set(c.checks) & set(claim.checks)}
        mine = set().union(*(fired.get(rule, set()) for rule in partners))
        rows.append(
            Row(
                claim.rule,
                claim.tool,
                claim.check,
                len(positives),
                len(positives & mine),
                len(negatives),
                len(negatives - mine),
                missed=sorted(positives - mine),
                extra=sorted(negatives & mine),
            )
        )
    return rows


def tools_present() -> str | None:
    """Why the comparison cannot run here, or None."""
    if not CHECKOV.exists():
        return "checkov is not installed: run scripts/checkov-venv.sh (make test runs it)"
    if not TRIVY.exists():
        return "trivy is not installed: run scripts/export-validators.sh (make test runs it)"
    if shutil.which("git") is None:
        return "git is needed"
    return None
