"""An audit that re-runs only the rules an edit touched gives exactly the findings of a fresh audit.

Random edits (values swapped, lines dropped or doubled, keys added) are applied one after another
to real files of each YAML format; after every edit the incremental audit of the same path is
compared with a from-scratch audit of the same text under another path.
"""

from __future__ import annotations

import os
import re
import shutil
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from archls import engine
from archls.config import Config
from tests.shared import CORPUS

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "bench"))
from generate import architecture, compose  # noqa: E402

VALUES = ["3", "1", "0", "true", "false", "public", "internal", "https", "http", "postgres", "redis:7"]
VALUES += ["none", "''", "[]", "{}", "10ms", "99.9", "nginx:latest", "api", "db", "-1", "2000"]
NEW_KEYS = ["tls: false", "replicas: 1", "exposure: public", "auth: none", "privileged: true", "image: app"]
NEW_KEYS += ["technology: postgresql", "restart: always", "encrypted: false", "timeout: 1ms"]

SCALAR = re.compile(r"^(\s*(?:- )?[\w.-]+:\s)(.+)$")
#: Settings the analyses and the scoped rules read, edited wherever they are written (block or flow
#: style): each edit is local to a component, a connection or a flow, the case incremental audits
#: keep most for.
FOCUSED = {
    "replicas": ["0", "1", "2", "5", "40"],
    "timeout_ms": ["1", "50", "300", "5000"],
    "rps": ["1", "300", "9000", "200000"],
    "calls": ["1", "3", "20"],
    "retries": ["0", "3"],
    "zones": ["[a]", "[a, b, c]", "[]"],
    "capacity_rps": ["10", "100000"],
    "latency_ms": ["1", "900"],
    "mode": ["async", "sync"],
    "required": ["false", "true"],
    "public": ["true", "false"],
    "type": ["database", "service", "external", "load-balancer"],
    "version": ['"9.6"', '"16"'],
    "autoscaling": ["{min: 1, max: 8}", "{min: 3, max: 4}"],
}
SETTING = re.compile(r"(?<![\w-])(" + "|".join(FOCUSED) + r"): ([^,}\n]+)")
#: A Terraform attribute and values of every type it might take.
HCL_ATTRIBUTE = re.compile(r"^(\s*[\w-]+\s*=\s*)([^{\[\n]+)$")
HCL_VALUES = ["true", "false", "0", "3", '"gp2"', '"0.0.0.0/0"', '"t2.micro"', '"10.0.0.0/16"', "null"]


def _sources() -> dict[str, str]:
    out = {
        "generated.arch.yaml": architecture(30, seed=3),
        "docker-compose.yml": compose(20, seed=3),
        # edited beside an override (OVERRIDE), whose services are merged into it
        "layered/docker-compose.yml": compose(10, seed=4),
    }
    for name in ("ecommerce.arch.yaml", "ride-sharing.arch.yaml"):
        out[name] = (ROOT / "examples" / name).read_text(encoding="utf-8")
    if CORPUS is not None:
        voting = CORPUS / "example-voting-app" / "docker-compose.yml"
        if voting.is_file():
            out["voting/docker-compose.yml"] = voting.read_text(encoding="utf-8")
        k8s = CORPUS / "kubernetes-goat" / "scenarios" / "cache-store" / "deployment.yaml"
        if k8s.is_file():
            out["k8s/deployment.yaml"] = k8s.read_text(encoding="utf-8")
        terraform = CORPUS / "terragoat" / "aws" / "ec2.tf"
        if terraform.is_file():
            out["tf/ec2.tf"] = terraform.read_text(encoding="utf-8")
    return out


SOURCES = _sources()
OVERRIDE = """services:
  api-1:
    environment:
      WORKERS: "16"
      CACHE_HOST: cache-8
    ports:
      - "9001:80"
  web-5:
    privileged: true
  extra:
    image: redis:7
"""


def _edit(text: str, data: st.DataObject) -> str:
    lines = text.split("\n")
    at = data.draw(st.integers(0, len(lines) - 1), label="line")
    line = lines[at]
    operation = data.draw(
        st.sampled_from(["value", "value", "value", "drop", "double", "key", "setting", "setting", "setting"]),
        label="operation",
    )
    match = SCALAR.match(line)
    attribute = HCL_ATTRIBUTE.match(line)
    if operation in ("value", "setting") and attribute:
        lines[at] = attribute.group(1) + data.draw(st.sampled_from(HCL_VALUES), label="hcl value")
    elif operation == "setting":
        settings = [(n, m) for n, text in enumerate(lines) for m in SETTING.finditer(text)]
        if settings:
            at, found = data.draw(st.sampled_from(settings), label="setting")
            value = data.draw(st.sampled_from(FOCUSED[found.group(1)]), label="to")
            text = lines[at]
            lines[at] = text[: found.start(2)] + value + text[found.end(2) :]
    elif operation == "value" and match:
        lines[at] = match.group(1) + data.draw(st.sampled_from(VALUES), label="value")
    elif operation == "drop":
        del lines[at]
    elif operation == "double":
        lines.insert(at, line)
    else:
        indent = len(line) - len(line.lstrip(" "))
        lines.insert(at + 1, " " * indent + data.draw(st.sampled_from(NEW_KEYS), label="key"))
    return "\n".join(lines)


CONFIGS = [
    None,
    None,
    None,
    Config(thresholds={"load.utilisation_warning": 0.3, "load.timeout_miss_share": 0.2}),
    Config(ignore=["REL010"], severity={"LOAD": "info"}),
]


def _seen(analysis: engine.Analysis) -> list[tuple[Any, ...]]:
    return [(f.code, f.message, f.severity, f.range, f.path, f.fix, f.data) for f in analysis.findings]


def _built(analysis: engine.Analysis, folder: Path) -> Any:
    """The model the audit read, with where each component and connection comes from (which hover and
    the import show): loaders that reuse unchanged parts must build the same as from scratch."""
    model = analysis.model
    if model is None:
        return None

    def where(evidence: Any) -> Any:
        if evidence is None:
            return None
        return (os.path.relpath(evidence.file, folder), evidence.range, evidence.kind, evidence.detail)

    dump = model.model_dump(mode="json")
    dump.pop("name", None)  # a compose project is named after its folder
    return (
        dump,
        {cid: where(getattr(c, "_origin", None)) for cid, c in model.components.items()},
        [[where(e) for e in getattr(c, "_evidence", None) or []] for c in model.connections],
    )


@pytest.fixture(scope="module")
def folders(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    edited, fresh = tmp_path_factory.mktemp("edited"), tmp_path_factory.mktemp("fresh")
    for folder in (edited, fresh):
        for name in SOURCES:
            (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / "layered" / "docker-compose.override.yml").write_text(OVERRIDE, encoding="utf-8")
    yield edited, fresh
    shutil.rmtree(edited, ignore_errors=True)
    shutil.rmtree(fresh, ignore_errors=True)


@settings(
    max_examples=int(os.environ.get("ARCHLS_INCREMENTAL_EXAMPLES", "40")),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(name=st.sampled_from(sorted(SOURCES)), steps=st.integers(1, 4), data=st.data())
def test_incremental_audit_equals_fresh_audit(
    folders: tuple[Path, Path], name: str, steps: int, data: st.DataObject
) -> None:
    edited, fresh = folders
    text = SOURCES[name]
    engine.analyse(text, str(edited / name))
    for step in range(steps):
        text = _edit(text, data)
        # now and then under other settings (thresholds, a category's severity, a rule ignored)
        config = data.draw(st.sampled_from(CONFIGS), label="config")
        incremental = engine.analyse(text, str(edited / name), config)
        scratch = engine.analyse(text, str(fresh / name), config, incremental=False)
        assert _seen(incremental) == _seen(scratch), f"after edit {step + 1} of {name}"
        assert _built(incremental, edited) == _built(scratch, fresh), f"model after edit {step + 1} of {name}"


#: Sources copied into two folders for the twin test: an architecture file and a compose file.
TWINNED = ["ride-sharing.arch.yaml", "generated.arch.yaml", "docker-compose.yml"]


@settings(
    max_examples=max(1, int(os.environ.get("ARCHLS_INCREMENTAL_EXAMPLES", "40")) // 3),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(name=st.sampled_from(TWINNED), steps=st.integers(2, 6), data=st.data())
def test_files_with_equal_texts_edited_apart_each_equal_a_fresh_audit(
    folders: tuple[Path, Path], name: str, steps: int, data: st.DataObject
) -> None:
    # Two files that start with the same text (a copy in another folder) share every block, validated
    # part and per-component figure the readers and analyses remember by content; edited apart, set
    # to each other's text or back to the first, each must still be audited as its own text alone.
    edited, fresh = folders
    paths = [str(edited / folder / name) for folder in ("twin-a", "twin-b")]
    texts = [SOURCES[name], SOURCES[name]]
    for path in paths:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        engine.analyse(texts[0], path)
    for step in range(steps):
        which = data.draw(st.integers(0, 1), label="file")
        action = data.draw(st.sampled_from(["edit", "edit", "other's text", "first text"]), label="action")
        if action == "edit":
            texts[which] = _edit(texts[which], data)
        elif action == "other's text":
            texts[which] = texts[1 - which]
        else:
            texts[which] = SOURCES[name]
        config = data.draw(st.sampled_from(CONFIGS), label="config")
        for index in (which, 1 - which):  # a settings change audits the other one again too
            incremental = engine.analyse(texts[index], paths[index], config)
            scratch = engine.analyse(texts[index], str(fresh / name), config, incremental=False)
            assert _seen(incremental) == _seen(scratch), f"{action} of file {which}, step {step + 1}, {name}"


def _replicas_edited(tmp_path: Path, replicas: int) -> tuple[engine.Analysis, engine.Analysis]:
    """The audits of a 40-component file before and after a mid-file ``replicas`` edit."""
    text = architecture(40, seed=5)
    path = str(tmp_path / "big.arch.yaml")
    before = engine.analyse(text, path)
    at = text.index("replicas: ", len(text) // 2)
    return before, engine.analyse(text[:at] + f"replicas: {replicas}" + text[text.index("\n", at) :], path)


def test_an_edit_reruns_only_the_rules_that_read_what_changed(tmp_path: Path) -> None:
    before, after = _replicas_edited(tmp_path, 7)
    kept = [code for code, run in after.runs.items() if run is before.runs.get(code)]
    rerun = [code for code in after.runs if code not in kept]
    assert kept and rerun
    assert len(kept) > len(rerun)
    assert all(("component", "replicas") in after.runs[code].reads for code in rerun)


def test_a_replicas_edit_judges_again_only_the_component_it_touched(tmp_path: Path) -> None:
    before, after = _replicas_edited(tmp_path, 17)
    old, new = before.rule_context, after.rule_context
    assert old is not None and new is not None
    edited = next(cid for cid, c in new.model.components.items() if c.replicas == 17)
    # the figures of the edited component alone are computed again; graph-wide results are carried over
    assert new.known("analysis").changed == {edited}
    assert new.known("rules.facts") is old.known("rules.facts")
    assert new.known("graph").model is after.model
    # a rule that judges each component on its own ran again, and kept its hits about the others
    kept = 0
    for code in ("LOAD001", "LOAD002"):
        run, earlier = after.runs[code], before.runs[code]
        assert run is not earlier
        known = {id(hit) for hit in earlier.hits}
        others = [hit for hit in run.hits if hit.path[1] != edited]
        assert all(id(hit) in known for hit in others)
        kept += len(others)
    assert kept
    # from scratch, nothing is carried over
    fresh = engine.analyse(after.text, str(tmp_path / "fresh.arch.yaml"), incremental=False)
    assert fresh.rule_context is not None and fresh.rule_context.known("analysis").changed is None
    assert [f.message for f in fresh.findings] == [f.message for f in after.findings]


@pytest.mark.parametrize(
    ("before", "after"),
    [
        # web-0 depends on api-1, whose image names no technology: the connection's port comes from
        # what the target becomes, with no sign of the call changing
        ("image: example/api:1", "image: postgres:16"),
        ("image: example/api:1\n    restart: unless-stopped", "image: example/api:1\n    expose: ['3000']"),
    ],
)
def test_a_connection_follows_its_target_when_only_the_target_changed(
    folders: tuple[Path, Path], before: str, after: str
) -> None:
    edited, fresh = folders
    text = compose(6, seed=3).replace("image: node:22-alpine", "image: example/api:1")
    name = "targets/docker-compose.yml"
    for folder in (edited, fresh):
        (folder / "targets").mkdir(exist_ok=True)
    engine.analyse(text, str(edited / name))
    text = text.replace(before, after, 1)
    incremental = engine.analyse(text, str(edited / name))
    scratch = engine.analyse(text, str(fresh / name), incremental=False)
    assert _built(incremental, edited) == _built(scratch, fresh)
    assert _seen(incremental) == _seen(scratch)


SMALL = """archls: 1
name: reach
requirements: {availability: 99.99}
components:
  web: {type: service, public: true, replicas: 3, zones: [a, b]}
  db: {type: database, technology: postgresql}
  jobs: {type: service, replicas: 3, zones: [a, b]}
  store: {type: database, technology: postgresql}
connections:
  - {from: web, to: db, timeout_ms: 500}
  - {from: jobs, to: store, timeout_ms: 500}
"""


@pytest.mark.parametrize(
    "before, after",
    [
        ("jobs: {type: service, replicas", "jobs: {type: service, public: true, replicas"),
        ("jobs: {type: service,", "jobs: {type: client,"),
        ("{from: jobs, to: store, timeout_ms: 500}", "{from: jobs, to: store, timeout_ms: 500, required: false}"),
    ],
)
def test_an_edit_to_one_component_that_changes_what_others_depend_on(tmp_path: Path, before: str, after: str) -> None:
    # Making 'jobs' an entry point makes 'store' a dependency some entry point cannot work without: the
    # rules scoped to one component judge 'store' again although only 'jobs' changed.
    path = str(tmp_path / "reach.arch.yaml")
    engine.analyse(SMALL, path)
    edited = SMALL.replace(before, after)
    incremental = engine.analyse(edited, path)
    scratch = engine.analyse(edited, str(tmp_path / "fresh.arch.yaml"), incremental=False)
    assert _seen(incremental) == _seen(scratch)
    assert _seen(engine.analyse(SMALL, path)) == _seen(engine.analyse(SMALL, str(tmp_path / "b.arch.yaml")))
