"""Reference data: technologies, end-of-life dates, prices and container registries.

The figures live in the YAML files beside this module, each with its source and the date it was
recorded. :func:`load` reads them once per process; :func:`for_config` applies a project's
overrides (``catalog:`` in ``.archls.yaml``) on top and is cached per override set.
"""

from __future__ import annotations

import datetime
import fnmatch
import json
import re
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from importlib import resources
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field

from archls import cachefile
from archls.catalog.images import ImageRef, parse_image

if TYPE_CHECKING:
    from archls.config import CatalogOverride, Config

__all__ = [
    "Catalog",
    "Cycle",
    "ImageRef",
    "Instance",
    "Product",
    "Quote",
    "Source",
    "Technology",
    "for_config",
    "load",
    "parse_image",
    "parse_instance",
]


class _Data(BaseModel):
    model_config = ConfigDict(extra="forbid", defer_build=True)  # as archls.model.Strict says why


class Source(_Data):
    title: str
    url: str
    published: datetime.date | None = None
    note: str | None = None


class Figure(_Data):
    value: float
    source: str
    note: str | None = None


class LoadFigures(_Data):
    """What one replica of a technology (or of a component type) does."""

    throughput_rps: float | None = Field(None, gt=0)
    per_vcpu: bool = False
    elastic: bool = False  #: adds capacity by itself as load grows (a managed, pay-per-use service)
    default_vcpu: float = Field(1.0, gt=0)
    service_ms: float | None = Field(None, gt=0)
    source: str | None = None
    availability: float | None = Field(None, gt=0, le=1)
    sla: float | None = Field(None, gt=0, le=1)
    availability_source: str | None = None


class Technology(LoadFigures):
    id: str = ""
    name: str
    aliases: list[str] = Field(default_factory=list)
    types: list[str] = Field(default_factory=list)
    port: int | None = None
    protocol: str | None = None
    images: list[str] = Field(default_factory=list)
    images_unversioned: list[str] = Field(default_factory=list)
    managed: bool = False
    pricing: str | None = None
    default_instance: str | None = None
    cold_start_ms: float | None = None
    eol: str | None = None  #: product key in eol.yaml when it differs from the id

    @property
    def eol_product(self) -> str:
        return self.eol or self.id


class Cycle(_Data):
    cycle: str
    released: datetime.date | None = None
    eol: datetime.date | None = None
    lts: bool = False
    note: str | None = None


class Product(_Data):
    name: str
    policy: str = ""
    source: Source
    aliases: dict[str, str] = Field(default_factory=dict)
    cycles: list[Cycle]

    def cycle_of(self, version: str) -> Cycle | None:
        """The release cycle a version belongs to: the longest cycle that prefixes it on a dot."""
        text = normalise_version(version)
        if not text:
            return None
        for old, new in self.aliases.items():
            if text == old or text.startswith(old + "."):
                text = new + text[len(old) :]
                break
        by_name = {c.cycle: c for c in self.cycles}
        parts = text.split(".")
        for n in range(len(parts), 0, -1):
            found = by_name.get(".".join(parts[:n]))
            if found is not None:
                return found
        return None

    def supported(self, as_of: datetime.date) -> list[Cycle]:
        return [c for c in self.cycles if c.eol is None or c.eol > as_of]


_VERSION = re.compile(r"^[vV]?(\d+(?:\.\d+)*)")


def normalise_version(version: str) -> str:
    """'v16.2-alpine' -> '16.2'; '' when the text does not start with a number."""
    found = _VERSION.match(str(version).strip())
    return found.group(1) if found else ""


class Size(_Data):
    factor: float
    vcpu: float


class Burstable(_Data):
    families: list[str]
    source: str
    baseline_vcpu: dict[str, float]


class InstanceGroup(_Data):
    source: str
    large: dict[str, float] = Field(default_factory=dict)
    classes: dict[str, float] = Field(default_factory=dict)


class Region(_Data):
    name: str
    same_as: str | None = None
    factor: dict[str, float | str] = Field(default_factory=dict)
    instances: dict[str, InstanceGroup] = Field(default_factory=dict)
    units: dict[str, dict[str, float | str]] = Field(default_factory=dict)


class Prices(_Data):
    recorded: datetime.date
    currency: str
    hours_per_month: float
    default_region: str
    sources: dict[str, Source]
    assumptions: dict[str, Figure]
    sizes: dict[str, Size]
    burstable: Burstable
    previous_generation: dict[str, str]
    arm_equivalent: dict[str, str]
    regions: dict[str, Region]


class Deprecated(_Data):
    image: str
    reason: str
    source: str
    replacement: str | None = None


class Images(_Data):
    recorded: datetime.date
    sources: dict[str, Source]
    trusted_registries: list[str]
    known_publishers: list[str]
    deprecated: list[Deprecated]


class TechnologiesFile(_Data):
    recorded: datetime.date
    sources: dict[str, Source]
    cdn_miss_ratio: Figure
    network: dict[str, Figure]
    availability: dict[str, Figure]
    types: dict[str, LoadFigures]
    technologies: dict[str, Technology]


class EolFile(_Data):
    recorded: datetime.date
    sources: dict[str, Source]
    products: dict[str, Product]


@dataclass(frozen=True, slots=True)
class Instance:
    """An instance class split into the service that sells it, its family and its size."""

    name: str
    service: str  #: ec2, rds, elasticache, msk, opensearch, mq
    family: str  #: price-table key, e.g. db.r6g, cache.m7g, search.m6g, m7g
    size: str

    @property
    def bare_family(self) -> str:
        return self.family.split(".", 1)[1] if "." in self.family else self.family

    def with_family(self, family: str) -> Instance:
        return Instance(_instance_name(self.service, family, self.size), self.service, family, self.size)


_PREFIXES = {"db": "rds", "cache": "elasticache", "kafka": "msk", "mq": "mq"}
#: Amazon Redshift node families, which carry no prefix of their own.
_REDSHIFT = frozenset({"dc2", "ds2", "ra3"})


def parse_instance(name: str) -> Instance | None:
    """``db.r6g.xlarge`` -> Instance(rds, db.r6g, xlarge); None for text that is not an instance class."""
    text = name.strip().lower()
    parts = text.split(".")
    if len(parts) == 3 and parts[2] == "search":
        return Instance(text, "opensearch", f"search.{parts[0]}", parts[1])
    if len(parts) == 3 and parts[0] in _PREFIXES:
        return Instance(text, _PREFIXES[parts[0]], f"{parts[0]}.{parts[1]}", parts[2])
    if len(parts) == 2 and parts[0] in _REDSHIFT:
        return Instance(text, "redshift", parts[0], parts[1])
    if len(parts) == 2 and re.fullmatch(r"[a-z]+\d[a-z0-9-]*", parts[0]):
        return Instance(text, "ec2", parts[0], parts[1])
    return None


def _instance_name(service: str, family: str, size: str) -> str:
    if service == "opensearch":
        return f"{family.removeprefix('search.')}.{size}.search"
    return f"{family}.{size}"


@dataclass(frozen=True, slots=True)
class Quote:
    """A price with where it came from. ``amount`` is in the unit the lookup names."""

    amount: float
    source: str  #: a key of the catalog's sources, or "config"
    region: str  #: the region whose figure was used
    note: str = ""


@dataclass
class Catalog:
    """All reference data, with any project overrides applied."""

    technologies_file: TechnologiesFile
    eol_file: EolFile
    prices: Prices
    images: Images
    overrides: CatalogOverride | None = None
    _alias: dict[str, str] = field(default_factory=dict)
    _image: dict[str, tuple[str, bool]] = field(default_factory=dict)
    # Look-ups repeat for every component of every audit; they are pure, so they are remembered.
    _memo: dict[tuple[Any, ...], Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for tid, tech in self.technologies_file.technologies.items():
            tech.id = tid
            for name in (tid, tech.name, *tech.aliases):
                self._alias.setdefault(_key(name), tid)
            for image in tech.images:
                self._image.setdefault(image.lower(), (tid, True))
            for image in tech.images_unversioned:
                self._image.setdefault(image.lower(), (tid, False))

    # --- sources --------------------------------------------------------------------------------

    @cached_property
    def sources(self) -> dict[str, Source]:
        out: dict[str, Source] = {}
        for part in (self.technologies_file, self.eol_file, self.prices, self.images):
            out.update(part.sources)
        return out

    def cite(self, key: str | None) -> str:
        """A short citation for a source key: its title and URL."""
        if key == "config":
            return "project configuration (.archls.yaml)"
        source = self.sources.get(key or "")
        if source is None:
            return key or "archls catalog"
        return f"{source.title} <{source.url}>"

    @property
    def recorded(self) -> datetime.date:
        return self.technologies_file.recorded

    # --- technologies --------------------------------------------------------------------------

    @property
    def technologies(self) -> dict[str, Technology]:
        return self.technologies_file.technologies

    def _remember(self, key: tuple[Any, ...], compute: Any) -> Any:
        try:
            return self._memo[key]
        except KeyError:
            if len(self._memo) > 20000:
                self._memo.clear()
            value = self._memo[key] = compute()
            return value

    def technology(self, name: str | None) -> Technology | None:
        """The technology a name or alias refers to (case and punctuation insensitive)."""
        if not name:
            return None
        return self._remember(("technology", name), lambda: self._technology(name))

    def _technology(self, name: str) -> Technology | None:
        tid = self._alias.get(_key(name))
        if tid is None:
            return None
        return self._with_override(self.technologies[tid])

    def technology_for_image(self, image: str | None) -> tuple[Technology, str | None] | None:
        """The technology an image reference runs and the version its tag names, when they can be told."""
        if not image:
            return None
        return self._remember(("image", image), lambda: self._technology_for_image(image))

    def _technology_for_image(self, image: str) -> tuple[Technology, str | None] | None:
        ref = parse_image(image)
        if ref is None:
            return None
        for candidate in ref.candidates(self.publishers):
            hit = self._image.get(candidate)
            if hit is not None:
                tid, versioned = hit
                version = normalise_version(ref.tag) if versioned and ref.tag else None
                return self._with_override(self.technologies[tid]), version or None
        return None

    def type_figures(self, component_type: str) -> LoadFigures:
        base = self.technologies_file.types.get(component_type, LoadFigures())
        extra = self.overrides.types.get(component_type) if self.overrides else None
        if extra is None:
            return base
        return base.model_copy(update={**extra.model_dump(exclude_none=True), "source": "config"})

    def _with_override(self, tech: Technology) -> Technology:
        if not self.overrides or not self.overrides.technologies:
            return tech
        for name, extra in self.overrides.technologies.items():
            if self._alias.get(_key(name)) == tech.id:
                update: dict[str, Any] = extra.model_dump(exclude_none=True)
                if {"throughput_rps", "service_ms", "per_vcpu"} & update.keys():
                    update["source"] = "config"
                if {"availability", "sla"} & update.keys():
                    update["availability_source"] = "config"
                return tech.model_copy(update=update)
        return tech

    def network(self, name: str) -> Figure:
        return self.technologies_file.network[name]

    def availability(self, name: str) -> Figure:
        return self.technologies_file.availability[name]

    # --- end of life ---------------------------------------------------------------------------

    def product(self, key: str) -> Product | None:
        return self._remember(("product", key), lambda: self._product(key))

    def cycle(self, key: str, version: str) -> tuple[Product, Cycle] | None:
        """The product and release cycle a version of ``key`` belongs to, when archls knows both."""

        def find() -> tuple[Product, Cycle] | None:
            product = self.product(key)
            cycle = product.cycle_of(version) if product else None
            return (product, cycle) if product and cycle else None

        return self._remember(("cycle", key, version), find)

    def _product(self, key: str) -> Product | None:
        base = self.eol_file.products.get(key)
        extra = self.overrides.eol.get(key) if self.overrides else None
        if not extra:
            return base
        cycles = {c.cycle: c for c in (base.cycles if base else [])}
        for cycle, eol in extra.items():
            old = cycles.get(str(cycle))
            cycles[str(cycle)] = (old or Cycle(cycle=str(cycle))).model_copy(update={"eol": eol, "note": "config"})
        source = base.source if base else Source(title="project configuration (.archls.yaml)", url="")
        return Product(
            name=base.name if base else key,
            policy=base.policy if base else "",
            source=source,
            cycles=list(cycles.values()),
            aliases=base.aliases if base else {},
        )

    # --- prices --------------------------------------------------------------------------------

    @property
    def hours_per_month(self) -> float:
        return self.prices.hours_per_month

    def assumption(self, name: str) -> float:
        return self.prices.assumptions[name].value

    def region_name(self, region: str | None) -> str:
        """The priced region to use for ``region``: itself when the catalog prices it, else the default."""
        if region and region in self.prices.regions:
            return region
        return self.prices.default_region

    def _region(self, region: str) -> Region:
        data = self.prices.regions[region]
        return self.prices.regions[data.same_as] if data.same_as else data

    def instance_hourly(self, region: str, instance: Instance | str) -> Quote | None:
        """The on-demand price of one instance per hour, or None when the class is not in the catalog."""
        inst = parse_instance(instance) if isinstance(instance, str) else instance
        if inst is None:
            return None
        return self._remember(("instance", region, inst), lambda: self._instance_hourly(region, inst))

    def _instance_hourly(self, region: str, inst: Instance) -> Quote | None:
        configured = self.overrides.prices.get(inst.name) if self.overrides else None
        if configured is not None:
            return Quote(configured, "config", region)
        size = self.prices.sizes.get(inst.size)
        region = self.region_name(region)
        data = self._region(region)
        default = self._region(self.prices.default_region)
        for where, group in ((data, data.instances.get(inst.service)), (default, default.instances.get(inst.service))):
            if group is None:
                continue
            factor = 1.0
            note = ""
            if where is not data:
                raw = data.factor.get(inst.service, 1.0)
                factor = float(raw)
                if factor != 1.0:
                    note = f"us-east-1 price x {factor:g} for {region}"
            if inst.name in group.classes:
                return Quote(group.classes[inst.name] * factor, group.source, region, note)
            if inst.family in group.large and size is not None:
                return Quote(group.large[inst.family] * size.factor * factor, group.source, region, note)
        return None

    def unit(self, region: str, service: str, name: str) -> Quote | None:
        """A unit price, e.g. ``unit(region, "fargate", "vcpu_hour")``."""
        return self._remember(("unit", region, service, name), lambda: self._unit(region, service, name))

    def _unit(self, region: str, service: str, name: str) -> Quote | None:
        key = f"{service}.{name}"
        configured = self.overrides.prices.get(key) if self.overrides else None
        if configured is not None:
            return Quote(configured, "config", region)
        region = self.region_name(region)
        for where in (self._region(region), self._region(self.prices.default_region)):
            block = where.units.get(service)
            if block is not None and isinstance(block.get(name), int | float):
                return Quote(float(block[name]), str(block.get("source", service)), region)
        return None

    def tiered(self, region: str, service: str, name: str, amount: float) -> tuple[float, str] | None:
        """The price of ``amount`` units under a volume-tiered price list such as ``cloudfront_tiers``."""
        region = self.region_name(region)
        for where in (self._region(region), self._region(self.prices.default_region)):
            block = where.units.get(name)
            if block is None:
                continue
            tiers = sorted((float(k), float(v)) for k, v in block.items() if k != "source")
            total, floor = 0.0, 0.0
            for ceiling, price in tiers:
                if amount <= floor:
                    break
                total += (min(amount, ceiling) - floor) * price
                floor = ceiling
            return total, str(block.get("source", service))
        return None

    def vcpus(self, instance: Instance | str) -> float | None:
        """vCPUs an instance sustains: its baseline for burstable families, else its size's vCPUs."""
        inst = parse_instance(instance) if isinstance(instance, str) else instance
        if inst is None:
            return None
        if inst.bare_family in self.prices.burstable.families:
            return self.prices.burstable.baseline_vcpu.get(inst.size)
        size = self.prices.sizes.get(inst.size)
        return size.vcpu if size else None

    def previous_generation(self, instance: Instance) -> Instance | None:
        successor = self.prices.previous_generation.get(instance.family)
        return instance.with_family(successor) if successor else None

    def arm_equivalent(self, instance: Instance) -> Instance | None:
        target = self.prices.arm_equivalent.get(instance.family)
        return instance.with_family(target) if target else None

    # --- registries ----------------------------------------------------------------------------

    @cached_property
    def publishers(self) -> frozenset[str]:
        """Docker Hub namespaces whose repositories are named for the product they ship."""
        return frozenset(p.lower() for p in self.images.known_publishers)

    def registry_trusted(self, host: str, allow: list[str] | None = None) -> bool:
        patterns = tuple(allow) if allow else tuple(self.images.trusted_registries)
        host = host.lower()
        return self._remember(
            ("trusted", host, patterns), lambda: any(_host_matches(host, p.lower()) for p in patterns)
        )

    def deprecated_image(self, ref: ImageRef) -> Deprecated | None:
        return self._remember(("deprecated", ref.raw), lambda: self._deprecated_image(ref))

    def _deprecated_image(self, ref: ImageRef) -> Deprecated | None:
        for entry in self.images.deprecated:
            pattern = entry.image.lower()
            for candidate in ref.candidates(self.publishers):
                if candidate == pattern or (pattern.endswith("/*") and candidate.startswith(pattern[:-1])):
                    return entry
        return None


def _host_matches(host: str, pattern: str) -> bool:
    if "*" not in pattern:
        return host == pattern
    regex = "^" + re.escape(pattern).replace(r"\*", r"[a-z0-9-]+(?:\.[a-z0-9-]+)*") + "$"
    return re.match(regex, host) is not None or fnmatch.fnmatch(host, pattern)


def _key(name: str) -> str:
    return re.sub(r"[\s_]+", "-", name.strip().lower())


#: Catalog files parsed elsewhere, by name, each taken once (``archls check`` reads them on another
#: core while it starts: see archls/batch/prefetch.py).
_parsed: dict[str, Any] = {}


def remember(name: str, data: Any) -> None:
    """The data of the bundled file ``name``, read as :func:`_read` reads it, in another process."""
    _parsed[name] = data


def _read(name: str) -> Any:
    if name in _parsed:
        return _parsed.pop(name)
    text = resources.files(__package__).joinpath(name).read_text(encoding="utf-8")
    # the data is kept beside the bytecode: reading the YAML was most of a small file's first audit
    return cachefile.yaml_data(__file__, name, text)


@lru_cache(maxsize=1)
def load() -> Catalog:
    """The bundled catalog without overrides, read once per process."""
    return Catalog(
        technologies_file=TechnologiesFile.model_validate(_read("technologies.yaml")),
        eol_file=EolFile.model_validate(_read("eol.yaml")),
        prices=Prices.model_validate(_read("prices.yaml")),
        images=Images.model_validate(_read("images.yaml")),
    )


@lru_cache(maxsize=16)
def _with_overrides(text: str) -> Catalog:
    from archls.config import CatalogOverride

    base = load()
    overrides = CatalogOverride.model_validate(json.loads(text))
    return Catalog(base.technologies_file, base.eol_file, base.prices, base.images, overrides)


def for_config(config: Config | None) -> Catalog:
    """The catalog with a configuration's ``catalog:`` overrides applied."""
    overrides = config.catalog if config is not None else None
    if overrides is None or not (overrides.technologies or overrides.types or overrides.prices or overrides.eol):
        return load()
    return _with_overrides(overrides.model_dump_json())
