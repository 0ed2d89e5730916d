"""The diagram as a PNG (a headless Chromium rasterises the SVG target's drawing). Not part of
``all``: it needs a browser, which the other targets do not."""

from __future__ import annotations

from archls.export import ExportError, diagram
from archls.export.context import ExportContext
from archls.export.registry import target


@target(
    "png",
    "PNG diagram",
    kind="docs",
    description="The SVG diagram as a PNG, rendered by a headless Chromium (needs Chromium or Chrome)",
    in_all=False,
)
def png(ctx: ExportContext) -> dict[str, str | bytes]:
    from archls.preview.png import PngError, render

    try:
        return {"architecture.png": render(diagram.render(ctx))}
    except PngError as exc:
        raise ExportError(str(exc)) from exc
