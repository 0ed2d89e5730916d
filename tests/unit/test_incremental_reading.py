"""An architecture file read again after an edit, from what its last reading made, gives exactly
what reading it from scratch gives: the YAML data, every source place and reading problem, the model
and every finding with its range and message.

Edits change the file's structure as people do while typing: a ``replicas`` value, a component
renamed, added, moved or removed, a connection added, removed or pointed elsewhere, a line
dropped, doubled, indented or outdented, a new top-level key, a key half typed or a bracket left
open (not valid YAML: the syntax error must be the one reading the whole file stops at), and text
the block-wise reading does not trust (tabs, anchors), which sends it back to reading the whole file.
"""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from archls import engine, yamlsource
from archls.formats.archyaml import SECTIONS

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "bench"))
from generate import architecture  # noqa: E402

SOURCES = {
    "generated.arch.yaml": architecture(40, seed=7),
    "ecommerce.arch.yaml": (ROOT / "examples" / "ecommerce.arch.yaml").read_text(encoding="utf-8"),
}
COMPONENT_KEY = re.compile(r"^  ([\w.-]+):[ \t]*(?:#.*)?$")
ITEM = re.compile(r"^  - ")
ENDPOINT = re.compile(r"\b(from|to): ([\w.-]+)")
REPLICAS = re.compile(r"replicas: (\d+)")


def _section(lines: list[str], name: str) -> tuple[int, int]:
    """The lines of a top-level section's body: [first, end)."""
    start = next((n for n, line in enumerate(lines) if line.startswith(f"{name}:")), None)
    if start is None:
        return len(lines), len(lines)
    end = next((n for n in range(start + 1, len(lines)) if lines[n][:1] not in ("", " ", "#")), len(lines))
    return start + 1, end


def _blocks(lines: list[str], name: str, head: re.Pattern[str]) -> list[tuple[int, int]]:
    """Each child block of a section (a component, a connection) as a line span [start, end)."""
    first, end = _section(lines, name)
    starts = [n for n in range(first, end) if head.match(lines[n])]
    return list(zip(starts, [*starts[1:], end][: len(starts)], strict=True))


def _ids(lines: list[str]) -> list[str]:
    return [m.group(1) for s, _ in _blocks(lines, "components", COMPONENT_KEY) if (m := COMPONENT_KEY.match(lines[s]))]


def _edit(text: str, data: st.DataObject) -> str:
    lines = text.split("\n")
    components = _blocks(lines, "components", COMPONENT_KEY)
    connections = _blocks(lines, "connections", ITEM)
    ids = _ids(lines) or ["nowhere"]
    operation = data.draw(
        st.sampled_from(
            [
                "replicas",
                "replicas",
                "rename",
                "add component",
                "remove component",
                "move component",
                "add connection",
                "remove connection",
                "repoint",
                "line",
            ]
        ),
        label="operation",
    )
    if operation == "replicas" and REPLICAS.search(text):
        spots = [n for n, line in enumerate(lines) if REPLICAS.search(line)]
        at = data.draw(st.sampled_from(spots), label="at")
        value = data.draw(st.sampled_from(["0", "1", "2", "3", "12", "x", ""]), label="replicas")
        lines[at] = REPLICAS.sub(f"replicas: {value}", lines[at])
    elif operation == "rename" and components:
        start, _ = data.draw(st.sampled_from(components), label="component")
        new_id = data.draw(st.sampled_from([*ids, "renamed", "bad id!", "x" * 3]), label="new id")
        lines[start] = f"  {new_id}:"
    elif operation == "add component" and components:
        start, end = data.draw(st.sampled_from(components), label="copied")
        at = data.draw(st.sampled_from([s for s, _ in components] + [components[-1][1]]), label="to")
        new_id = data.draw(st.sampled_from(["added", *ids[:3]]), label="id")
        lines[at:at] = [f"  {new_id}:", *lines[start + 1 : end]]
    elif operation == "remove component" and components:
        start, end = data.draw(st.sampled_from(components), label="removed")
        del lines[start:end]
    elif operation == "move component" and len(components) > 1:
        start, end = data.draw(st.sampled_from(components), label="moved")
        block = lines[start:end]
        del lines[start:end]
        remaining = _blocks(lines, "components", COMPONENT_KEY)
        at = data.draw(st.sampled_from([s for s, _ in remaining]), label="before")
        lines[at:at] = block
    elif operation == "add connection" and connections:
        a, b = data.draw(st.sampled_from(ids), label="from"), data.draw(st.sampled_from(ids), label="to")
        at = data.draw(st.sampled_from([s for s, _ in connections] + [connections[-1][1]]), label="at")
        item = data.draw(
            st.sampled_from(
                [
                    [f"  - {{from: {a}, to: {b}, protocol: https}}"],
                    [f"  - from: {a}", f"    to: {b}", "    timeout_ms: 200"],
                    [f"  - {{from: {a}, to: missing}}"],
                ]
            ),
            label="item",
        )
        lines[at:at] = item
    elif operation == "remove connection" and connections:
        start, end = data.draw(st.sampled_from(connections), label="removed")
        del lines[start:end]
    elif operation == "repoint" and connections:
        start, _ = data.draw(st.sampled_from(connections), label="connection")
        target = data.draw(st.sampled_from([*ids, "missing"]), label="target")
        lines[start] = ENDPOINT.sub(lambda m: f"{m.group(1)}: {target}", lines[start], count=1)
    else:
        at = data.draw(st.integers(0, len(lines) - 1), label="line")
        change = data.draw(
            st.sampled_from(
                [
                    "drop",
                    "double",
                    "indent",
                    "outdent",
                    "blank",
                    "comment",
                    "top",
                    "tab",
                    "anchor",
                    "typing",
                    "unclosed",
                ]
            ),
            label="change",
        )
        line = lines[at]
        if change == "drop":
            del lines[at]
        elif change == "double":
            lines.insert(at, line)
        elif change == "indent":
            lines[at] = "  " + line
        elif change == "outdent":
            lines[at] = line[2:] if line.startswith("  ") else line
        elif change == "blank":
            lines.insert(at, "")
        elif change == "comment":
            lines.insert(at, line[: len(line) - len(line.lstrip())] + "# a note")
        elif change == "top":
            lines.insert(at, data.draw(st.sampled_from(["extra: 1", "flows:", "components:", "name: again"])))
        elif change == "typing":  # a key being typed: not valid YAML until its colon
            lines.insert(at, line[: len(line) - len(line.lstrip())] + data.draw(st.sampled_from(["r", "repl", "- "])))
        elif change == "unclosed":
            lines[at] = line + data.draw(st.sampled_from([" [a,", " {b: ", ' "c']))
        elif change == "tab":
            lines[at] = "\t" + line
        else:
            lines[at] = line + " &anchor"
    return "\n".join(lines)


def _read(doc: yamlsource.YamlDoc) -> Any:
    places = sorted(doc.smap.items(), key=lambda item: repr(item[0]))
    return doc.data, places, [(f.code, f.message, f.range, f.path) for f in doc.issues]


def _seen(analysis: engine.Analysis) -> list[tuple[Any, ...]]:
    return [(f.code, f.message, f.severity, f.range, f.path, f.fix, f.data) for f in analysis.findings]


def _model(analysis: engine.Analysis) -> Any:
    return analysis.model.model_dump(mode="json") if analysis.model is not None else None


#: ARCHLS_INCREMENTAL_EXAMPLES raises both tests' examples for a longer run (the suite keeps them few)
EXAMPLES = int(os.environ.get("ARCHLS_INCREMENTAL_EXAMPLES", "40"))


@settings(max_examples=EXAMPLES, deadline=None)
@given(name=st.sampled_from(sorted(SOURCES)), steps=st.integers(1, 6), data=st.data())
def test_a_file_read_again_after_edits_reads_as_from_scratch(name: str, steps: int, data: st.DataObject) -> None:
    text = SOURCES[name]
    file = f"reading/{name}"
    yamlsource.compose(text, file=file, sections=SECTIONS)
    for step in range(steps):
        text = _edit(text, data)
        again = yamlsource.compose(text, file=file, sections=SECTIONS)
        fresh = yamlsource.compose(text, file=file, sections=SECTIONS, reuse=False)
        assert _read(again) == _read(fresh), f"reading after edit {step + 1}"


@settings(
    max_examples=max(EXAMPLES // 2, 1),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(name=st.sampled_from(sorted(SOURCES)), steps=st.integers(1, 4), data=st.data())
def test_an_audit_after_structural_edits_equals_a_fresh_one(
    tmp_path: Path, name: str, steps: int, data: st.DataObject
) -> None:
    text = SOURCES[name]
    edited, fresh = str(tmp_path / "edited" / name), str(tmp_path / "fresh" / name)
    engine.analyse(text, edited)
    for step in range(steps):
        text = _edit(text, data)
        incremental = engine.analyse(text, edited)
        scratch = engine.analyse(text, fresh, incremental=False)
        assert _seen(incremental) == _seen(scratch), f"findings after edit {step + 1}"
        assert _model(incremental) == _model(scratch), f"model after edit {step + 1}"
        assert incremental.lines == scratch.lines == text.split("\n")


def test_a_replicas_edit_keeps_every_other_part_of_the_model(tmp_path: Path) -> None:
    """The parts an edit did not touch are the very objects of the last audit: nothing downstream has
    to compare them to see that they did not change."""
    text = architecture(40, seed=7)
    path = str(tmp_path / "big.arch.yaml")
    before = engine.analyse(text, path)
    at = text.index("replicas: ", len(text) // 2)
    after = engine.analyse(text[:at] + "replicas: 7" + text[text.index("\n", at) :], path)
    assert before.model is not None and after.model is not None
    changed = [cid for cid, c in after.model.components.items() if c is not before.model.components.get(cid)]
    assert len(changed) == 1 and after.model.components[changed[0]].replicas == 7
    assert all(a is b for a, b in zip(after.model.connections, before.model.connections, strict=True))
    assert all(after.model.flows[f] is before.model.flows[f] for f in after.model.flows)
