"""What a description asks for, read from the user's own words.

The numbers a user writes ("100K concurrent riders", "matching under 3 s", "99.99%", "EU only",
"card payments") become the architecture's requirements whatever backend drafts it, so the audits
measure the result against what was asked rather than against what a model chose to write down.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_MULTIPLIERS = {"k": 1e3, "thousand": 1e3, "m": 1e6, "mm": 1e6, "million": 1e6, "b": 1e9, "billion": 1e9}
_NUMBER = r"(?P<num>\d+(?:[.,]\d+)*)\s*(?P<mult>k|m|mm|b|thousand|million|billion)?\b"

_RPS = re.compile(
    _NUMBER + r"\s*(?:rps|qps|tps|(?:[a-z-]+\s+|[a-z-]+(?=/)){0,2}?(?:/|per|a|each)\s*(?:s\b|sec\b|second\b))",
    re.I,
)
_PER_MINUTE = re.compile(
    _NUMBER + r"\s*(?:[a-z-]+\s+){0,2}?(?:/|per|a|each)\s*min(?:ute)?\b",
    re.I,
)
_PER_DAY = re.compile(
    _NUMBER + r"\s*(?:[a-z-]+\s+){0,2}?(?:/|per|a|each)\s*day\b",
    re.I,
)
#: "50,000 vans, each sending GPS every 5 seconds": a fleet reporting at a fixed interval.
_EVERY = re.compile(
    _NUMBER + r"[^.;\d]{0,60}?\bevery\s+(?P<every>\d+(?:\.\d+)?)\s*(?P<unit>s|sec|seconds?|min|minutes?)\b", re.I
)
_CONCURRENT = re.compile(_NUMBER + r"\s*(?:concurrent|simultaneous|online|active|connected)\s+(?:[a-z-]+)?", re.I)
_CONCURRENT_AFTER = re.compile(r"(?:concurrent\s+(?:users|connections|sessions)[^\d]{0,12})" + _NUMBER, re.I)
_USERS = re.compile(
    _NUMBER + r"\s*(?:daily\s+active\s+|monthly\s+active\s+|active\s+)?(?:users|customers|players|viewers)\b", re.I
)
_DAU = re.compile(_NUMBER + r"\s*(?:dau|daily active)", re.I)
_LATENCY = re.compile(
    r"(?:p\d{2}|latency|under|below|within|in less than|less than|faster than|<|at most|respond(?:s|ing)? in)"
    r"[^\d\n]{0,30}?(?P<num>\d+(?:\.\d+)?)\s*(?P<unit>ms|milliseconds?|s|sec(?:onds?)?)\b",
    re.I,
)
_AVAILABILITY = re.compile(r"(?P<num>9\d(?:\.\d+)?)\s*%")
_NINES = re.compile(r"\b(two|three|four|five|2|3|4|5)\s+nines\b", re.I)
_BUDGET = re.compile(
    r"\$\s?(?P<num>\d+(?:[.,]\d+)*)\s*(?P<mult>k|m|thousand|million)?\s*(?:/|per|a|each)\s*(?:mo(?:nth)?)\b", re.I
)
_RTO = re.compile(
    r"\brto\b[^\d\n]{0,20}(?P<num>\d+(?:\.\d+)?)\s*(?P<unit>s|sec|seconds?|min(?:ute)?s?|h|hours?)\b", re.I
)
_RPO = re.compile(
    r"\brpo\b[^\d\n]{0,20}(?P<num>\d+(?:\.\d+)?)\s*(?P<unit>s|sec|seconds?|min(?:ute)?s?|h|hours?)\b", re.I
)
_NO_DATA_LOSS = re.compile(r"\b(?:no|zero|never lose)\s+(?:data\s+loss|lost\s+(?:data|orders|payments|messages))", re.I)

#: Words that bring a compliance framework and the kind of data it protects.
_COMPLIANCE: list[tuple[re.Pattern[str], str | None, str | None]] = [
    (
        re.compile(
            r"\b(?:pci(?:[- ]dss)?|card (?:payments?|numbers?|data)|credit cards?|cardholder|checkout with cards?)\b",
            re.I,
        ),
        "pci-dss",
        "card",
    ),
    (
        re.compile(r"\b(?:hipaa|patient|patients|medical|health (?:records?|data)|clinic(?:al|s)?|ehr|phi)\b", re.I),
        "hipaa",
        "phi",
    ),
    (re.compile(r"\b(?:gdpr|eu (?:users|customers|citizens|residents)|european users)\b", re.I), "gdpr", "pii"),
    (re.compile(r"\bsoc ?2\b", re.I), "soc2", None),
]
_PII = re.compile(
    r"\b(?:users?|customers?|riders?|drivers?|patients?|accounts?|profiles?|sign[- ]?up|login|members?|"
    r"personal data|addresses|email addresses|phone numbers)\b",
    re.I,
)
_FINANCIAL = re.compile(
    r"\b(?:payments?|billing|invoices?|ledger|wallet|bank|transactions?|payouts?|trading|orders?)\b", re.I
)
_MEDIA = re.compile(r"\b(?:video|photos?|images?|media|audio|music|podcasts?|uploads?)\b", re.I)

#: Where data has to stay, as the model spells it.
_RESIDENCY = [
    (re.compile(r"\b(?:eu|europe(?:an)?|gdpr)\b", re.I), "eu"),
    (re.compile(r"\b(?:uk|united kingdom|britain)\b", re.I), "uk"),
    (re.compile(r"\b(?:us|usa|united states|american)\s+(?:only|customers|users|residents|data)\b", re.I), "us"),
]
_REGION_WORDS = {
    "eu": "eu-central-1",
    "uk": "eu-west-2",
    "us": "us-east-1",
}
_REGION_ID = re.compile(r"\b(?:us|eu|ap|sa|ca|me|af)-(?:north|south|east|west|central|northeast|southeast)-\d\b")
_MULTI_REGION = re.compile(
    r"\b(?:multi[- ]region|(?:two|2|three|3)\s+regions|global(?:ly)?|worldwide|across (?:continents|regions))\b", re.I
)


_ZONE_LOSS = re.compile(
    r"\b(?:surviv\w*|tolerat\w*|withstand\w*)\s+(?:the\s+)?(?:loss|outage|failure)\s+of\s+(?:an?\s+|one\s+)?(?:availability\s+)?zone|\bzone\s+(?:outage|failure)s?\b",
    re.I,
)


@dataclass
class Brief:
    """The requirements a description states, and what was assumed where it is silent."""

    text: str
    peak_rps: float | None = None
    concurrent_users: int | None = None
    users: int | None = None
    p99_ms: float | None = None
    availability: float | None = None
    budget_monthly: float | None = None
    rto_minutes: float | None = None
    rpo_minutes: float | None = None
    compliance: list[str] = field(default_factory=list)
    data: list[str] = field(default_factory=list)
    residency: list[str] = field(default_factory=list)
    regions: list[str] = field(default_factory=list)
    multi_region: bool = False
    #: The description asks to survive the loss of an availability zone.
    zone_loss: bool = False
    #: What the numbers were read from, for the comments of the generated file.
    stated: list[str] = field(default_factory=list)
    assumptions: list[str] = field(default_factory=list)

    def requirements(self) -> dict[str, object]:
        """The model's ``requirements`` section for what was stated (and the assumed peak)."""
        out: dict[str, object] = {}
        if self.peak_rps is not None:
            out["peak_rps"] = _round(self.peak_rps)
        if self.concurrent_users is not None:
            out["concurrent_users"] = self.concurrent_users
        if self.p99_ms is not None:
            out["latency"] = {"p99_ms": _round(self.p99_ms)}
        if self.availability is not None:
            out["availability"] = self.availability
        if self.rto_minutes is not None:
            out["rto_minutes"] = _round(self.rto_minutes)
        if self.rpo_minutes is not None:
            out["rpo_minutes"] = _round(self.rpo_minutes)
        if self.compliance:
            out["compliance"] = list(self.compliance)
        if self.residency:
            out["data_residency"] = list(self.residency)
        if self.budget_monthly is not None:
            out["budget_monthly"] = _round(self.budget_monthly)
        return out

    def acceptance(self, architecture: dict[str, object]) -> list[dict[str, object]]:
        """Acceptance criteria for what the description asks, in the model's ``acceptance`` terms."""
        flows = architecture.get("flows")
        flows = flows if isinstance(flows, dict) else {}
        main = max(
            (f for f in flows if isinstance(flows[f], dict)),
            key=lambda f: float(flows[f].get("rps") or 0),  # type: ignore[union-attr]
            default=None,
        )
        out: list[dict[str, object]] = []
        if self.p99_ms is not None and main is not None:
            out.append({"check": "latency", "id": "stated-latency", "flow": main, "p99_ms": _round(self.p99_ms)})
        if self.availability is not None and any("availability" in s for s in self.stated):
            out.append({"check": "availability", "id": "stated-availability", "percent": self.availability})
        if self.budget_monthly is not None:
            out.append({"check": "cost", "id": "within-budget", "max_usd": _round(self.budget_monthly)})
        sensitive = [k for k in self.data if k in {"pii", "phi", "card", "financial"}]
        if sensitive:
            out.append({"check": "encrypted", "id": "sensitive-data-encrypted", "kinds": sensitive})
        if self.zone_loss:
            out.append({"check": "survives-zone-loss", "id": "survives-zone-loss"})
        out.append({"check": "no-errors", "id": "no-errors"})
        out.append({"check": "grade", "id": "grade-b", "grade": "B"})
        return out


def _round(value: float) -> float | int:
    return int(value) if float(value).is_integer() else round(value, 2)


def _number(match: re.Match[str]) -> float:
    raw = match.group("num")
    # "1,500" is fifteen hundred, "2.5" two and a half; "1.500" (European grouping) is rare in English.
    if re.fullmatch(r"\d{1,3}(?:,\d{3})+", raw):
        value = float(raw.replace(",", ""))
    else:
        value = float(raw.replace(",", "."))
    mult = (match.groupdict().get("mult") or "").lower()
    return value * _MULTIPLIERS.get(mult, 1.0)


def _minutes(match: re.Match[str]) -> float:
    value = float(match.group("num"))
    unit = match.group("unit").lower()
    if unit.startswith("s"):
        return value / 60
    if unit.startswith("h"):
        return value * 60
    return value


def parse(text: str) -> Brief:
    """Read the stated requirements from a description (a sentence, a ticket, a product spec)."""
    brief = Brief(text=text)
    flat = " ".join(text.split())

    rates = [_number(m) for m in _RPS.finditer(flat)]
    rates += [_number(m) / 60 for m in _PER_MINUTE.finditer(flat)]
    for m in _EVERY.finditer(flat):
        interval = float(m.group("every")) * (60 if m.group("unit").lower().startswith("m") else 1)
        if interval > 0 and _number(m) >= 10:
            rates.append(_number(m) / interval)
    if rates:
        brief.peak_rps = max(rates)
        brief.stated.append(f"peak {brief.peak_rps:,.0f} requests per second")
    else:
        daily = [_number(m) for m in _PER_DAY.finditer(flat)]
        if daily:
            # A day's volume at a peak of three times the daily mean.
            brief.peak_rps = max(1.0, round(max(daily) / 86400 * 3))
            brief.assumptions.append(
                f"peak of {brief.peak_rps:,.0f} requests per second: three times the mean of {max(daily):,.0f} a day"
            )

    concurrent = [_number(m) for m in _CONCURRENT.finditer(flat)] + [
        _number(m) for m in _CONCURRENT_AFTER.finditer(flat)
    ]
    if concurrent:
        brief.concurrent_users = int(max(concurrent))
        brief.stated.append(f"{brief.concurrent_users:,} concurrent users")
    users = [_number(m) for m in _USERS.finditer(flat)] + [_number(m) for m in _DAU.finditer(flat)]
    if users:
        brief.users = int(max(users))
    if brief.peak_rps is None and (brief.concurrent_users or brief.users):
        if brief.concurrent_users:
            # One action every ten seconds per connected user.
            brief.peak_rps = max(1.0, round(brief.concurrent_users / 10))
            why = f"one request every 10 s from each of {brief.concurrent_users:,} concurrent users"
        else:
            assert brief.users is not None
            # A tenth of the users active in the peak hour, each making 20 requests in it.
            brief.peak_rps = max(1.0, round(brief.users * 0.1 * 20 / 3600))
            why = f"a tenth of {brief.users:,} users active in the peak hour, 20 requests each"
        brief.assumptions.append(f"peak of {brief.peak_rps:,.0f} requests per second: {why}")

    latencies = []
    for m in _LATENCY.finditer(flat):
        value = float(m.group("num"))
        unit = m.group("unit").lower()
        latencies.append(value if unit.startswith("m") else value * 1000)
    if latencies:
        brief.p99_ms = min(latencies)
        brief.stated.append(f"p99 latency {brief.p99_ms:,.0f} ms")

    nines = [float(m.group("num")) for m in _AVAILABILITY.finditer(flat) if float(m.group("num")) < 100]
    words = {"two": 99.0, "2": 99.0, "three": 99.9, "3": 99.9, "four": 99.99, "4": 99.99, "five": 99.999, "5": 99.999}
    nines += [words[m.group(1).lower()] for m in _NINES.finditer(flat)]
    if nines:
        brief.availability = max(nines)
        brief.stated.append(f"availability {brief.availability}%")

    budgets = [_number(m) for m in _BUDGET.finditer(flat)]
    if budgets:
        brief.budget_monthly = max(budgets)
        brief.stated.append(f"budget ${brief.budget_monthly:,.0f} a month")
    rto = _RTO.search(flat)
    if rto:
        brief.rto_minutes = _minutes(rto)
    rpo = _RPO.search(flat)
    if rpo:
        brief.rpo_minutes = _minutes(rpo)
    elif _NO_DATA_LOSS.search(flat):
        brief.rpo_minutes = 0
        brief.stated.append("no data loss (RPO 0)")

    data: list[str] = []
    for pattern, framework, kind in _COMPLIANCE:
        if pattern.search(flat):
            if framework and framework not in brief.compliance:
                brief.compliance.append(framework)
            if kind and kind not in data:
                data.append(kind)
    if _PII.search(flat) and "pii" not in data:
        data.append("pii")
    if _FINANCIAL.search(flat) and "financial" not in data and "card" not in data:
        data.append("financial")
    if _MEDIA.search(flat):
        data.append("media")
    brief.data = data
    if brief.compliance:
        brief.stated.append("compliance: " + ", ".join(brief.compliance))

    for pattern, place in _RESIDENCY:
        if pattern.search(flat) and place not in brief.residency:
            brief.residency.append(place)
    if brief.residency and "gdpr" not in brief.compliance and "eu" in brief.residency and "pii" in data:
        brief.compliance.append("gdpr")
    brief.regions = list(dict.fromkeys(_REGION_ID.findall(flat)))
    if not brief.regions:
        brief.regions = [_REGION_WORDS[p] for p in brief.residency[:1]] or ["us-east-1"]
        if not brief.residency:
            brief.assumptions.append("one AWS region, us-east-1, where the description names none")
    brief.multi_region = bool(_MULTI_REGION.search(flat))
    brief.zone_loss = bool(_ZONE_LOSS.search(flat))
    if brief.peak_rps is None:
        brief.peak_rps = 200.0
        brief.assumptions.append("a peak of 200 requests per second, since the description states no traffic")
    if brief.availability is None:
        brief.availability = 99.9
        brief.assumptions.append("an availability target of 99.9%, since the description states none")
    return brief
