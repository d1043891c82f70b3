"""Charts as inline SVG text: the report's loss curves, latent-health bars and map.

A report must read in any browser with no script and no network, and the project has no
plotting library to pull in for three charts: SVG is text, scales without blurring, and these
few shapes (polylines, rectangles, circles, text) are all it takes. Every chart is a
``<figure>`` with a caption a screen reader reads.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from vae_explorer.trainer.report.colours import DEFAULT_PALETTE, UNLABELLED, hex_color, label_color

WIDTH, HEIGHT = 640, 300
MARGIN = (56, 16, 24, 40)  # left, right, top, bottom
GREY, INK = "#b0b0b0", "#333333"


@dataclass
class Series:
    name: str
    x: Sequence[float]
    y: Sequence[float]
    colour: str
    dashed: bool = False


class Frame:
    """Maps data coordinates to the pixels of a chart's plotting area (y grows upwards)."""

    def __init__(
        self, x_range: tuple[float, float], y_range: tuple[float, float], size: tuple[int, int] = (WIDTH, HEIGHT)
    ) -> None:
        (self.x0, self.x1), (self.y0, self.y1) = _nonempty(x_range), _nonempty(y_range)
        self.width, self.height = size
        left, right, top, bottom = MARGIN
        self.left, self.right, self.top, self.bottom = left, self.width - right, top, self.height - bottom

    def px(self, x: float) -> float:
        return self.left + (x - self.x0) / (self.x1 - self.x0) * (self.right - self.left)

    def py(self, y: float) -> float:
        return self.bottom - (y - self.y0) / (self.y1 - self.y0) * (self.bottom - self.top)

    def axes(self, x_label: str, y_label: str) -> list[str]:
        """The frame, four ticks a side and the two axis labels."""
        parts = [f'<rect x="{self.left}" y="{self.top}" width="{self.right - self.left}" '
                 f'height="{self.bottom - self.top}" fill="none" stroke="{INK}"/>']  # fmt: skip
        for t in nice_ticks(self.x0, self.x1):
            parts.append(_text(self.px(t), self.bottom + 14, _tick(t), anchor="middle"))
        parts += self.y_ticks()
        return parts + self.labels(x_label, y_label)

    def y_ticks(self) -> list[str]:
        return [_text(self.left - 4, self.py(t) + 4, _tick(t), anchor="end") for t in nice_ticks(self.y0, self.y1)]

    def labels(self, x_label: str, y_label: str) -> list[str]:
        return [
            _text((self.left + self.right) / 2, self.height - 4, x_label, anchor="middle"),
            _text(12, (self.top + self.bottom) / 2, y_label, anchor="middle", rotate=True),
        ]


def nice_ticks(low: float, high: float, count: int = 5) -> list[float]:
    """Round tick values (steps of 1, 2 or 5 times a power of ten) inside [low, high]."""
    raw = (high - low) / max(count - 1, 1)
    power = 10 ** np.floor(np.log10(raw))
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= raw)
    first = np.ceil(low / step) * step
    return [float(t) for t in np.arange(first, high + step * 1e-9, step)]


def line_chart(series: list[Series], caption: str, x_label: str, y_label: str) -> str:
    """Curves over a shared frame, with a legend under the chart (never over the data)."""
    xs = np.concatenate([np.asarray(s.x, float) for s in series if len(s.x)] or [np.zeros(1)])
    ys = np.concatenate([np.asarray(s.y, float) for s in series if len(s.y)] or [np.zeros(1)])
    frame = Frame((xs.min(), xs.max()), _padded(_finite_range(ys)))
    parts = frame.axes(x_label, y_label)
    for s in series:
        points = " ".join(f"{frame.px(x):.1f},{frame.py(y):.1f}" for x, y in zip(s.x, s.y, strict=True))
        dash = ' stroke-dasharray="6 4"' if s.dashed else ""
        parts.append(f'<polyline points="{points}" fill="none" stroke="{s.colour}" stroke-width="2"{dash}/>')
    legend = [(s.name, s.colour, s.dashed) for s in series]
    return _figure(parts, caption, legend)


def bar_chart(values: Sequence[float], highlighted: Sequence[bool], caption: str, x_label: str, y_label: str) -> str:
    """One bar per entry, labelled by its index; entries not highlighted are grey."""
    frame = Frame((-0.5, len(values) - 0.5), (0.0, 1.05 * max(float(np.max(values, initial=0.0)), 1e-6)))
    parts, step = frame.axes(x_label, y_label)[:1] + frame.y_ticks(), (frame.right - frame.left) / max(len(values), 1)
    for i, (v, on) in enumerate(zip(values, highlighted, strict=True)):
        top, colour = frame.py(float(v)), "#1f77b4" if on else GREY
        parts.append(
            f'<rect x="{frame.px(i) - 0.4 * step:.1f}" y="{top:.1f}" width="{0.8 * step:.1f}" '
            f'height="{frame.bottom - top:.1f}" fill="{colour}"><title>z{i}: {v:.3f}</title></rect>'
        )
        if len(values) <= 32 or i % 4 == 0:
            parts.append(_text(frame.px(i), frame.bottom + 14, f"z{i}", anchor="middle"))
    parts += frame.labels(x_label, y_label)
    return _figure(parts, caption, [("active", "#1f77b4", False), ("inactive", GREY, False)])


def scatter(
    points: np.ndarray, labels: np.ndarray | None, names: list[str] | None, caption: str, palette: str = DEFAULT_PALETTE
) -> str:
    """The map: one dot per image in its class colour, the legend (with counts) under it."""
    frame = Frame(_padded(_finite_range(points[:, 0])), _padded(_finite_range(points[:, 1])), size=(WIDTH, WIDTH))
    parts = [f'<rect x="{frame.left}" y="{frame.top}" width="{frame.right - frame.left}" '
             f'height="{frame.bottom - frame.top}" fill="white" stroke="{INK}"/>']  # fmt: skip
    classes = [None] if labels is None else [int(c) for c in np.unique(labels)]
    legend = []
    for c in classes:
        mine = points if c is None else points[labels == c]
        colour = hex_color(UNLABELLED if c is None else label_color(c, palette))
        dots = "".join(f'<circle cx="{frame.px(x):.1f}" cy="{frame.py(y):.1f}" r="2"/>' for x, y in mine)
        parts.append(f'<g fill="{colour}" fill-opacity="0.75">{dots}</g>')
        if c is not None:
            legend.append((f"{names[c] if names and c < len(names) else c} ({len(mine)})", colour, False))
    return _figure(parts, caption, legend, size=(WIDTH, WIDTH))


def _figure(
    parts: list[str], caption: str, legend: list[tuple[str, str, bool]], size: tuple[int, int] = (WIDTH, HEIGHT)
) -> str:
    """An ``<svg>`` of ``parts`` with the legend in rows under the plotting area, in a ``<figure>``."""
    width, height = size
    entries, x, y = [], MARGIN[0], height + 16
    for name, colour, dashed in legend:
        room = 34 + 7 * len(name)
        if x + room > width and x > MARGIN[0]:
            x, y = MARGIN[0], y + 18
        dash = ' stroke-dasharray="6 3"' if dashed else ""
        line = f'x1="{x}" y1="{y - 4}" x2="{x + 22}" y2="{y - 4}"'
        entries.append(f'<line {line} stroke="{colour}" stroke-width="3"{dash}/>')
        entries.append(_text(x + 28, y, name))
        x += room
    total = (y + 8) if legend else height
    body = "".join(parts + entries)
    return (
        f'<figure><svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {total}" width="{width}" '
        f'height="{total}" role="img" aria-label="{html.escape(caption)}" font-family="sans-serif" '
        f'font-size="11">{body}</svg><figcaption>{html.escape(caption)}</figcaption></figure>'
    )


def _text(x: float, y: float, text: str, anchor: str = "start", rotate: bool = False) -> str:
    turn = f' transform="rotate(-90 {x:.1f} {y:.1f})"' if rotate else ""
    return f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}" fill="{INK}"{turn}>{html.escape(text)}</text>'


def _tick(v: float) -> str:
    v = 0.0 if abs(v) < 1e-9 else v  # never "-0"
    return f"{v:.0f}" if abs(v) >= 100 else f"{v:.3g}"


def _finite_range(values: np.ndarray) -> tuple[float, float]:
    finite = np.asarray(values, float)[np.isfinite(values)]
    return (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0)


def _nonempty(r: tuple[float, float]) -> tuple[float, float]:
    low, high = float(r[0]), float(r[1])
    return (low, high) if high > low else (low - max(abs(low) * 0.1, 1.0), high + max(abs(low) * 0.1, 1.0))


def _padded(r: tuple[float, float]) -> tuple[float, float]:
    pad = (r[1] - r[0]) * 0.04
    return r[0] - pad, r[1] + pad
