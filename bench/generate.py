"""Synthetic architectures of any size, shaped like real ones, for benchmarks.

Each 10 components form a slice: a gateway-facing service, workers, a cache, a database and a
queue, wired with typed connections, plus flows through them.
"""

from __future__ import annotations

import random

KINDS = [
    ("service", "go", "1.25"),
    ("service", "java", "21"),
    ("worker", "python", "3.12"),
    ("service", "node", "24"),
    ("cache", "redis", "7.2"),
    ("database", "postgresql", "16"),
    ("queue", "rabbitmq", "3.13"),
    ("service", "rust", None),
    ("search", "elasticsearch", "8.13"),
    ("object-storage", "s3", None),
]


def architecture(components: int, seed: int = 7) -> str:
    """YAML text of an architecture with ``components`` components (at least 10)."""
    rng = random.Random(seed)
    lines = [
        "archls: 1",
        f"name: synthetic {components}",
        "requirements:",
        "  peak_rps: 5000",
        "  latency: {p50_ms: 100, p99_ms: 800}",
        "  availability: 99.9",
        "  budget_monthly: 500000",
        "components:",
        "  users:",
        "    type: client",
        "  edge:",
        "    type: load-balancer",
        "    public: true",
        "    tls: true",
        "    auth: oauth2",
        "    rate_limit: true",
        "    waf: true",
        "    replicas: 2",
        "    zones: [a, b]",
    ]
    ids: list[tuple[str, str]] = []
    for i in range(components - 2):
        kind, tech, version = KINDS[i % len(KINDS)]
        cid = f"{kind.split('-')[0]}-{i}"
        ids.append((cid, kind))
        lines += [f"  {cid}:", f"    type: {kind}", f"    technology: {tech}"]
        if version:
            lines.append(f'    version: "{version}"')
        lines += [
            f"    replicas: {rng.choice([2, 3, 4])}",
            "    zones: [a, b]",
            f"    description: component {i} of the {kind} kind",
        ]
        if kind in ("service", "worker"):
            lines += [
                "    health_check: {path: /healthz}",
                "    resources: {cpu: 1, memory_mb: 1024}",
                f"    image: registry.example.com/app/{cid}:1.{i}.0",
            ]
        if kind in ("database", "cache", "queue", "search", "object-storage"):
            lines += ["    encryption_at_rest: true", "    backups: {retention_days: 7}"]
    lines.append("connections:")
    lines += ["  - {from: users, to: edge, protocol: https}"]
    services = [cid for cid, kind in ids if kind == "service"]
    for n, (cid, kind) in enumerate(ids):
        base = (n // 10) * 10
        if kind == "service" and n % 10 == 0:
            lines += [f"  - {{from: edge, to: {cid}, protocol: https, timeout_ms: 1000}}"]
            for offset, extra in (
                (6, "protocol: amqps, mode: async"),
                (8, "protocol: https, timeout_ms: 300"),
                (9, "protocol: s3, timeout_ms: 500"),
            ):
                if base + offset < len(ids):
                    lines += [f"  - {{from: {cid}, to: {ids[base + offset][0]}, {extra}}}"]
        if kind == "worker" and base + 6 < len(ids):
            lines += [f"  - {{from: {ids[base + 6][0]}, to: {cid}, protocol: amqps, mode: async}}"]
        if kind in ("service", "worker"):
            for offset in (4, 5):
                target = ids[min(base + offset, len(ids) - 1)][0]
                if target != cid:
                    lines += [
                        f"  - from: {cid}",
                        f"    to: {target}",
                        "    protocol: tcp",
                        "    tls: true",
                        "    timeout_ms: 80",
                        "    retries: 2",
                        "    circuit_breaker: true",
                    ]
        if kind == "service" and n % 10 != 0:
            caller = ids[base][0]
            if caller != cid:
                lines += [f"  - {{from: {caller}, to: {cid}, protocol: grpc, tls: true, timeout_ms: 300, retries: 1}}"]
    lines.append("flows:")
    for n, cid in enumerate(services[: max(1, len(services) // 4)]):
        if n % 3 == 0 and ids.index(next(i for i in ids if i[0] == cid)) % 10 == 0:
            base = ids.index(next(i for i in ids if i[0] == cid))
            cache = ids[min(base + 4, len(ids) - 1)][0]
            lines += [
                f"  flow-{n}:",
                "    rps: 50",
                "    latency_budget_ms: 500",
                f"    path: [users, edge, {cid}, {cache}]",
            ]
    return "\n".join(lines) + "\n"


_COMPOSE_KINDS = [
    ("web", "nginx:1.27"),
    ("api", "node:22-alpine"),
    ("worker", "python:3.12-slim"),
    ("cache", "redis:7.2"),
    ("db", "postgres:16"),
]


def compose(services: int, seed: int = 7) -> str:
    """YAML text of a docker-compose file with ``services`` services, about 15 lines each, in slices
    of five (a web front, an API, a worker, a cache, a database) wired by ``depends_on`` and URLs."""
    rng = random.Random(seed)
    lines = ["services:"]
    for i in range(services):
        kind, image = _COMPOSE_KINDS[i % len(_COMPOSE_KINDS)]
        base = i - i % len(_COMPOSE_KINDS)
        name = f"{kind}-{i}"
        lines += [f"  {name}:", f"    image: {image}", "    restart: unless-stopped"]
        lines += ["    labels:", f'      com.example.slice: "{i // len(_COMPOSE_KINDS)}"', "    logging:"]
        lines += ["      driver: json-file", "      options:", "        max-size: 10m"]
        if kind == "web":
            lines += ["    ports:", f'      - "{8000 + i}:80"', "    depends_on:", f"      - api-{base + 1}"]
            lines += ["    volumes:", "      - ./static:/usr/share/nginx/html:ro"]
        elif kind == "api":
            lines += [
                "    environment:",
                f"      DATABASE_URL: postgres://app:secret@db-{base + 4}:5432/app",
                f"      REDIS_URL: redis://cache-{base + 3}:6379",
                f'      WORKERS: "{rng.choice([2, 4, 8])}"',
                "    depends_on:",
                f"      db-{base + 4}:",
                "        condition: service_healthy",
                f"      cache-{base + 3}:",
                "        condition: service_started",
            ]
        elif kind == "worker":
            lines += [
                "    command: celery -A app worker",
                "    environment:",
                f"      BROKER_URL: redis://cache-{base + 3}:6379/0",
                "    deploy:",
                "      resources:",
                "        limits: {cpus: '0.5', memory: 512M}",
            ]
        elif kind == "cache":
            lines += ["    command: redis-server --appendonly yes", "    volumes:", f"      - cache-{i}:/data"]
        else:
            lines += [
                "    environment:",
                "      POSTGRES_PASSWORD: example",
                "      POSTGRES_DB: app",
                "    healthcheck:",
                '      test: ["CMD-SHELL", "pg_isready -U postgres"]',
                "      interval: 10s",
                "    volumes:",
                f"      - db-{i}:/var/lib/postgresql/data",
            ]
    lines.append("volumes:")
    for i in range(services):
        kind = _COMPOSE_KINDS[i % len(_COMPOSE_KINDS)][0]
        if kind in ("cache", "db"):
            lines.append(f"  {kind}-{i}: {{}}")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    import sys

    print(architecture(int(sys.argv[1]) if len(sys.argv) > 1 else 100), end="")
