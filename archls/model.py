"""The architecture model: the one shape every input format is read into.

Rules, analyses, exports and the preview see only these classes. The JSON Schema in
``schemas/architecture.schema.json`` is generated from them (``archls schema``).
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, PrivateAttr, model_validator
from pydantic_core import PydanticCustomError

FORMAT_VERSION = 1


def _keep_raw_number(value: Any) -> Any:
    # YAML reads `version: 3.10` as the float 3.1; the loader keeps the written text
    # on its numbers so a version is what the author typed.
    raw = getattr(value, "raw", None)
    if raw is not None:
        return raw
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return str(value)
    return value


Text = Annotated[str, BeforeValidator(_keep_raw_number)]


class ComponentType(StrEnum):
    CLIENT = "client"
    CDN = "cdn"
    DNS = "dns"
    WAF = "waf"
    LOAD_BALANCER = "load-balancer"
    API_GATEWAY = "api-gateway"
    SERVICE = "service"
    WORKER = "worker"
    FUNCTION = "function"
    SCHEDULER = "scheduler"
    DATABASE = "database"
    CACHE = "cache"
    QUEUE = "queue"
    STREAM = "stream"
    OBJECT_STORAGE = "object-storage"
    FILE_STORAGE = "file-storage"
    SEARCH = "search"
    DATA_WAREHOUSE = "data-warehouse"
    IDENTITY = "identity"
    SECRETS = "secrets"
    EXTERNAL = "external"
    MONITORING = "monitoring"
    LOGGING = "logging"


#: Types that hold state; backups, encryption at rest and replication apply to them.
STATEFUL_TYPES = frozenset(
    {
        ComponentType.DATABASE,
        ComponentType.CACHE,
        ComponentType.QUEUE,
        ComponentType.STREAM,
        ComponentType.OBJECT_STORAGE,
        ComponentType.FILE_STORAGE,
        ComponentType.SEARCH,
        ComponentType.DATA_WAREHOUSE,
        ComponentType.SECRETS,
    }
)

#: Types whose work is running code that the team deploys.
COMPUTE_TYPES = frozenset(
    {
        ComponentType.SERVICE,
        ComponentType.WORKER,
        ComponentType.FUNCTION,
        ComponentType.SCHEDULER,
        ComponentType.API_GATEWAY,
    }
)


class DataKind(StrEnum):
    PUBLIC = "public"
    INTERNAL = "internal"
    PII = "pii"
    PHI = "phi"
    CARD = "card"
    FINANCIAL = "financial"
    CREDENTIALS = "credentials"
    SECRETS = "secrets"
    TELEMETRY = "telemetry"
    MEDIA = "media"


#: Data whose exposure is a reportable incident under at least one framework.
SENSITIVE_DATA = frozenset(
    {DataKind.PII, DataKind.PHI, DataKind.CARD, DataKind.FINANCIAL, DataKind.CREDENTIALS, DataKind.SECRETS}
)


class Protocol(StrEnum):
    HTTP = "http"
    HTTPS = "https"
    GRPC = "grpc"
    WS = "ws"
    WSS = "wss"
    GRAPHQL = "graphql"
    TCP = "tcp"
    UDP = "udp"
    TLS = "tls"
    POSTGRES = "postgres"
    MYSQL = "mysql"
    MONGODB = "mongodb"
    REDIS = "redis"
    MEMCACHED = "memcached"
    CASSANDRA = "cassandra"
    ELASTICSEARCH = "elasticsearch"
    AMQP = "amqp"
    AMQPS = "amqps"
    KAFKA = "kafka"
    MQTT = "mqtt"
    MQTTS = "mqtts"
    NATS = "nats"
    SQS = "sqs"
    SNS = "sns"
    S3 = "s3"
    SMTP = "smtp"
    SMTPS = "smtps"
    LDAP = "ldap"
    LDAPS = "ldaps"
    FTP = "ftp"
    SFTP = "sftp"
    NFS = "nfs"
    DNS = "dns"
    WEBRTC = "webrtc"


#: A plaintext protocol and the protocol that is its TLS form.
TLS_FORM: dict[Protocol, Protocol] = {
    Protocol.HTTP: Protocol.HTTPS,
    Protocol.WS: Protocol.WSS,
    Protocol.AMQP: Protocol.AMQPS,
    Protocol.MQTT: Protocol.MQTTS,
    Protocol.SMTP: Protocol.SMTPS,
    Protocol.LDAP: Protocol.LDAPS,
    Protocol.FTP: Protocol.SFTP,
    Protocol.TCP: Protocol.TLS,
}

#: Protocols that are encrypted by definition.
ENCRYPTED_PROTOCOLS = frozenset(TLS_FORM.values()) | {Protocol.SQS, Protocol.SNS, Protocol.S3, Protocol.WEBRTC}

#: Protocols that hand a message over rather than wait for an answer.
ASYNC_PROTOCOLS = frozenset(
    {
        Protocol.AMQP,
        Protocol.AMQPS,
        Protocol.KAFKA,
        Protocol.MQTT,
        Protocol.MQTTS,
        Protocol.NATS,
        Protocol.SQS,
        Protocol.SNS,
    }
)


class Framework(StrEnum):
    PCI_DSS = "pci-dss"
    HIPAA = "hipaa"
    SOC2 = "soc2"
    GDPR = "gdpr"


class Auth(StrEnum):
    NONE = "none"
    PASSWORD = "password"
    API_KEY = "api-key"
    BASIC = "basic"
    OAUTH2 = "oauth2"
    OIDC = "oidc"
    JWT = "jwt"
    MTLS = "mtls"
    IAM = "iam"
    SAML = "saml"


class GroupType(StrEnum):
    REGION = "region"
    ZONE = "zone"
    VPC = "vpc"
    SUBNET = "subnet"
    NETWORK = "network"
    CLUSTER = "cluster"
    NAMESPACE = "namespace"
    ACCOUNT = "account"
    TRUST_BOUNDARY = "trust-boundary"


class Strict(BaseModel):
    """Base for hand-written sections: unknown keys are errors, not silently dropped."""

    # Validators are built at a class's first use, not at import: a server's start builds only those
    # its first audit needs (pydantic >= 2.14 builds them under a lock, safe beside the audit thread).
    model_config = ConfigDict(extra="forbid", use_enum_values=False, populate_by_name=True, defer_build=True)


class Latency(Strict):
    p50_ms: float | None = Field(None, gt=0, description="Target median latency in milliseconds.")
    p99_ms: float | None = Field(None, gt=0, description="Target 99th-percentile latency in milliseconds.")


class Requirements(Strict):
    """Non-functional requirements the audits measure the architecture against."""

    peak_rps: float | None = Field(None, ge=0, description="Peak requests per second the system must serve.")
    concurrent_users: int | None = Field(None, ge=0, description="Users connected at the same time at peak.")
    latency: Latency | None = Field(None, description="End-to-end latency targets.")
    availability: float | None = Field(None, gt=0, lt=100, description="Availability target in percent, e.g. 99.95.")
    rto_minutes: float | None = Field(None, ge=0, description="Recovery time objective in minutes.")
    rpo_minutes: float | None = Field(None, ge=0, description="Recovery point objective in minutes.")
    compliance: list[Framework] = Field(default_factory=list, description="Frameworks the system must meet.")
    data_residency: list[Text] = Field(
        default_factory=list, description="Regions or jurisdictions personal data must stay in, e.g. eu."
    )
    budget_monthly: float | None = Field(None, ge=0, description="Monthly infrastructure budget in US dollars.")


class Autoscaling(Strict):
    min: int = Field(1, ge=0, description="Fewest replicas.")
    max: int = Field(..., ge=1, description="Most replicas.")
    target_cpu: float | None = Field(None, gt=0, le=100, description="CPU utilisation the scaler aims for, percent.")


class Backups(Strict):
    enabled: bool = Field(True, description="Whether backups are taken.")
    retention_days: int | None = Field(None, ge=0, description="How long backups are kept.")
    point_in_time: bool | None = Field(None, description="Continuous backups allowing point-in-time recovery.")
    cross_region: bool | None = Field(None, description="Backups copied to another region.")


class HealthCheck(Strict):
    path: Text | None = Field(None, description="HTTP path probed, e.g. /healthz.")
    command: Text | None = Field(None, description="Command probed instead of a path.")
    interval_s: float | None = Field(None, gt=0, description="Seconds between probes.")
    timeout_s: float | None = Field(None, gt=0, description="Seconds before a probe counts as failed.")


class Resources(Strict):
    cpu: float | None = Field(None, gt=0, description="CPU cores per replica.")
    memory_mb: float | None = Field(None, gt=0, description="Memory per replica in MiB.")
    storage_gb: float | None = Field(None, gt=0, description="Provisioned storage in GiB.")
    instance: Text | None = Field(None, description="Instance or node class, e.g. m7g.large or db.r6g.large.")
    storage_type: Text | None = Field(None, description="Volume type of the storage, e.g. gp3, gp2, io2.")
    limits: bool | None = Field(None, description="Whether the runtime enforces these as limits.")


class Container(Strict):
    """How a containerised component runs; mostly read from compose and Kubernetes files."""

    privileged: bool | None = Field(None, description="Runs with all host capabilities.")
    run_as_root: bool | None = Field(None, description="The process runs as user 0.")
    read_only_root: bool | None = Field(None, description="The root filesystem is mounted read-only.")
    privilege_escalation: bool | None = Field(None, description="The process may gain more privileges.")
    host_network: bool | None = Field(None, description="Shares the host's network namespace.")
    host_pid: bool | None = Field(None, description="Shares the host's process namespace.")
    host_ipc: bool | None = Field(None, description="Shares the host's IPC namespace.")
    docker_socket: bool | None = Field(None, description="Mounts the container engine's socket.")
    capabilities: list[Text] = Field(default_factory=list, description="Linux capabilities added.")


class Component(Strict):
    """One deployable or external part of the system."""

    type: ComponentType = Field(..., description="What kind of component this is.")
    technology: Text | None = Field(None, description="Product or runtime, e.g. postgresql, redis, go, kafka.")
    version: Text | None = Field(None, description="Version of the technology, e.g. '15' or '3.12'.")
    description: Text | None = Field(None, description="What the component does.")
    replicas: int | None = Field(None, ge=0, description="Instances running at once (default 1).")
    autoscaling: Autoscaling | None = Field(None, description="Replica range when the component scales itself.")
    zones: list[Text] = Field(default_factory=list, description="Availability zones it runs in.")
    regions: list[Text] = Field(default_factory=list, description="Regions it runs in.")
    public: bool = Field(False, description="Reachable from the internet.")
    auth: Auth | None = Field(None, description="How callers authenticate.")
    tls: bool | None = Field(None, description="Serves its endpoints over TLS.")
    encryption_at_rest: bool | None = Field(None, description="Stored data is encrypted.")
    backups: bool | Backups | None = Field(None, description="Backups of stored data.")
    data: list[DataKind] = Field(default_factory=list, description="Kinds of data it stores or processes.")
    health_check: bool | HealthCheck | None = Field(None, description="How liveness is probed.")
    resources: Resources | None = Field(None, description="Resources per replica.")
    image: Text | None = Field(None, description="Container image reference.")
    ports: list[int] = Field(default_factory=list, description="Ports it listens on.")
    env: dict[str, Text | None] = Field(default_factory=dict, description="Environment variables.")
    container: Container | None = Field(None, description="Container runtime settings.")
    instance_metadata: Literal["v1", "v2"] | None = Field(
        None,
        description="Instance metadata service the instances allow: v1 (session tokens optional) or v2 (required).",
    )
    rate_limit: bool | None = Field(None, description="Requests are rate limited at this component.")
    waf: bool | None = Field(None, description="A web application firewall filters its traffic.")
    audit_log: bool | None = Field(None, description="Access to its data is written to an audit log.")
    retention_days: int | None = Field(None, ge=0, description="How long stored data is kept.")
    capacity_rps: float | None = Field(
        None, gt=0, description="Requests per second one replica sustains (overrides the catalog)."
    )
    latency_ms: float | None = Field(
        None, gt=0, description="Service time of one request in milliseconds (overrides the catalog)."
    )
    cost_monthly: float | None = Field(
        None, ge=0, description="Monthly cost in US dollars for all replicas (overrides the estimate)."
    )
    tags: list[Text] = Field(default_factory=list, description="Free-form labels.")

    # Filled by loaders of other formats; never written by hand, so not in the schema.
    _origin: Any = PrivateAttr(default=None)

    @property
    def replica_count(self) -> int:
        if self.replicas is not None:
            return self.replicas
        if self.autoscaling is not None:
            return max(self.autoscaling.min, 1)
        return 1

    @property
    def backups_enabled(self) -> bool | None:
        if isinstance(self.backups, Backups):
            return self.backups.enabled
        return self.backups

    @property
    def has_health_check(self) -> bool:
        return bool(self.health_check)


class Connection(Strict):
    """A call or message from one component to another."""

    source: str = Field(..., alias="from", description="Component that starts the call.")
    target: str = Field(..., alias="to", description="Component that receives it.")
    protocol: Protocol | None = Field(None, description="Wire protocol.")
    mode: Literal["sync", "async"] | None = Field(
        None, description="sync waits for an answer; async hands a message over. Default from the protocol."
    )
    required: bool = Field(True, description="The caller fails when this call fails.")
    timeout_ms: float | None = Field(None, gt=0, description="Caller gives up after this many milliseconds.")
    retries: int | None = Field(None, ge=0, description="Retries after a failed call.")
    circuit_breaker: bool | None = Field(None, description="Calls stop for a while after repeated failures.")
    fallback: Text | None = Field(None, description="What the caller does when the call fails.")
    tls: bool | None = Field(None, description="Encrypted in transit.")
    mtls: bool | None = Field(None, description="Both sides authenticate with certificates.")
    data: list[DataKind] = Field(default_factory=list, description="Kinds of data carried.")
    share: float = Field(1.0, ge=0, le=1, description="Fraction of the caller's requests that make this call.")
    calls: int = Field(1, ge=1, description="Calls made per request (fan-out).")
    port: int | None = Field(None, ge=1, le=65535, description="Destination port.")
    description: Text | None = Field(None, description="What the call is for.")

    _evidence: list[Any] = PrivateAttr(default_factory=list)

    @property
    def is_async(self) -> bool:
        if self.mode is not None:
            return self.mode == "async"
        return self.protocol in ASYNC_PROTOCOLS

    @property
    def encrypted(self) -> bool:
        return bool(self.tls or self.mtls or self.protocol in ENCRYPTED_PROTOCOLS)


class Flow(Strict):
    """A named request path through the components, in call order."""

    path: list[str] = Field(..., min_length=1, description="Component ids in the order the request visits them.")
    rps: float | None = Field(None, ge=0, description="Requests per second on this flow at peak.")
    latency_budget_ms: float | None = Field(None, gt=0, description="p99 latency this flow may take.")
    description: Text | None = Field(None, description="What the user is doing.")


class Group(Strict):
    """A zone or trust boundary components belong to."""

    type: GroupType = Field(GroupType.TRUST_BOUNDARY, description="What kind of boundary this is.")
    public: bool = Field(False, description="The boundary faces the internet.")
    members: list[str] = Field(default_factory=list, description="Component ids inside the boundary.")
    parent: str | None = Field(None, description="Group this one sits inside.")
    description: Text | None = Field(None, description="What the boundary is.")


class CheckKind(StrEnum):
    """What an acceptance criterion measures; each kind is one SPEC rule."""

    LATENCY = "latency"
    AVAILABILITY = "availability"
    NO_SINGLE_POINT_OF_FAILURE = "no-single-point-of-failure"
    SURVIVES_ZONE_LOSS = "survives-zone-loss"
    ENCRYPTED = "encrypted"
    COST = "cost"
    COMPONENT_ON_FLOW = "component-on-flow"
    NO_ERRORS = "no-errors"
    GRADE = "grade"


#: The settings each kind of criterion must state.
CRITERION_NEEDS: dict[CheckKind, tuple[str, ...]] = {
    CheckKind.LATENCY: ("flow", "p99_ms"),
    CheckKind.AVAILABILITY: (),
    CheckKind.NO_SINGLE_POINT_OF_FAILURE: (),
    CheckKind.SURVIVES_ZONE_LOSS: (),
    CheckKind.ENCRYPTED: ("kinds",),
    CheckKind.COST: ("max_usd",),
    CheckKind.COMPONENT_ON_FLOW: ("flow", "type"),
    CheckKind.NO_ERRORS: (),
    CheckKind.GRADE: ("grade",),
}


class Criterion(Strict):
    """One acceptance criterion: a typed check archls measures on every audit (rule family SPEC)."""

    check: CheckKind = Field(..., description="What is measured.")
    id: Text | None = Field(None, description="A short name for the criterion, e.g. fast-redirects.")
    description: Text | None = Field(None, description="What the criterion means for the product.")
    flow: str | None = Field(
        None, description="Flow the check is about (latency, component-on-flow; optional for the others)."
    )
    p99_ms: float | None = Field(None, gt=0, description="latency: the flow's p99 may be at most this many ms.")
    rps: float | None = Field(
        None, gt=0, description="latency: measure at this many requests per second instead of the flow's rps."
    )
    nines: float | None = Field(None, gt=0, lt=10, description="availability: at least this many nines, e.g. 3.5.")
    percent: float | None = Field(None, gt=0, lt=100, description="availability: at least this percent, e.g. 99.95.")
    kinds: list[DataKind] = Field(
        default_factory=list, description="encrypted: data kinds that must be encrypted in transit and at rest."
    )
    max_usd: float | None = Field(None, ge=0, description="cost: the monthly estimate may be at most this, US dollars.")
    type: ComponentType | None = Field(None, description="component-on-flow: a component of this type on the flow.")
    technology: Text | None = Field(None, description="component-on-flow: ... with this technology.")
    grade: Literal["A", "B", "C", "D"] | None = Field(None, description="grade: the grade must be at least this.")
    hint_level: int | None = Field(
        None, ge=1, le=3, description="How specific the hint of an unmet criterion is, 1 to 3 (the coach raises it)."
    )

    #: Position in the file's `acceptance` list (entries that failed validation are left out of the model).
    _index: int = PrivateAttr(default=-1)

    @property
    def index(self) -> int:
        return self._index

    @model_validator(mode="after")
    def _needs(self) -> Criterion:
        missing = [key for key in CRITERION_NEEDS[self.check] if getattr(self, key) in (None, [])]
        if self.check == CheckKind.AVAILABILITY and self.nines is None and self.percent is None:
            missing.append("nines' or 'percent")
        if missing:
            raise PydanticCustomError(
                "criterion", "a {check} check needs '{keys}'", {"check": self.check.value, "keys": "', '".join(missing)}
            )
        return self

    @property
    def availability_target(self) -> float | None:
        """The availability asked for, 0..1."""
        if self.percent is not None:
            return self.percent / 100
        if self.nines is not None:
            return 1 - 10 ** (-self.nines)
        return None


class Coach(Strict):
    """Progress through a coach challenge; written and advanced by `archls coach`."""

    challenge: Text = Field(..., description="The challenge's name, e.g. url-shortener.")
    stage: int = Field(1, ge=1, description="The stage being worked on.")


class Architecture(Strict):
    """An architecture: metadata, requirements and the parts of the system."""

    archls: int = Field(FORMAT_VERSION, ge=1, le=FORMAT_VERSION, description="Format version of this file.")
    name: Text = Field(..., description="Name of the system.")
    description: Text | None = Field(None, description="What the system does.")
    requirements: Requirements = Field(default_factory=Requirements, description="Non-functional requirements.")
    components: dict[str, Component] = Field(default_factory=dict, description="Components by id.")
    connections: list[Connection] = Field(default_factory=list, description="Calls and messages between components.")
    flows: dict[str, Flow] = Field(default_factory=dict, description="Request paths by id.")
    groups: dict[str, Group] = Field(default_factory=dict, description="Zones and trust boundaries by id.")
    acceptance: list[Criterion] = Field(
        default_factory=list, description="Acceptance criteria archls checks on every audit (rules SPEC001-SPEC009)."
    )
    coach: Coach | None = Field(None, description="The coach challenge this file is working through.")
