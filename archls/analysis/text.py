"""Figures written for people: the same rounding in findings, tables and hovers."""

from __future__ import annotations

import math


def number(value: float) -> str:
    """1234.5 -> '1,235'; 12.34 -> '12.3'; 0.0123 -> '0.012'."""
    if not math.isfinite(value):
        return "∞"
    if abs(value) >= 100:
        return f"{value:,.0f}"
    if abs(value) >= 10:
        return f"{value:,.1f}".rstrip("0").rstrip(".")
    return f"{value:.3g}"


def rps(value: float) -> str:
    return f"{number(value)} rps"


def ms(value: float | None) -> str:
    if value is None or not math.isfinite(value):
        return "unbounded"
    if value >= 10:
        return f"{value:,.0f} ms"
    return f"{value:.2g} ms" if value < 1 else f"{value:.1f} ms"


def usd(value: float) -> str:
    return f"${value:,.0f}" if abs(value) >= 10 else f"${value:,.2f}"


def unit_price(value: float) -> str:
    """A list price: $0.096, $0.0042, $1.25."""
    text = f"{value:.4f}".rstrip("0")
    whole, _, cents = text.partition(".")
    return f"${whole}.{cents.ljust(2, '0')}"


def percent(fraction: float, digits: int = 2) -> str:
    """0.99951 -> '99.95%' (availability); 0.7 -> '70%' with digits=0."""
    return f"{fraction * 100:.{digits}f}%"


def availability(fraction: float) -> str:
    """A percentage that never rounds up across a target: 0.99988 -> '99.988%', not '99.99%'."""
    if fraction >= 1:
        return "100%"
    value = fraction * 100
    digits = 2
    while digits < 4 and round(value, digits) > value + 1e-9:
        digits += 1
    return f"{value:.{digits}f}%"


def times(value: float) -> str:
    """Utilisation as a multiple: 1.43 -> '1.4x'."""
    if not math.isfinite(value):
        return "∞x"
    return f"{value:.1f}x" if value < 10 else f"{value:.0f}x"


def plural(count: float, noun: str, plural_form: str | None = None) -> str:
    """A count with its noun in the right number: ``1 file``, ``2 files``, ``1 minute``, ``1.5 minutes``."""
    shown = f"{count:,}" if isinstance(count, int) else f"{count:g}"
    return f"{shown} {noun if count == 1 else plural_form or noun + 's'}"
