"""The readers archls uses against tree-sitter: HCL (archls/formats/_hcl.py, python-hcl2's lark grammar)
against tree-sitter-hcl on the corpus's ``.tf`` files, and YAML (PyYAML on libyaml) against
tree-sitter-yaml on a 1,000-service compose file and the corpus's YAML files.

For HCL it prints the parse alone and archls' whole reader (parse and walk into its syntax tree, the
block cache emptied first), and whether tree-sitter puts every block and attribute where archls
does (line and column in code points; tree-sitter counts columns in bytes, converted here). For YAML
the libyaml composer, archls' reader (nodes to data and a source map) and tree-sitter's parse.

tree-sitter comes from scripts/bench-tools.sh (.tools/tree-sitter); archls does not depend on it.
Run: .venv/bin/python bench/run.py parsers
"""

from __future__ import annotations

import contextlib
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
from generate import compose

from archls import yamlsource
from archls.formats import _hcl

ROOT = Path(__file__).resolve().parents[1]
CORPUS = next(
    (p for p in (ROOT.parent / "shared" / "corpus", ROOT.parents[1] / "shared" / "corpus") if p.is_dir()), None
)
REPEAT = 5


def _ms(work: Callable[[], Any]) -> float:
    times = []
    for _ in range(REPEAT):
        started = time.process_time()
        work()
        times.append(time.process_time() - started)
    return statistics.median(times) * 1000


def _ours(path: Path, text: str) -> list[tuple[Any, ...]]:
    out: list[tuple[Any, ...]] = []

    def walk(body: _hcl.Body, depth: int) -> None:
        for name, attribute in body.attributes.items():
            out.append(("attribute", depth, name, attribute.key.start_line, attribute.key.start_col))
        for block in body.blocks:
            out.append(("block", depth, block.type, tuple(block.labels), block.range.start_line, block.range.start_col))
            walk(block.body, depth + 1)

    walk(_hcl.parse(text, str(path)).body, 0)
    return sorted(out, key=str)


def _theirs(parser: Any, text: str) -> list[tuple[Any, ...]]:
    source = text.encode()
    lines = source.split(b"\n")
    out: list[tuple[Any, ...]] = []

    def where(node: Any) -> tuple[int, int]:
        row, byte = node.start_point
        return row, len(lines[row][:byte].decode())

    def walk(body: Any, depth: int) -> None:
        for child in body.named_children:
            kids = child.named_children
            if child.type == "attribute":
                out.append(("attribute", depth, kids[0].text.decode(), *where(child)))
            elif child.type == "block":
                labels = tuple(k.text.decode().strip('"') for k in kids[1:] if k.type in ("string_lit", "identifier"))
                out.append(("block", depth, kids[0].text.decode(), labels, *where(child)))
                inner = next((k for k in kids if k.type == "body"), None)
                if inner is not None:
                    walk(inner, depth + 1)

    body = next((k for k in parser.parse(source).root_node.named_children if k.type == "body"), None)
    if body is not None:
        walk(body, 0)
    return sorted(out, key=str)


def main() -> None:
    if CORPUS is None:
        print("the shared corpus is not beside this checkout; nothing to measure")
        return
    subprocess.run([str(ROOT / "scripts" / "bench-tools.sh")], capture_output=True, check=False)
    sys.path.append(str(ROOT / ".tools" / "tree-sitter"))
    try:
        import tree_sitter
        import tree_sitter_hcl
        import tree_sitter_yaml
    except ImportError:
        print("tree-sitter is not installed (scripts/bench-tools.sh installs it into .tools/tree-sitter)")
        return
    hcl = tree_sitter.Parser(tree_sitter.Language(tree_sitter_hcl.language()))
    files = sorted(CORPUS.rglob("*.tf"))
    texts = [(f, f.read_text(encoding="utf-8")) for f in files]
    encoded = [t.encode() for _, t in texts]
    lark = _hcl._lark()
    size = sum(len(t) for _, t in texts)
    print(f"HCL: {len(files)} .tf files of the corpus ({size / 1000:.0f} kB), CPU time, median of {REPEAT}")
    parse = _ms(lambda: [lark.parse(t.replace("\r\n", "\n") + "\n") for _, t in texts])

    def reader() -> None:
        _hcl._chunks.clear()
        for path, text in texts:
            _hcl.parse(text, str(path))

    whole = _ms(reader)
    sitter = _ms(lambda: [hcl.parse(b) for b in encoded])
    same = sum(1 for path, text in texts if _ours(path, text) == _theirs(hcl, text))
    print(
        f"  lark parse {parse:.1f} ms; archls reader (parse + walk) {whole:.1f} ms; tree-sitter-hcl parse {sitter:.1f} ms"
    )
    print(
        f"  tree-sitter parses {parse / sitter:.1f}x faster than lark; blocks and attributes where archls puts them: {same} of {len(texts)} files"
    )
    block = next(t for _, t in texts if "resource" in t)
    block = block[block.index("resource") :]
    block = block[: block.index("\n}\n") + 3]
    one = _ms(lambda: lark.parse(block + "\n"))
    print(f"  one resource block (what an edit re-parses; the others come from the block cache): lark {one:.2f} ms")

    ytree = tree_sitter.Parser(tree_sitter.Language(tree_sitter_yaml.language()))
    big = compose(1000)
    corpus = [p.read_text(encoding="utf-8", errors="replace") for p in sorted(CORPUS.rglob("*.y*ml"))]
    print("YAML, CPU time, median of", REPEAT)
    for label, texts_ in (
        (f"compose, 1,000 services ({len(big) // 1000} kB)", [big]),
        (f"corpus ({len(corpus)} files)", corpus),
    ):
        data = [t.encode() for t in texts_]

        def libyaml(texts_: list[str] = texts_) -> None:
            for text in texts_:
                with contextlib.suppress(yaml.YAMLError):
                    list(yaml.compose_all(text, Loader=yaml.CSafeLoader))

        def ours(texts_: list[str] = texts_) -> None:
            yamlsource._sections.clear()
            for text in texts_:
                # a multi-document or broken file: the reader's own fallbacks are not timed
                with contextlib.suppress(Exception):
                    yamlsource.compose(text)

        c, o, t = _ms(libyaml), _ms(ours), _ms(lambda data=data: [ytree.parse(b) for b in data])
        print(f"  {label}: libyaml compose {c:.1f} ms; archls reader {o:.1f} ms; tree-sitter-yaml parse {t:.1f} ms")


if __name__ == "__main__":
    main()
