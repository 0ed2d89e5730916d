"""Agreement with checkov and Trivy, claim by claim: the table behind the rule pages' "matching checks".

    .venv/bin/python bench/run.py equivalence

runs the differential test's comparison (tests/equivalence.py) on its inputs and prints, for every
claimed check, the positives and negatives both tools agree on. With ``ARCHLS_CHECKOV_REPO`` naming a
checkout of checkov's sources (its ``checkov/`` and ``tests/`` folders), each claimed checkov check's
own test example (``tests/.../example_<Check>/``) is added to the inputs: checkov's authors wrote those
to pass and fail their check, so they are the sharpest cases there are. They are read in place and
never copied into this repository. Blocks holding values Terraform rejects are left out (see
``rejected_by_terraform``), and so are manifests in forms archls does not read (``unread_by_archls``).
"""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests import equivalence


def checkov_examples(repo: Path, ids: set[str]) -> list[Path]:
    """The example folders of the checks in ``ids`` (``tests/<framework>/.../example_<Check>``)."""
    out: list[Path] = []
    for source in sorted((repo / "checkov").rglob("*.py")):
        text = source.read_text(encoding="utf-8", errors="replace")
        match = re.search(r'\bid\s*=\s*"(CKV2?_[A-Z0-9]+_\d+)"', text)
        if match is None or match.group(1) not in ids:
            continue
        framework = source.relative_to(repo / "checkov").parts[0]
        out += [p for p in (repo / "tests" / framework).rglob(f"example_{source.stem}") if p.is_dir()]
    return sorted(set(out))


#: Values Terraform or the AWS provider reject, which some of checkov's examples use to exercise its
#: parser: Python's ``True``/``False`` (read by Terraform as references to nothing) and backup
#: retentions over AWS's 35 days. A block holding one is not a case either tool can be judged on.
_REJECTED = re.compile(r"=\s*(True|False)\s*$|backup_retention_period\s*=\s*(3[6-9]|[4-9]\d|\d{3,})\b", re.M)


def rejected_by_terraform(resource: equivalence.Resource) -> bool:
    if not resource.file.endswith(".tf"):
        return False
    try:
        lines = Path(resource.file).read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return False
    return bool(_REJECTED.search("\n".join(lines[resource.start - 1 : resource.end])))


def unread_by_archls(resource: equivalence.Resource, seen: dict[tuple[str, str], set[str]]) -> bool:
    """Manifests in forms archls does not read (docs/formats.md): JSON manifests, ``kind: List``
    wrappers, OpenShift's DeploymentConfig, and an object defined twice in one folder (archls keeps
    one object per kind, namespace and name in a manifest set, as the cluster would)."""
    if resource.file.endswith(".tf"):
        return False
    if resource.file.endswith(".json") or resource.type == "DeploymentConfig":
        return True
    if len(seen.get((os.path.dirname(resource.file), resource.name), ())) > 1:
        return True
    try:
        text = Path(resource.file).read_text(encoding="utf-8", errors="replace")
    except OSError:
        return False
    return re.search(r"^kind:\s*List\s*$", text, re.M) is not None


def main() -> None:
    why_not = equivalence.tools_present()
    if why_not:
        print(f"skipped: {why_not}")
        return
    extra: list[Path] = []
    repo = os.environ.get("ARCHLS_CHECKOV_REPO")
    if repo:
        ids = {check for claim in equivalence.claims() if claim.tool == "checkov" for check in claim.checks}
        extra = checkov_examples(Path(repo), ids)
        print(f"checkov's own examples: {len(extra)} folders for {len(ids)} claimed checks")
    paths = equivalence.inputs(extra)
    _, inventory = equivalence.run_checkov(paths, checks=equivalence.INVENTORY_CHECKS | {"CKV_K8S_21"})
    seen: dict[tuple[str, str], set[str]] = {}
    for resource in inventory:
        seen.setdefault((os.path.dirname(resource.file), resource.name), set()).add(resource.file)

    def ignore(resource: equivalence.Resource) -> bool:
        return rejected_by_terraform(resource) or unread_by_archls(resource, seen)

    rows = equivalence.compare(paths, ignore=ignore)
    print(f"{'rule':<8}{'tool':<9}{'positives':>11}{'negatives':>11}  holds  checks")
    for row in sorted(rows, key=lambda r: (r.rule, r.tool)):
        pos = f"{row.positives_agreed}/{row.positives}"
        neg = f"{row.negatives_agreed}/{row.negatives}"
        print(f"{row.rule:<8}{row.tool:<9}{pos:>11}{neg:>11}  {'yes' if row.holds else 'NO ':<5}  {row.check}")
        if not row.holds:
            for resource in (row.missed + row.extra)[:6]:
                side = "missed" if resource in row.missed else "extra"
                print(f"{'':<19}{side}: {resource.name} ({resource.file}:{resource.start})")
    held = sum(row.holds for row in rows)
    print(
        f"claims holding: {held} of {len(rows)} (threshold {equivalence.THRESHOLD:.0%} of positives and of negatives)"
    )


if __name__ == "__main__":
    main()
