"""The SVG diagram of an architecture: the preview's layout and drawing (``archls.preview``), so the
exported picture and the live one are the same."""

from __future__ import annotations

from archls.export.context import ExportContext


def render(ctx: ExportContext) -> str:
    """A standalone SVG document of the architecture."""
    from archls.preview import scene, svg

    return svg.document(scene.of_model(ctx.model, graph=ctx.graph))
