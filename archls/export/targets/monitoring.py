"""Monitoring from the architecture's requirements: Prometheus alert rules (error-budget burn rates
from the availability target, latency from the p99 and flow budgets), Grafana dashboards (an
overview, one per component and one per flow), Datadog monitors and Sentry projects.
"""

from __future__ import annotations

from typing import Any

from archls.export import exporters
from archls.export.context import Comp, ExportContext, FlowView
from archls.export.emit import json_doc, yaml_docs
from archls.export.naming import dns_label
from archls.export.quoting import Safe, go_template_literal, hcl_str, md, one_line
from archls.export.registry import target
from archls.export.templating import render

#: Datadog service checks of the agent integrations, per technology.
DD_CHECKS = {
    "postgresql": "postgres.can_connect",
    "mysql": "mysql.can_connect",
    "mariadb": "mysql.can_connect",
    "redis": "redis.can_connect",
    "valkey": "redis.can_connect",
    "mongodb": "mongodb.can_connect",
    "kafka": "kafka.can_connect",
    "rabbitmq": "rabbitmq.aliveness",
    "elasticsearch": "elasticsearch.can_connect",
    "memcached": "memcache.can_connect",
}
#: Multi-window burn rates from the Google SRE workbook: (factor, long window, short window, severity, for).
BURN_RATES = ((14.4, "1h", "5m", "critical", "2m"), (6.0, "6h", "30m", "warning", "15m"))


def error_budget(ctx: ExportContext) -> float:
    return max(1 - ctx.availability / 100, 0.00001)


def p99_seconds(ctx: ExportContext, comp: Comp | None = None) -> float:
    if comp is not None and comp.c.latency_ms:
        return round(comp.c.latency_ms * 5 / 1000, 3)
    latency = ctx.requirements.latency
    return round((latency.p99_ms if latency and latency.p99_ms else 1000) / 1000, 3)


def monitored(ctx: ExportContext) -> list[Comp]:
    return [c for c in ctx.components if c.deployable or c.is_stateful]


def _job(comp: Comp) -> str:
    return f'job="{comp.dns}"'


def _http_ratio(comp: Comp, window: str) -> str:
    job = _job(comp)
    return (
        f'sum(rate(http_requests_total{{{job},code=~"5.."}}[{window}])) / '
        f"clamp_min(sum(rate(http_requests_total{{{job}}}[{window}])), 1e-9)"
    )


def _p99(comp: Comp, window: str = "5m") -> str:
    return (
        f"histogram_quantile(0.99, sum by (le) (rate(http_request_duration_seconds_bucket{{{_job(comp)}}}[{window}])))"
    )


def _flow_entry(flow: FlowView) -> Comp | None:
    return next((c for c in flow.path if c.deployable), None)


def alert_rules(ctx: ExportContext) -> dict[str, Any]:
    budget = error_budget(ctx)
    groups: list[dict[str, Any]] = []
    for comp in monitored(ctx):
        scrape = exporters.scrape_for(comp)
        if scrape is None:
            continue  # nothing deployed serves its metrics: no alert could ever fire
        rules: list[dict[str, Any]] = []
        labels = {"component": comp.dns, "type": comp.type, "system": ctx.slug}
        up = scrape.up_metric if scrape.up_metric != "up" else None
        expr = f"max({up}{{{_job(comp)}}}) < 1" if up else f"sum(up{{{_job(comp)}}}) == 0"
        rules.append(
            {
                "alert": f"{comp.pascal}Down",
                "expr": expr,
                "for": "1m" if comp.deployable else "2m",
                "labels": {**labels, "severity": "critical"},
                "annotations": {
                    "summary": f"{comp.dns} is down",
                    "description": go_template_literal(
                        f"No instance of {comp.dns} ({one_line(comp.technology or comp.type, 60)}) answers."
                    ),
                },
            }
        )
        if comp.deployable and comp.speaks_http:
            for factor, long, short, severity, wait in BURN_RATES:
                threshold = round(factor * budget, 6)
                rules.append(
                    {
                        "alert": f"{comp.pascal}ErrorBudgetBurn{long}",
                        "expr": f"({_http_ratio(comp, long)}) > {threshold} and ({_http_ratio(comp, short)}) > {threshold}",
                        "for": wait,
                        "labels": {**labels, "severity": severity},
                        "annotations": {
                            "summary": f"{comp.dns} is spending its error budget {factor}x too fast",
                            "description": f"Availability target {ctx.availability}%: 5xx ratio over {long} "
                            "is {{ $value | humanizePercentage }}.",
                        },
                    }
                )
            rules.append(
                {
                    "alert": f"{comp.pascal}LatencyHigh",
                    "expr": f"{_p99(comp)} > {p99_seconds(ctx, comp)}",
                    "for": "10m",
                    "labels": {**labels, "severity": "warning"},
                    "annotations": {
                        "summary": f"{comp.dns} p99 latency above {p99_seconds(ctx, comp)} s",
                        "description": "p99 is {{ $value | humanizeDuration }}.",
                    },
                }
            )
        groups.append({"name": f"{ctx.slug}-{comp.dns}", "rules": rules})
    flow_rules = []
    for flow in ctx.flows:
        entry = _flow_entry(flow)
        if entry is None or not entry.speaks_http or exporters.scrape_for(entry) is None:
            continue
        budget_s = round((flow.budget_ms or p99_seconds(ctx) * 1000) / 1000, 3)
        flow_rules.append(
            {
                "alert": f"Flow{dns_label(flow.id, 40).title().replace('-', '')}OverBudget",
                "expr": f"{_p99(entry)} > {budget_s}",
                "for": "10m",
                "labels": {"flow": flow.dns, "system": ctx.slug, "severity": "warning"},
                "annotations": {
                    "summary": f"flow {flow.dns}: p99 at {entry.dns} above its {budget_s} s budget",
                    "description": go_template_literal(one_line(flow.description or f"flow {flow.id}", 300)),
                },
            }
        )
    if flow_rules:
        groups.append({"name": f"{ctx.slug}-flows", "rules": flow_rules})
    return {"groups": groups}


@target(
    "prometheus",
    "Prometheus alert rules",
    kind="monitoring",
    description="Down, error-budget burn rate (from the availability target), latency and flow-budget alerts, "
    "and the prometheus.yml that scrapes the services and the exporters the deploy exports run",
)
def prometheus(ctx: ExportContext) -> dict[str, str]:
    header = f"Prometheus alert rules for {ctx.name}, generated by archls; prometheus.yml loads them."
    scrapes = [found for c in monitored(ctx) if (found := exporters.scrape_for(c)) is not None]
    unscraped = [c.dns for c in monitored(ctx) if exporters.scrape_for(c) is None]
    config = {
        "global": {"scrape_interval": "15s", "evaluation_interval": "15s"},
        "rule_files": ["alerts.yaml"],
        "scrape_configs": [
            {"job_name": s.job, "metrics_path": s.path, "static_configs": [{"targets": [s.target]}]} for s in scrapes
        ],
    }
    note = (
        "Prometheus for the deployment of the Kubernetes and compose exports: each job reads a service's\n"
        "/metrics or the exporter that runs beside a data store. Deploy it in the namespace 'monitoring',\n"
        "which the NetworkPolicies let in, or on the compose network."
    )
    if unscraped:
        note += "\nNot scraped (nothing deployed serves their metrics): " + ", ".join(unscraped) + "."
    return {
        "alerts.yaml": yaml_docs([alert_rules(ctx)], header),
        "prometheus.yml": yaml_docs([config], note),
    }


# --- Grafana ----------------------------------------------------------------------------------


def _no_vars(text: str) -> str:
    """Grafana expands $name in titles and descriptions; user text keeps its dollar signs as text."""
    return text.replace("$", "\uff04")


class _Panels:
    def __init__(self) -> None:
        self.items: list[dict[str, Any]] = []
        self.y = 0
        self.x = 0
        self.next_id = 1

    def row(self, title: str) -> None:
        self._wrap()
        self.items.append(
            {
                "type": "row",
                "title": title,
                "collapsed": False,
                "id": self._id(),
                "panels": [],
                "gridPos": {"h": 1, "w": 24, "x": 0, "y": self.y},
            }
        )
        self.y += 1

    def graph(
        self, title: str, exprs: list[tuple[str, str]], unit: str, description: str = "", threshold: float | None = None
    ) -> None:
        if self.x >= 24:
            self._wrap()
        panel: dict[str, Any] = {
            "type": "timeseries",
            "id": self._id(),
            "title": title,
            "datasource": {"type": "prometheus", "uid": "${datasource}"},
            "gridPos": {"h": 8, "w": 8, "x": self.x, "y": self.y},
            "targets": [
                {"refId": chr(65 + n), "expr": e, "legendFormat": legend} for n, (e, legend) in enumerate(exprs)
            ],
            "fieldConfig": {"defaults": {"unit": unit}, "overrides": []},
            "options": {"legend": {"displayMode": "list", "placement": "bottom"}, "tooltip": {"mode": "multi"}},
        }
        if description:
            panel["description"] = _no_vars(description)
        if threshold is not None:
            panel["fieldConfig"]["defaults"]["thresholds"] = {
                "mode": "absolute",
                "steps": [{"color": "green", "value": None}, {"color": "red", "value": threshold}],
            }
            panel["fieldConfig"]["defaults"]["custom"] = {"thresholdsStyle": {"mode": "line"}}
        self.items.append(panel)
        self.x += 8

    def _wrap(self) -> None:
        if self.x:
            self.y += 8
            self.x = 0

    def _id(self) -> int:
        self.next_id += 1
        return self.next_id - 1


def component_panels(ctx: ExportContext, panels: _Panels, comp: Comp) -> None:
    job = _job(comp)
    if comp.deployable and comp.speaks_http:
        panels.graph(
            "Requests per second", [(f"sum(rate(http_requests_total{{{job}}}[5m]))", "rps")], "reqps", comp.description
        )
        panels.graph("5xx ratio", [(_http_ratio(comp, "5m"), "errors")], "percentunit", "", round(error_budget(ctx), 6))
        panels.graph("p99 latency", [(_p99(comp), "p99")], "s", "", p99_seconds(ctx, comp))
    else:
        scrape = exporters.scrape_for(comp)
        up = scrape.up_metric if scrape is not None else "up"
        panels.graph("Up", [(f"{up}{{{job}}}", "{{instance}}")], "short", comp.description)
    panels.graph(
        "CPU",
        [(f'sum(rate(container_cpu_usage_seconds_total{{container="{comp.dns}"}}[5m]))', "cores")],
        "short",
        "",
        comp.cpu * comp.max_replicas,
    )
    panels.graph(
        "Memory",
        [(f'sum(container_memory_working_set_bytes{{container="{comp.dns}"}})', "bytes")],
        "bytes",
        "",
        comp.memory_mb * 1024 * 1024 * comp.max_replicas,
    )


def dashboard(ctx: ExportContext, uid: str, title: str, panels: _Panels, tags: list[str]) -> dict[str, Any]:
    return {
        "uid": dns_label(uid, 40),
        "title": _no_vars(title),
        "tags": ["archls", str(ctx.slug), *tags],
        "timezone": "browser",
        "editable": True,
        "graphTooltip": 1,
        "refresh": "30s",
        "schemaVersion": 39,
        "version": 1,
        "time": {"from": "now-6h", "to": "now"},
        "templating": {
            "list": [
                {
                    "name": "datasource",
                    "type": "datasource",
                    "query": "prometheus",
                    "label": "Data source",
                    "current": {},
                    "hide": 0,
                    "refresh": 1,
                }
            ]
        },
        "annotations": {"list": []},
        "panels": panels.items,
    }


@target(
    "grafana",
    "Grafana dashboards",
    kind="monitoring",
    description="An overview dashboard, one dashboard per component and one per flow (hops, budgets), with provisioning",
)
def grafana(ctx: ExportContext) -> dict[str, str]:
    files: dict[str, str] = {}
    overview = _Panels()
    for comp in monitored(ctx):
        overview.row(f"{comp.dns} ({comp.type})")
        component_panels(ctx, overview, comp)
        own = _Panels()
        component_panels(ctx, own, comp)
        files[f"dashboards/component-{comp.dns}.json"] = json_doc(
            dashboard(ctx, f"{ctx.slug}-{comp.dns}", f"{ctx.name} / {comp.dns}", own, ["component"])
        )
    files["dashboards/overview.json"] = json_doc(
        dashboard(ctx, f"{ctx.slug}-overview", f"{ctx.name} overview", overview, ["overview"])
    )
    for flow in ctx.flows:
        panels = _Panels()
        budget = (flow.budget_ms or p99_seconds(ctx) * 1000) / 1000
        entry = _flow_entry(flow)
        if entry is not None and entry.speaks_http:
            panels.row(f"Flow {flow.dns}: end to end at {entry.dns}")
            panels.graph("Flow p99 against its budget", [(_p99(entry), "p99")], "s", flow.description, budget)
            if flow.rps:
                panels.graph(
                    "Requests per second (expected peak as threshold)",
                    [(f"sum(rate(http_requests_total{{{_job(entry)}}}[5m]))", "rps")],
                    "reqps",
                    "",
                    flow.rps,
                )
        for comp in [c for c in flow.path if c.deployable or c.is_stateful]:
            panels.row(f"Hop {comp.dns}")
            component_panels(ctx, panels, comp)
        files[f"dashboards/flow-{flow.dns}.json"] = json_doc(
            dashboard(ctx, f"{ctx.slug}-flow-{flow.dns}", f"{ctx.name} / flow {flow.dns}", panels, ["flow"])
        )
    files["provisioning/dashboards.yaml"] = yaml_docs(
        [
            {
                "apiVersion": 1,
                "providers": [
                    {
                        "name": str(ctx.slug),
                        "folder": one_line(ctx.name, 100),
                        "type": "file",
                        "disableDeletion": False,
                        "options": {"path": "/var/lib/grafana/dashboards", "foldersFromFilesStructure": False},
                    }
                ],
            }
        ],
        "Grafana provisioning: copy dashboards/ to /var/lib/grafana/dashboards.",
    )
    return files


# --- Datadog ----------------------------------------------------------------------------------


def _dd_text(text: str) -> str:
    """Datadog renders {{...}} in messages; user text keeps braces as text."""
    return text.replace("{{", "{ {").replace("}}", "} }")


@target(
    "datadog",
    "Datadog monitors",
    kind="monitoring",
    description="Monitors for the API's create-monitor body: APM error rate and p99 per service, integration checks "
    "per data store, replicas available",
)
def datadog(ctx: ExportContext) -> dict[str, str]:
    monitors: list[dict[str, Any]] = []
    budget = error_budget(ctx)
    base_tags = [f"system:{ctx.slug}", "managed-by:archls"]
    notify = "@oncall"
    for comp in monitored(ctx):
        tags = [*base_tags, f"service:{comp.dns}", f"component-type:{comp.type}"]
        scope = f"service:{comp.dns},env:production"
        if comp.deployable and comp.speaks_http:
            monitors.append(
                {
                    "name": f"[{ctx.slug}] {comp.dns} error rate above budget",
                    "type": "query alert",
                    "query": f"sum(last_10m):sum:trace.http.request.errors{{{scope}}}.as_count() / "
                    f"sum:trace.http.request.hits{{{scope}}}.as_count() > {round(budget * 14.4, 6)}",
                    "message": _dd_text(f"{comp.dns} fails more requests than the {ctx.availability}% target allows. ")
                    + "{{#is_alert}}"
                    + notify
                    + "{{/is_alert}}",
                    "tags": tags,
                    "priority": 2,
                    "options": {
                        "thresholds": {"critical": round(budget * 14.4, 6), "warning": round(budget * 6, 6)},
                        "notify_no_data": False,
                        "require_full_window": False,
                        "include_tags": True,
                    },
                }
            )
            monitors.append(
                {
                    "name": f"[{ctx.slug}] {comp.dns} p99 latency",
                    "type": "query alert",
                    "query": f"percentile(last_10m):p99:trace.http.request{{{scope}}} > {p99_seconds(ctx, comp)}",
                    "message": _dd_text(f"{comp.dns} p99 latency is above {p99_seconds(ctx, comp)} s. ") + notify,
                    "tags": tags,
                    "priority": 3,
                    "options": {"thresholds": {"critical": p99_seconds(ctx, comp)}, "notify_no_data": False},
                }
            )
        check = DD_CHECKS.get(comp.family) if comp.is_stateful else None
        if check:
            monitors.append(
                {
                    "name": f"[{ctx.slug}] {comp.dns} cannot be reached",
                    "type": "service check",
                    "query": f'"{check}".over("service:{comp.dns}").by("host").last(3).count_by_status()',
                    "message": _dd_text(f"The agent cannot connect to {comp.dns}. ") + notify,
                    "tags": tags,
                    "priority": 1,
                    "options": {
                        "thresholds": {"critical": 2, "warning": 1, "ok": 1},
                        "notify_no_data": True,
                        "no_data_timeframe": 10,
                    },
                }
            )
        if comp.deployable and comp.min_replicas > 1:
            monitors.append(
                {
                    "name": f"[{ctx.slug}] {comp.dns} replicas below {comp.min_replicas}",
                    "type": "query alert",
                    "query": f"max(last_10m):sum:kubernetes_state.deployment.replicas_available"
                    f"{{kube_deployment:{comp.dns}}} < {comp.min_replicas}",
                    "message": _dd_text(f"{comp.dns} runs fewer replicas than the architecture asks. ") + notify,
                    "tags": tags,
                    "priority": 3,
                    "options": {"thresholds": {"critical": comp.min_replicas}, "notify_no_data": False},
                }
            )
    readme = (
        f"# Datadog monitors for {md(ctx.name)}\n\n"
        "`monitors.json` is a list of request bodies for `POST /api/v1/monitor`. Create them with:\n\n"
        "```sh\n"
        'jq -c ".[]" monitors.json | while read -r body; do\n'
        '  curl -sf -X POST "https://api.datadoghq.com/api/v1/monitor" \\\n'
        '    -H "DD-API-KEY: $DD_API_KEY" -H "DD-APPLICATION-KEY: $DD_APP_KEY" \\\n'
        '    -H "Content-Type: application/json" -d "$body"\n'
        "done\n```\n"
    )
    return {"monitors.json": json_doc(monitors), "README.md": readme}


# --- Sentry -----------------------------------------------------------------------------------

PLATFORMS = {
    "python": "python",
    "node": "node",
    "go": "go",
    "java": "java",
    "rust": "rust",
    "ruby": "ruby",
    "dotnet": "csharp",
    "php": "php",
    "elixir": "elixir",
}


def traces_sample_rate(ctx: ExportContext, comp: Comp) -> float:
    """About ten traces per second at peak, whatever the traffic."""
    share = max((f.rps or 0 for f in ctx.flows if comp in f.path), default=0)
    traffic = share or ctx.requirements.peak_rps or 0
    if not traffic:
        return 0.2
    return round(min(1.0, 10 / traffic), 4)


@target(
    "sentry",
    "Sentry projects",
    kind="monitoring",
    description="Terraform for a Sentry team and one project and client key per service, plus per-service SDK settings",
)
def sentry(ctx: ExportContext) -> dict[str, str]:
    projects = [
        {
            "c": c,
            "platform": hcl_str(PLATFORMS.get(c.language or "", "other")),
            "slug": Safe(dns_label(f"{ctx.slug}-{c.dns}", 50)),
            "rate": traces_sample_rate(ctx, c),
        }
        for c in ctx.services
        if c.builds_image or c.language
    ]
    files = {"main.tf": render("sentry/main.tf.j2", ctx=ctx, projects=projects)}
    for p in projects:
        comp = p["c"]
        files[f"{comp.dns}.env"] = (
            f"# Sentry SDK settings for {comp.dns}; the DSN comes from the Terraform output.\n"
            f"SENTRY_ENVIRONMENT=production\nSENTRY_RELEASE={comp.dns}@0.1.0\n"
            f"SENTRY_TRACES_SAMPLE_RATE={p['rate']}\nSENTRY_SEND_DEFAULT_PII=false\n"
        )
    return files
