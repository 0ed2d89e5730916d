"""Acceptance criteria (SPEC001-SPEC009): each unmet `acceptance:` entry is a finding on its line,
with the measured value against the target and a hint.

The measuring is :mod:`archls.analysis.acceptance`; these rules only report. Hints come at three
levels (`hint_level` on the criterion); a file working through a coach challenge gets the
challenge's own hints, which teach the concept without handing over the answer.
"""

from __future__ import annotations

from collections.abc import Iterator

from archls.analysis.acceptance import Outcome, evaluate, judge_findings
from archls.findings import Severity
from archls.model import CheckKind
from archls.rules.load import analysed
from archls.rules.registry import Fix, Hit, RuleContext, rule

REFS = (
    "archls docs/acceptance.md: acceptance criteria as checks",
    "Google SRE book, ch. 4: service level objectives",
)
SEVERITY_NOTE = (
    "Unmet criteria are errors so that `archls check` fails a build that misses them; they do not count in the grade."
)


def _outcomes(ctx: RuleContext) -> list[Outcome]:
    return ctx.cached("acceptance", lambda: evaluate(ctx.model, ctx.config, ctx.graph, analysed(ctx)))


def _hint(ctx: RuleContext, outcome: Outcome) -> str:
    coach = ctx.model.coach
    level = outcome.criterion.hint_level or 1
    if coach is not None:
        from archls.coach import challenge_hint

        text = challenge_hint(coach.challenge, coach.stage, outcome.criterion, level)
        if text:
            return text
    return outcome.hint(level)


def _hits(ctx: RuleContext, kind: CheckKind, outcomes: list[Outcome] | None = None) -> Iterator[Hit]:
    for outcome in outcomes if outcomes is not None else _outcomes(ctx):
        if outcome.criterion.check != kind or outcome.met:
            continue
        level = outcome.criterion.hint_level or 1
        # "Show a stronger hint" is an edit of the criterion, so the level survives a restart; it is
        # never applied by "fix all".
        stronger = (
            Fix("Show a stronger hint", "set", outcome.path, value=level + 1, key="hint_level", safe=False)
            if level < 3
            else None
        )
        yield Hit(
            outcome.path,
            f"{outcome.criterion.id or outcome.criterion.check.value}: {outcome.summary()}. Hint: {_hint(ctx, outcome)}",
            data={
                "criterion": outcome.criterion.index,
                "measured": outcome.value,
                "hint_level": level,
                "stronger_hint": level < 3,
            },
            fix=stronger,
        )


@rule(
    "SPEC001",
    "Flow latency above its acceptance target",
    severity=Severity.ERROR,
    what=(
        "A `latency` criterion: the flow's p99 from the load model (M/M/c queueing per component, network "
        "round trips, fan-out) is above `p99_ms`, at the flow's `rps` or at the criterion's own `rps`."
    ),
    why=(
        "Users feel the tail, not the average: one request in a hundred is slow for everyone who makes a hundred "
        "requests. A criterion at a higher rate than today's proves the design holds the growth it was built for."
    ),
    example="""
flows:
  redirect: {path: [api, db], rps: 12000}
acceptance:
  - {check: latency, flow: redirect, p99_ms: 50}
  - {check: latency, flow: redirect, p99_ms: 80, rps: 120000}   # 10x the traffic
""",
    fix="Shorten the slowest step the message names: a cache in front of a store, replicas for a busy component, "
    "fewer synchronous hops.",
    references=REFS,
    severity_note=SEVERITY_NOTE,
)
def latency(ctx: RuleContext) -> Iterator[Hit]:
    yield from _hits(ctx, CheckKind.LATENCY)


@rule(
    "SPEC002",
    "Availability below its acceptance target",
    severity=Severity.ERROR,
    what=(
        "An `availability` criterion: the composite availability of the flow (or of the least available flow) "
        "is below `percent` or `nines`. The figure is the availability analysis': every component a flow waits "
        "for, from its replicas and zones or its SLA, multiplied."
    ),
    why="Availabilities in series multiply, so a target in nines is a budget every component on the path shares.",
    example="""
acceptance:
  - {check: availability, nines: 3.5}                # 99.968%
  - {check: availability, flow: checkout, percent: 99.95}
""",
    fix="Replicate the weakest component across zones, use a managed service with a higher SLA, or stop waiting "
    "for it (async, fallback).",
    references=REFS,
    severity_note=SEVERITY_NOTE,
)
def availability(ctx: RuleContext) -> Iterator[Hit]:
    yield from _hits(ctx, CheckKind.AVAILABILITY)


@rule(
    "SPEC003",
    "Single point of failure where the criteria forbid one",
    severity=Severity.ERROR,
    what=(
        "A `no-single-point-of-failure` criterion: a component the flow (or any flow) waits for runs one "
        "instance. Clients, external systems, functions and managed services with provider redundancy are not "
        "counted."
    ),
    why="One instance on the request path makes every crash, deploy and host failure an outage.",
    example="""
acceptance:
  - {check: no-single-point-of-failure, flow: checkout}
""",
    fix="Run two or more instances of each component named (replicas or autoscaling.min), ideally in different zones.",
    references=REFS,
    severity_note=SEVERITY_NOTE,
)
def single_point(ctx: RuleContext) -> Iterator[Hit]:
    yield from _hits(ctx, CheckKind.NO_SINGLE_POINT_OF_FAILURE)


@rule(
    "SPEC004",
    "A zone outage breaks a flow",
    severity=Severity.ERROR,
    what=(
        "A `survives-zone-loss` criterion: the chaos engine fails each zone the design lists in turn (the "
        "replicas in it, the members of zone groups) and follows the cascade: callers that wait, retries that "
        "overload what is left, saturation. A flow that breaks in any one zone's loss fails the criterion, and "
        "so does a design whose needed components list no zones (where they run is unknown)."
    ),
    why="Zones fail whole a few times a year; a design that needs every zone up has no redundancy that counts.",
    example="""
components:
  api: {type: service, replicas: 3, zones: [a, b, c]}
  db: {type: database, technology: postgresql, replicas: 2, zones: [a]}   # both replicas in one zone
acceptance:
  - {check: survives-zone-loss}
""",
    fix="Spread replicas of every component a flow waits for over two or more zones with headroom to carry the "
    "peak on the zones that remain.",
    references=(*REFS, "archls docs/chaos.md: the chaos engine"),
    severity_note=SEVERITY_NOTE,
)
def zone_loss(ctx: RuleContext) -> Iterator[Hit]:
    yield from _hits(ctx, CheckKind.SURVIVES_ZONE_LOSS)


@rule(
    "SPEC005",
    "Data the criteria name is not encrypted everywhere",
    severity=Severity.ERROR,
    what=(
        "An `encrypted` criterion: a store holding one of the `kinds` (its `data`) is not encrypted at rest, or "
        "a connection carrying one (its `data`, or when it lists none, the data its target store holds) is not "
        "encrypted in transit."
    ),
    why="Card, health and personal data read off a disk, a backup or a network tap is a reportable breach.",
    example="""
acceptance:
  - {check: encrypted, kinds: [card, pii]}
""",
    fix="Set `encryption_at_rest: true` on the stores and `tls: true` (or an encrypted protocol) on the connections named.",
    references=(*REFS, "PCI DSS v4.0 3.5.1 and 4.2.1"),
    severity_note=SEVERITY_NOTE,
)
def encrypted(ctx: RuleContext) -> Iterator[Hit]:
    yield from _hits(ctx, CheckKind.ENCRYPTED)


@rule(
    "SPEC006",
    "Monthly cost above its acceptance limit",
    severity=Severity.ERROR,
    what="A `cost` criterion: the monthly estimate of the cost analysis (list prices in the configured region) is above `max_usd`.",
    why="A design that meets every other goal at twice the budget is not the design the team can run.",
    example="""
acceptance:
  - {check: cost, max_usd: 4000}
""",
    fix="Right-size the largest items the message names; `archls cost FILE` shows every line of the estimate.",
    references=REFS,
    severity_note=SEVERITY_NOTE,
)
def cost(ctx: RuleContext) -> Iterator[Hit]:
    yield from _hits(ctx, CheckKind.COST)


@rule(
    "SPEC007",
    "A component the criteria ask for is not on the flow",
    severity=Severity.ERROR,
    what=(
        "A `component-on-flow` criterion: no component of `type` (and `technology`, when given) is on the "
        "flow's `path`."
    ),
    why="Some parts are the design: a cache on the read path, a queue before slow work, a CDN before media.",
    example="""
acceptance:
  - {check: component-on-flow, flow: redirect, type: cache}
""",
    fix="Add a component of that type, connect it and list it in the flow's path.",
    references=REFS,
    severity_note=SEVERITY_NOTE,
)
def on_flow(ctx: RuleContext) -> Iterator[Hit]:
    yield from _hits(ctx, CheckKind.COMPONENT_ON_FLOW)


def _judged(ctx: RuleContext) -> list[Outcome]:
    if ctx.findings is None:
        return []
    return ctx.cached("acceptance.judged", lambda: judge_findings(ctx.model, ctx.findings or []))


@rule(
    "SPEC008",
    "Error findings where the criteria allow none",
    severity=Severity.ERROR,
    what="A `no-errors` criterion: the audit reports at least one error-severity finding (suppressed ones and SPEC findings aside).",
    why="An error is a defect the audits are sure of; a design ready for review has none left unexplained.",
    example="""
acceptance:
  - {check: no-errors}
""",
    fix="Fix the errors the message lists, or silence one with `# archls: ignore[CODE] reason` where it does not apply.",
    references=REFS,
    severity_note=SEVERITY_NOTE,
    after_audit=True,
)
def no_errors(ctx: RuleContext) -> Iterator[Hit]:
    yield from _hits(ctx, CheckKind.NO_ERRORS, _judged(ctx))


@rule(
    "SPEC009",
    "Grade below its acceptance target",
    severity=Severity.ERROR,
    what="A `grade` criterion: the architecture's grade (docs/grade.md; SPEC findings do not count) is below `grade`.",
    why="The grade sums up every category of the audit; a floor keeps a design from trading one area for another.",
    example="""
acceptance:
  - {check: grade, grade: B}
""",
    fix="Work through the findings of the categories the message names, errors first.",
    references=REFS,
    severity_note=SEVERITY_NOTE,
    after_audit=True,
)
def grade(ctx: RuleContext) -> Iterator[Hit]:
    yield from _hits(ctx, CheckKind.GRADE, _judged(ctx))
