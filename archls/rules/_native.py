"""What native rules share: deferring to a model rule that reports the same thing.

A native rule reads the file's own format; a model rule reads what the loader put into the model.
Where both would see one problem (a public database, a secret in an environment variable), the
native rule leaves it to the model rule when that rule is registered and enabled, and reports only
what the model does not carry (a cluster member instance, a ConfigMap, a second container).
"""

from __future__ import annotations

from archls.rules.registry import REGISTRY, RuleContext


def covered(ctx: RuleContext, code: str) -> bool:
    """Whether model rule ``code`` exists and runs in this audit."""
    found = REGISTRY.get(code)
    return found is not None and found.check is not None and ctx.config.enabled(code)
