"""The long soak: one server, 50 documents of every format, scripted editing for an hour.

``python bench/run.py soak [--minutes 60] [--documents 50] [--seed 0]``

Edits, saves, closes, reopens, settings changes and requests (the mix of tests/fuzzing/soak.py)
run against the real server (``archls serve`` over stdio). Every minute it prints the server's
resident memory; at the end, the growth after the warm-up, request latency percentiles per kind,
every error, and whether each open document's diagnostics equal a fresh ``archls check`` of its
final text.

The warm-up ends at the later of a tenth of the run and :data:`WARM_OPERATIONS` operations: the
memos fill by operations, not minutes, so on a loaded machine, where few operations run early, a
tenth of the time alone would measure growth from caches still filling.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.e2e.conftest import make_client, start  # noqa: E402
from tests.fuzzing.soak import REQUESTS, Soak, documents, final_diagnostics, fresh_audit, rss_mb  # noqa: E402

#: Operations after which the server's memory has levelled off with 50 documents: the memos (bounded
#: by count and by the last 256 audits) are full. Hour-long run: flat at 154.6-155.3 MB from the
#: 21,575th operation on; 7-minute runs: flat from 12,000-20,000 operations.
WARM_OPERATIONS = 20_000


async def soak(minutes: float, count: int, seed: int) -> None:
    client = make_client()
    await client.start_io(sys.executable, "-m", "archls", "serve")
    root = Path(tempfile.mkdtemp(prefix="archls-soak-"))
    await start(client, "visual-studio-code", root)
    pid = client._server.pid
    session = Soak(client, root, documents(count), seed=seed)
    session.open_all()
    started = time.perf_counter()
    end = started + minutes * 60
    warm_at = started + minutes * 6  # a tenth of the run, and at least WARM_OPERATIONS operations
    warm: tuple[float, int, float] | None = None  # (seconds, operations, RSS) when the warm-up ended
    next_sample = started
    steps = 0
    print(f"{count} documents, {minutes:g} min, server pid {pid}; RSS over time:")
    while time.perf_counter() < end:
        await session.step()
        steps += 1
        now = time.perf_counter()
        if now >= next_sample:
            memory = rss_mb(pid)
            session.stats.memory.append((now - started, steps, memory))
            print(f"  {(now - started) / 60:5.1f} min  {steps:7d} operations  RSS {memory:6.1f} MB", flush=True)
            next_sample += 60
        if warm is None and now >= warm_at and steps >= WARM_OPERATIONS:
            warm = (now - started, steps, rss_mb(pid))
    shown = await final_diagnostics(session)
    last = rss_mb(pid)
    fresh = fresh_audit(root, sorted(session.open))
    stale = [path for path in sorted(session.open) if shown[path] != fresh.get(path, [])]
    logged = [m.message.splitlines()[0] for m in client.log_messages if m.type == 1]
    await client.shutdown_session()

    stats = session.stats
    print(f"operations: {steps} ({', '.join(f'{k} {v}' for k, v in sorted(stats.operations.items()))})")
    if warm is not None:
        seconds, done, memory = warm
        which = f"{WARM_OPERATIONS:,} operations" if done == WARM_OPERATIONS else "a tenth of the run"
        print(
            f"warm-up: {seconds / 60:.1f} min, {done:,} operations (the later of a tenth of the run and "
            f"{WARM_OPERATIONS:,} operations: {which})"
        )
        print(
            f"RSS after the warm-up {memory:.1f} MB, at the end {last:.1f} MB: {100 * (last - memory) / memory:+.1f} %"
        )
    else:
        print(
            f"RSS at the end {last:.1f} MB; the warm-up ({WARM_OPERATIONS:,} operations) did not end: no growth figure"
        )
    print("| request | n | p50 ms | p90 ms | p99 ms | max ms |")
    print("|---|---|---|---|---|---|")
    for kind in REQUESTS:
        values = stats.latencies.get(kind)
        if values:
            print(
                f"| {kind} | {len(values)} | {1000 * stats.percentile(kind, 0.5):.1f} | "
                f"{1000 * stats.percentile(kind, 0.9):.1f} | {1000 * stats.percentile(kind, 0.99):.1f} | "
                f"{1000 * max(values):.1f} |"
            )
    print(f"request errors: {len(stats.errors)}; errors the server logged: {len(logged)}")
    for line in (stats.errors + logged)[:20]:
        print(f"  {line}")
    compared = sum(len(items) for items in fresh.values())
    print(
        f"open documents at the end: {len(session.open)}, {compared} findings compared with a fresh archls check; "
        f"stale: {stale or 'none'}"
    )
    for path in stale:
        mine, theirs = set(shown[path]), set(fresh.get(path, []))
        for item in sorted(mine - theirs)[:10]:
            print(f"  {path}: shown, not in a fresh check: {item}")
        for item in sorted(theirs - mine)[:10]:
            print(f"  {path}: in a fresh check, not shown: {item}")
        kept = root.parent / f"{root.name}-stale-{path.replace('/', '_')}"
        kept.write_text(session.texts[path], encoding="utf-8")
        print(f"  its final text: {kept}")
    if stale:
        # the saved files are the final texts (closed documents: their last save), as the check read them
        print(f"every file as the fresh check read it: {root}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="bench/run.py soak")
    parser.add_argument("--minutes", type=float, default=10)
    parser.add_argument("--documents", type=int, default=50)
    parser.add_argument("--seed", type=int, default=0)
    options = parser.parse_args(argv or [])
    asyncio.run(soak(options.minutes, options.documents, options.seed))


if __name__ == "__main__":
    main(sys.argv[1:])
