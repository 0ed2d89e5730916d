"""A third-party rule module that raises, loaded into the server through ARCHLS_RULE_MODULES."""

from collections.abc import Iterator

from archls.findings import Severity
from archls.rules.registry import Hit, RuleContext, rule


@rule("QUAL099", "Test rule that always fails", severity=Severity.WARNING, what="x", why="x", example="x", fix="x")
def always_fails(ctx: RuleContext) -> Iterator[Hit]:
    raise ZeroDivisionError("planted failure")
    yield  # pragma: no cover
