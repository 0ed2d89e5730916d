"""Pattern knowledge of the offline backend: the parts a kind of product needs.

Each domain names the words that point to it and the services, stores and third parties such a
product is built from. The offline backend takes every domain a description matches (a food
delivery app with card payments is both), and the spec library, when it holds a closer match,
takes precedence (see :mod:`archls.assistant.library`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Store:
    id: str
    type: str  # database, cache, object-storage, search, stream, queue, data-warehouse
    technology: str
    description: str
    data: tuple[str, ...] = ()


@dataclass(frozen=True)
class Service:
    id: str
    description: str
    technology: str = "go"
    type: str = "service"
    data: tuple[str, ...] = ()
    #: Stores it reads and writes (ids of :class:`Store` in the same domain).
    uses: tuple[str, ...] = ()
    #: Third parties it calls (ids of :class:`External`).
    calls: tuple[str, ...] = ()
    #: Whether it serves the user's main request (the flow goes through it).
    on_path: bool = False
    #: Work handed to it through the domain's stream or queue rather than by a call.
    consumes: str | None = None


@dataclass(frozen=True)
class External:
    id: str
    description: str
    technology: str | None = None
    data: tuple[str, ...] = ()


@dataclass(frozen=True)
class Domain:
    name: str
    words: re.Pattern[str]
    flow: str
    flow_description: str
    services: tuple[Service, ...]
    stores: tuple[Store, ...] = ()
    externals: tuple[External, ...] = ()
    #: Static or media content: a CDN in front.
    media: bool = False
    notes: tuple[str, ...] = field(default=())


def _w(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, re.I)


DOMAINS: tuple[Domain, ...] = (
    Domain(
        "ride-hailing",
        _w(r"\b(?:ride[- ]?(?:sharing|hailing)|rides?|riders?|drivers?|uber|lyft|taxi|cabs?|carpool)\b"),
        "request-ride",
        "A rider requests a ride and is matched with a nearby driver.",
        (
            Service(
                "trips",
                "Creates trips, tracks their state and prices them.",
                data=("pii", "financial"),
                uses=("trips-db",),
                on_path=True,
            ),
            Service(
                "matching",
                "Finds the nearest available drivers and offers them the trip.",
                uses=("driver-locations",),
                on_path=True,
            ),
            Service(
                "location", "Ingests drivers' GPS updates every few seconds.", uses=("driver-locations",), data=("pii",)
            ),
            Service(
                "dispatch-events",
                "Publishes trip state changes to riders and drivers.",
                type="worker",
                consumes="trip-events",
                calls=("push-provider",),
            ),
        ),
        (
            Store("trips-db", "database", "postgresql", "Trips, fares and their state.", ("pii", "financial")),
            Store("driver-locations", "cache", "redis", "Drivers' latest positions in a geospatial index.", ("pii",)),
            Store("trip-events", "stream", "kafka", "Trip state changes for notifications and analytics."),
        ),
        (External("push-provider", "Push notifications to the rider and driver apps (APNs, FCM)."),),
    ),
    Domain(
        "chat",
        _w(r"\b(?:chat|messaging|messenger|whatsapp|slack|discord|direct messages?|group messages?)\b"),
        "send-message",
        "A user sends a message that is delivered to the other members of the conversation.",
        (
            Service(
                "realtime-gateway",
                "Holds users' WebSocket connections and pushes new messages.",
                technology="elixir",
                on_path=True,
                uses=("presence",),
            ),
            Service(
                "messages",
                "Stores messages and fans them out to the conversation's members.",
                data=("pii",),
                uses=("messages-db", "message-events"),
                on_path=True,
            ),
            Service(
                "delivery",
                "Delivers messages to offline users as push notifications.",
                type="worker",
                consumes="message-events",
                calls=("push-provider",),
            ),
        ),
        (
            Store("messages-db", "database", "cassandra", "Messages by conversation, newest first.", ("pii",)),
            Store("presence", "cache", "redis", "Who is online and on which gateway node."),
            Store("message-events", "stream", "kafka", "New messages for delivery and search indexing."),
        ),
        (External("push-provider", "Push notifications to mobile apps (APNs, FCM)."),),
    ),
    Domain(
        "video",
        _w(r"\b(?:video|streaming|netflix|youtube|twitch|movies?|episodes?|live stream\w*|vod)\b"),
        "play-video",
        "A viewer starts playing a video.",
        (
            Service(
                "catalog",
                "Titles, seasons and what each viewer may watch.",
                uses=("catalog-db", "catalog-cache"),
                on_path=True,
            ),
            Service(
                "playback",
                "Authorises playback and hands out signed manifest URLs.",
                uses=("catalog-cache",),
                on_path=True,
            ),
            Service(
                "transcoder",
                "Transcodes uploads into adaptive bitrate renditions.",
                type="worker",
                technology="python",
                consumes="transcode-jobs",
                uses=("media",),
            ),
        ),
        (
            Store("catalog-db", "database", "postgresql", "Titles, metadata and entitlements.", ("pii",)),
            Store("catalog-cache", "cache", "redis", "Hot catalog pages and entitlements."),
            Store("media", "object-storage", "s3", "Source files and transcoded segments.", ("media",)),
            Store("transcode-jobs", "queue", "sqs", "Uploads waiting to be transcoded."),
        ),
        media=True,
    ),
    Domain(
        "payments",
        _w(
            r"\b(?:payments?|checkout|billing|subscriptions?|invoices?|wallet|payouts?|card payments?|fintech|stripe)\b"
        ),
        "pay",
        "A customer pays; the charge is authorised once, even when the request is retried.",
        (
            Service(
                "payments",
                "Authorises and captures payments with idempotency keys.",
                technology="java",
                data=("financial",),
                uses=("payments-db", "idempotency-keys"),
                calls=("payment-provider",),
                on_path=True,
            ),
            Service(
                "ledger",
                "Double-entry ledger of every money movement.",
                data=("financial",),
                uses=("ledger-db",),
                consumes="payment-events",
            ),
        ),
        (
            Store("payments-db", "database", "postgresql", "Payments and their state.", ("financial",)),
            Store("idempotency-keys", "cache", "redis", "Idempotency keys of recent payment requests."),
            Store("ledger-db", "database", "postgresql", "Ledger entries.", ("financial",)),
            Store("payment-events", "stream", "kafka", "Authorised and captured payments for the ledger."),
        ),
        (External("payment-provider", "Card networks through a payment service provider.", "stripe", ("financial",)),),
    ),
    Domain(
        "commerce",
        _w(
            r"\b(?:e-?commerce|shop|store front|storefront|marketplace|catalogue|catalog|products?|carts?|orders?|inventory|retail|grocery|food delivery|restaurants?)\b"
        ),
        "place-order",
        "A shopper places an order from their cart.",
        (
            Service(
                "catalog", "Products, prices and availability.", uses=("catalog-db", "catalog-cache"), on_path=True
            ),
            Service(
                "orders",
                "Carts and orders, and their state.",
                data=("pii", "financial"),
                uses=("orders-db", "order-events"),
                on_path=True,
            ),
            Service(
                "fulfilment",
                "Reserves stock and hands orders to fulfilment.",
                type="worker",
                consumes="order-events",
                uses=("orders-db",),
            ),
        ),
        (
            Store("catalog-db", "database", "postgresql", "Products and prices."),
            Store("catalog-cache", "cache", "redis", "Product pages and prices most viewed."),
            Store("orders-db", "database", "postgresql", "Carts and orders.", ("pii", "financial")),
            Store("order-events", "stream", "kafka", "Placed and paid orders."),
        ),
        media=True,
    ),
    Domain(
        "feed",
        _w(r"\b(?:social|feeds?|timelines?|posts?|followers?|twitter|instagram|news feed|comments?)\b"),
        "read-feed",
        "A user opens their home feed.",
        (
            Service(
                "feed", "Builds each user's home feed from precomputed timelines.", uses=("timelines",), on_path=True
            ),
            Service("posts", "Creates and reads posts.", data=("pii",), uses=("posts-db", "post-events")),
            Service(
                "fanout",
                "Writes new posts into followers' timelines.",
                type="worker",
                consumes="post-events",
                uses=("timelines",),
            ),
        ),
        (
            Store("posts-db", "database", "cassandra", "Posts by author.", ("pii",)),
            Store("timelines", "cache", "redis", "Precomputed home timelines."),
            Store("post-events", "stream", "kafka", "New posts for fan-out and ranking."),
            Store("media", "object-storage", "s3", "Photos and videos attached to posts.", ("media",)),
        ),
        media=True,
    ),
    Domain(
        "url-shortener",
        _w(r"\b(?:url shortener|short(?:en(?:ed|ing)?)? (?:links?|urls?)|bit\.?ly|tinyurl|redirects?)\b"),
        "follow-link",
        "A visitor follows a short link and is redirected.",
        (
            Service(
                "redirect",
                "Resolves a short code and redirects.",
                technology="rust",
                uses=("links-cache",),
                on_path=True,
            ),
            Service("links", "Creates short links and their codes.", uses=("links-db",)),
        ),
        (
            Store("links-db", "database", "dynamodb", "Short codes and their targets."),
            Store("links-cache", "cache", "redis", "The most followed links."),
        ),
    ),
    Domain(
        "search",
        _w(r"\b(?:search(?:es|ing)?|full[- ]text|autocomplete|typeahead|index(?:ing)?)\b"),
        "search",
        "A user searches and gets ranked results.",
        (
            Service(
                "search-api", "Parses queries and ranks results.", uses=("search-index", "query-cache"), on_path=True
            ),
            Service(
                "indexer",
                "Keeps the index up to date from change events.",
                type="worker",
                consumes="index-updates",
                uses=("search-index",),
            ),
        ),
        (
            Store("search-index", "search", "opensearch", "The search index."),
            Store("query-cache", "cache", "redis", "Results of popular queries."),
            Store("index-updates", "stream", "kafka", "Changed documents to index."),
        ),
    ),
    Domain(
        "files",
        _w(r"\b(?:file (?:sharing|sync|storage)|dropbox|google drive|documents?|uploads?|photos?|backups?)\b"),
        "upload-file",
        "A user uploads a file and it syncs to their other devices.",
        (
            Service(
                "files",
                "File and folder metadata, sharing and versions.",
                data=("pii",),
                uses=("files-db",),
                on_path=True,
            ),
            Service("uploads", "Hands out signed upload URLs and verifies chunks.", uses=("blobs",), on_path=True),
            Service("sync", "Notifies devices of changes.", type="worker", consumes="file-events"),
        ),
        (
            Store("files-db", "database", "postgresql", "File metadata and sharing.", ("pii",)),
            Store("blobs", "object-storage", "s3", "File contents in chunks.", ("pii",)),
            Store("file-events", "stream", "kafka", "Changed files for the devices that sync them."),
        ),
    ),
    Domain(
        "booking",
        _w(
            r"\b(?:book(?:ing|ings)?|reservations?|tickets?|ticketing|hotels?|flights?|seats?|appointments?|concerts?|events? tickets?)\b"
        ),
        "book",
        "A customer holds and books an available slot.",
        (
            Service(
                "availability",
                "What can be booked, from a cache of inventory.",
                uses=("inventory-cache",),
                on_path=True,
            ),
            Service(
                "bookings",
                "Holds and confirms bookings without double-booking.",
                data=("pii", "financial"),
                uses=("bookings-db", "booking-events"),
                on_path=True,
            ),
            Service(
                "confirmations",
                "Sends confirmations and reminders.",
                type="worker",
                consumes="booking-events",
                calls=("email-provider",),
            ),
        ),
        (
            Store("bookings-db", "database", "postgresql", "Inventory, holds and bookings.", ("pii", "financial")),
            Store("inventory-cache", "cache", "redis", "Available inventory by date."),
            Store("booking-events", "queue", "sqs", "Confirmed bookings for notifications."),
        ),
        (External("email-provider", "Transactional email."),),
    ),
    Domain(
        "health",
        _w(
            r"\b(?:patients?|medical|health(?:care)?|clinics?|doctors?|hospitals?|telehealth|ehr|prescriptions?|pharmacy)\b"
        ),
        "view-record",
        "A clinician opens a patient's record.",
        (
            Service(
                "records",
                "Patient records with access checks on every read.",
                technology="java",
                data=("phi",),
                uses=("records-db",),
                on_path=True,
            ),
            Service(
                "scheduling", "Appointments between patients and clinicians.", data=("pii",), uses=("scheduling-db",)
            ),
        ),
        (
            Store("records-db", "database", "postgresql", "Patient records.", ("phi",)),
            Store("scheduling-db", "database", "postgresql", "Appointments.", ("pii",)),
        ),
    ),
    Domain(
        "notifications",
        _w(r"\b(?:notifications?|alerts?|push|sms|emails?|newsletters?)\b"),
        "notify",
        "A notification reaches the user on their preferred channel.",
        (
            Service(
                "notifications",
                "Accepts notification requests and applies user preferences.",
                data=("pii",),
                uses=("notification-queue", "preferences-db"),
                on_path=True,
            ),
            Service(
                "senders",
                "Sends through the channel's provider with retries.",
                type="worker",
                consumes="notification-queue",
                calls=("messaging-provider",),
            ),
        ),
        (
            Store("preferences-db", "database", "postgresql", "Users' channels and preferences.", ("pii",)),
            Store("notification-queue", "queue", "sqs", "Notifications waiting to be sent."),
        ),
        (External("messaging-provider", "Email, SMS and push delivery providers.", data=("pii",)),),
    ),
    Domain(
        "analytics",
        _w(
            r"\b(?:analytics|metrics|telemetry|iot|sensors?|devices?|clickstream|events? pipeline|dashboards?|logs? ingestion|ad clicks?)\b"
        ),
        "ingest",
        "A device or page sends an event that lands in the dashboards.",
        (
            Service("ingest", "Validates events and appends them to the stream.", uses=("events",), on_path=True),
            Service(
                "aggregator",
                "Rolls events up into per-minute aggregates.",
                type="worker",
                technology="java",
                consumes="events",
                uses=("aggregates-db", "warehouse"),
            ),
            Service("dashboards", "Queries aggregates for dashboards.", uses=("aggregates-db",)),
        ),
        (
            Store("events", "stream", "kafka", "Raw events."),
            Store("aggregates-db", "database", "postgresql", "Per-minute aggregates."),
            Store("warehouse", "data-warehouse", "redshift", "History for ad-hoc analysis."),
        ),
    ),
    Domain(
        "collaboration",
        _w(r"\b(?:collaborative|co-?editing|google docs|figma|whiteboard|real-?time editing|multiplayer)\b"),
        "edit-document",
        "An editor's change reaches everyone in the document within moments.",
        (
            Service(
                "collab-gateway",
                "Holds editors' WebSocket sessions and merges operations.",
                technology="node",
                uses=("sessions",),
                on_path=True,
            ),
            Service(
                "documents",
                "Stores document snapshots and operation logs.",
                data=("pii",),
                uses=("documents-db",),
                on_path=True,
            ),
        ),
        (
            Store("documents-db", "database", "postgresql", "Documents, snapshots and operation logs.", ("pii",)),
            Store("sessions", "cache", "redis", "Open sessions and their document."),
        ),
    ),
    Domain(
        "ai",
        _w(
            r"\b(?:llm|gpt|claude|chatbot|ai assistant|machine learning|ml models?|inference|recommendations?|embeddings?|rag)\b"
        ),
        "ask",
        "A user asks a question and gets an answer from the model.",
        (
            Service(
                "assistant-api",
                "Builds prompts, enforces quotas and streams answers.",
                technology="python",
                uses=("prompt-cache",),
                calls=("model-provider",),
                on_path=True,
            ),
            Service(
                "retrieval",
                "Finds the passages an answer draws on.",
                technology="python",
                uses=("vector-index",),
                on_path=True,
            ),
        ),
        (
            Store("prompt-cache", "cache", "redis", "Answers to repeated questions and per-user quotas."),
            Store("vector-index", "search", "opensearch", "Embeddings of the documents answers draw on."),
        ),
        (External("model-provider", "The hosted language model API."),),
    ),
    Domain(
        "gaming",
        _w(r"\b(?:games?|gaming|players?|leaderboards?|matchmaking|lobbies|tournaments?)\b"),
        "play-match",
        "Players are matched and their scores land on the leaderboard.",
        (
            Service("matchmaker", "Groups players of similar skill into matches.", uses=("lobbies",), on_path=True),
            Service("leaderboard", "Ranks players by score.", uses=("scores",), on_path=True),
            Service("profiles", "Player profiles and inventories.", data=("pii",), uses=("players-db",)),
        ),
        (
            Store("lobbies", "cache", "redis", "Players waiting for a match."),
            Store("scores", "cache", "redis", "Sorted sets of scores."),
            Store("players-db", "database", "postgresql", "Players and inventories.", ("pii",)),
        ),
    ),
)

#: What a product no domain matches is built from: an API over a database with a cache.
GENERIC = Domain(
    "web-app",
    _w(r"$^"),
    "main-request",
    "A user makes the product's main request.",
    (
        Service(
            "app", "The product's API and business logic.", data=("pii",), uses=("app-db", "app-cache"), on_path=True
        ),
        Service("jobs", "Background work handed over by the API.", type="worker", consumes="jobs-queue"),
    ),
    (
        Store("app-db", "database", "postgresql", "The product's data.", ("pii",)),
        Store("app-cache", "cache", "redis", "Hot reads and sessions."),
        Store("jobs-queue", "queue", "sqs", "Background jobs."),
    ),
)


def matching(text: str, limit: int = 3) -> list[Domain]:
    """The domains a description talks about, most mentioned first."""
    scored = [(len(d.words.findall(text)), n, d) for n, d in enumerate(DOMAINS)]
    hits = sorted((s for s in scored if s[0] > 0), key=lambda s: (-s[0], s[1]))
    return [d for _, _, d in hits[:limit]]
