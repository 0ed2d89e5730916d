"""Container image references (``[registry/]path[:tag][@digest]``) split into their parts."""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass
from functools import lru_cache

DOCKER_HUB_HOSTS = frozenset({"docker.io", "index.docker.io", "registry-1.docker.io", "registry.hub.docker.com"})
_PATH = re.compile(r"^[a-z0-9]+(?:[._-]+[a-z0-9]+)*(?:/[a-z0-9]+(?:[._-]+[a-z0-9]+)*)*$")
_TAG = re.compile(r"^[\w][\w.-]{0,127}$")
_DIGEST = re.compile(r"^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[0-9a-fA-F]{32,}$")


@dataclass(frozen=True, slots=True)
class ImageRef:
    raw: str
    registry: str | None  #: host[:port]; None for Docker Hub
    path: str  #: repository path; Docker Hub official images keep their bare name ("postgres")
    tag: str | None
    digest: str | None

    @property
    def host(self) -> str:
        return self.registry or "docker.io"

    @property
    def on_docker_hub(self) -> bool:
        return self.registry is None

    @property
    def namespace(self) -> str:
        """The Docker Hub account (``library`` for official images); the first path part elsewhere."""
        return self.path.split("/", 1)[0] if "/" in self.path else "library"

    @property
    def floating(self) -> bool:
        """No tag, or ``latest``, and no digest: what runs changes whenever the tag moves."""
        return self.digest is None and (self.tag is None or self.tag.lower() == "latest")

    def candidates(self, publishers: Collection[str] = ()) -> list[str]:
        """Names to look the image up by, most specific first.

        The bare last segment is a candidate only when the image is redistributed (see
        :meth:`redistributed`): a private ``pay/vault`` is a payments vault, not HashiCorp Vault.
        """
        out: list[str] = []
        if self.registry is not None:
            out.append(f"{self.registry}/{self.path}")
            if self.registry == "public.ecr.aws" and self.path.startswith("docker/library/"):
                out.append(self.path.removeprefix("docker/library/"))
        out.append(self.path)
        last = self.path.rsplit("/", 1)[-1]
        if last not in out and self.redistributed(publishers):
            out.append(last)
        return out

    def redistributed(self, publishers: Collection[str] = ()) -> bool:
        return redistributed(self.path, publishers)


def redistributed(path: str, publishers: Collection[str] = ()) -> bool:
    """Whether a repository path's last segment names the product it ships: the parent is
    ``library`` (an official image or a mirror of one), a known publisher (``bitnami/redis``) or
    the product's own name (``prometheus/prometheus``)."""
    parts = path.lower().split("/")
    if len(parts) < 2:
        return True
    parent, last = parts[-2], parts[-1]
    return parent == "library" or parent in publishers or parent == last or last.startswith(f"{parent}-")


def parse_image(reference: str | None) -> ImageRef | None:
    """Split an image reference; None when it is not one (empty, templated, malformed)."""
    if not reference:
        return None
    return _parse(str(reference))


@lru_cache(maxsize=8192)
def _parse(reference: str) -> ImageRef | None:
    text = reference.strip()
    if not text or any(ch in text for ch in " \t${}<>"):
        return None
    digest = None
    if "@" in text:
        text, digest = text.split("@", 1)
        if not _DIGEST.match(digest):
            return None
    tag = None
    slash = text.rfind("/")
    colon = text.rfind(":")
    if colon > slash:
        text, tag = text[:colon], text[colon + 1 :]
        if not _TAG.match(tag):
            return None
    registry = None
    first, _, rest = text.partition("/")
    if rest and ("." in first or ":" in first or first == "localhost"):
        registry = first.lower()
        text = rest
    if registry in DOCKER_HUB_HOSTS:
        registry = None
    path = text  # repository paths are lowercase by definition; anything else is not a reference
    if registry is None and path.startswith("library/"):
        path = path.removeprefix("library/")
    if not _PATH.match(path):
        return None
    return ImageRef(reference, registry, path, tag, digest)
