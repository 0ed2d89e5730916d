"""Mutations of real files: the examples and the shared corpus, damaged the way a half-finished
edit, a bad merge or a truncated download damages them."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from hypothesis import strategies as st

from archls.formats.compose import is_compose_file
from archls.formats.kubernetes import looks_like_manifest
from tests.fuzzing.documents import HOSTILE
from tests.shared import CORPUS

ROOT = Path(__file__).resolve().parents[2]

CONFIG_SEED = """\
select: [SEC, PERF]
ignore: [QUAL003]
severity: {SEC001: warning, PERF: info}
per_path:
  - path: "legacy/**"
    ignore: [SEC]
region: eu-west-1
as_of: 2026-01-01
thresholds: {perf.max_fanout: 4, load.target_utilisation: 0.7}
catalog:
  technologies: {postgresql: {throughput_rps: 2000, availability: 0.999}}
  prices: {db.r6g.large: 0.2}
  eol: {redis: {"6": 2025-07-31}}
trusted_registries: ["*.example.com"]
max_file_bytes: 2000000
"""


@cache
def seeds(name: str) -> tuple[bytes, ...]:
    """Real files of format ``name``: the examples for architecture files, the corpus for the rest."""
    found: list[Path] = []
    if name == "arch":
        found = sorted((ROOT / "examples").glob("*.arch.yaml"))
    elif name == "config":
        found = sorted(ROOT.glob("tests/fixtures/**/.archls.yaml"))
    elif CORPUS is not None:
        if name == "terraform":
            found = sorted(CORPUS.rglob("*.tf"))
        elif name == "compose":
            found = sorted(p for p in CORPUS.rglob("*.y*ml") if is_compose_file(str(p)))
        elif name == "kubernetes":
            found = sorted(
                p
                for p in CORPUS.rglob("*.y*ml")
                if looks_like_manifest(p.read_text(encoding="utf-8", errors="replace"))
            )
    out = [p.read_bytes() for p in found if p.stat().st_size < 200_000]
    if name == "config":
        out.append(CONFIG_SEED.encode())
    if not out:
        # without the shared corpus, the generated documents' shapes are the only seeds
        out.append(_fallback(name).encode())
    return tuple(out)


def _fallback(name: str) -> str:
    import sys

    sys.path.insert(0, str(ROOT / "bench"))
    from generate import compose

    if name == "compose":
        return compose(5, seed=1)
    if name == "terraform":
        return 'resource "aws_s3_bucket" "b" {\n  bucket = "x"\n  acl = "public-read"\n}\n'
    return "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n  - {name: a, image: nginx}\n"


@st.composite
def mutated(draw: st.DrawFn, name: str) -> bytes:
    """A real file of format ``name`` after one to four mutations."""
    pool = seeds(name)
    data = draw(st.sampled_from(pool))
    for _ in range(draw(st.integers(1, 4))):
        operation = draw(
            st.sampled_from(
                ["flip", "flip", "delete", "duplicate", "truncate", "splice", "swap", "insert", "indent", "chunk"]
            )
        )
        lines = data.split(b"\n")
        at = draw(st.integers(0, len(lines) - 1))
        if operation == "flip" and data:
            where = draw(st.integers(0, len(data) - 1))
            bit = 1 << draw(st.integers(0, 7))
            data = data[:where] + bytes([data[where] ^ bit]) + data[where + 1 :]
        elif operation == "delete":
            count = draw(st.integers(1, 5))
            data = b"\n".join(lines[:at] + lines[at + count :])
        elif operation == "duplicate":
            count = draw(st.integers(1, 5))
            data = b"\n".join(lines[: at + count] + lines[at : at + count] + lines[at + count :])
        elif operation == "truncate":
            data = data[: draw(st.integers(0, len(data)))]
        elif operation == "splice":
            other = draw(st.sampled_from(pool))
            cut, other_cut = draw(st.integers(0, len(data))), draw(st.integers(0, len(other)))
            data = data[:cut] + other[other_cut:]
        elif operation == "swap" and len(lines) > 1:
            other = draw(st.integers(0, len(lines) - 1))
            lines[at], lines[other] = lines[other], lines[at]
            data = b"\n".join(lines)
        elif operation == "insert":
            where = draw(st.integers(0, len(data)))
            data = data[:where] + draw(st.sampled_from(HOSTILE)).encode("utf-8", "surrogatepass") + data[where:]
        elif operation == "indent":
            lines[at] = draw(st.sampled_from([b" ", b"\t", b"  - ", b"# "])) + lines[at]
            data = b"\n".join(lines)
        elif operation == "chunk" and data:
            # a random block of the file repeated elsewhere (a bad merge)
            start = draw(st.integers(0, len(data) - 1))
            piece = data[start : start + draw(st.integers(1, 400))]
            where = draw(st.integers(0, len(data)))
            data = data[:where] + piece + data[where:]
    return data
