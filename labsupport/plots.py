"""Plot helpers: each builds and returns a Figure, so it displays exactly once (lessons 00-02).

They use ``matplotlib.figure.Figure`` directly, never pyplot state. ``LabFigure`` knows how
to show itself as a PNG in a notebook, with or without pyplot imported.
"""
from __future__ import annotations

import io
import math
from collections import OrderedDict
from collections.abc import Hashable, Mapping, Sequence

import numpy as np
from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.image import imsave
from matplotlib.lines import Line2D
from matplotlib.patches import Rectangle

from .scenario import JourneyRun

KEPT_COLOR = "#2a9d8f"
LOST_COLOR = "#e63946"
THEORY_COLOR = "#264653"


class LabFigure(Figure):
    """A matplotlib Figure that renders itself as a PNG in notebooks."""

    def png(self, *, dpi: int = 90) -> bytes:
        """The figure as PNG bytes (dashboards redraw into an image widget with these)."""
        buffer = io.BytesIO()
        self.savefig(buffer, format="png", dpi=dpi)
        return buffer.getvalue()

    def _repr_png_(self) -> bytes:
        return self.png()


class DashboardFigure(LabFigure):
    """A LabFigure that a dashboard redraws after every click (lessons 00-03).

    A full draw renders every tick label and title again. ``frame_png`` draws only the artists
    that change (bars, titles) over a saved picture of everything else, the background; a
    background is drawn once per ``layout`` (whatever changes axes, limits or tick labels) and
    kept for the next ``backgrounds`` layouts. The changing artists stay ordinary artists, so
    ``png()`` and any other full draw show the whole figure.
    """

    def __init__(self, *, figsize: tuple[float, float], dpi: float = 100, backgrounds: int = 16) -> None:
        super().__init__(figsize=figsize, dpi=dpi)
        self._agg = FigureCanvasAgg(self)
        self._backgrounds: OrderedDict[Hashable, object] = OrderedDict()
        self._keep = backgrounds
        self.backgrounds_drawn = 0
        """How many full draws ``frame_png`` has made (one per layout not kept)."""

    def frame_png(self, *, layout: Hashable, changing: Sequence[Artist], compress_level: int = 1) -> bytes:
        """The figure as PNG bytes at its own dpi, drawing only ``changing`` over the ``layout``'s background."""
        background = self._backgrounds.get(layout)
        if background is None:
            background = self._draw_background(changing)
            self._backgrounds[layout] = background
            while len(self._backgrounds) > self._keep:
                self._backgrounds.popitem(last=False)
        else:
            self._backgrounds.move_to_end(layout)
            self._agg.restore_region(background)
        for artist in changing:
            self.draw_artist(artist)
        buffer = io.BytesIO()
        imsave(buffer, np.asarray(self._agg.buffer_rgba()), format="png", pil_kwargs={"compress_level": compress_level})
        return buffer.getvalue()

    def _draw_background(self, changing: Sequence[Artist]) -> object:
        for artist in changing:
            artist.set_animated(True)  # a full draw skips animated artists
        try:
            self._agg.draw()
            self.backgrounds_drawn += 1
        finally:
            for artist in changing:
                artist.set_animated(False)
        return self._agg.copy_from_bbox(self.bbox)


def new_figure(width: float = 7.0, height: float = 3.6, *, columns: int = 1) -> tuple[LabFigure, list[Axes]]:
    """An empty figure with ``columns`` side-by-side axes."""
    fig = LabFigure(figsize=(width, height), layout="constrained")
    axes = fig.subplots(1, columns, squeeze=False)[0]
    return fig, list(axes)


def request_timeline(run: JourneyRun, *, users: int = 12, title: str | None = None) -> LabFigure:
    """Which server served each request of the first ``users`` users, kept (o) or lost (x)."""
    names = list(run.users[:users])
    rows = {u: i for i, u in enumerate(names)}
    servers = sorted({r.server for r in run.records if r.server}, key=lambda s: int(s[1:]))
    colors = {s: f"C{i % 10}" for i, s in enumerate(servers)}
    fig, (ax,) = new_figure(8, 0.35 * len(names) + 1.6)
    for r in run.records:
        if r.user not in rows:
            continue
        ax.scatter(r.step, rows[r.user], s=140 if r.kept else 110, marker="o" if r.kept else "X",
                   color=colors.get(r.server or "", "grey"), edgecolors="black" if not r.kept else "none",
                   linewidths=1.2, zorder=3)
        ax.annotate(r.server or "-", (r.step, rows[r.user]), ha="center", va="center", fontsize=6,
                    color="white", zorder=4)
    ax.set_yticks(range(len(names)), names)
    ax.invert_yaxis()
    ax.set_xlabel("step of the journey (0 = login)")
    steps = max((r.step for r in run.records), default=0)
    ax.set_xticks(range(steps + 1))
    ax.grid(axis="x", alpha=0.3)
    handles = [Line2D([], [], marker="o", ls="", color=colors[s], label=s) for s in servers]
    handles.append(Line2D([], [], marker="X", ls="", color="white", markeredgecolor="black", label="session lost"))
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1), frameon=False)
    ax.set_title(title or f"{run.strategy} sessions, {run.policy}: "
                          f"{len(run.kept_users)} of {len(run.users)} journeys kept")
    return fig


def measured_vs_theory(x: Sequence[float], measured: Mapping[str, Sequence[float]],
                       theory: Sequence[float] | None = None, *,
                       xlabel: str, ylabel: str, title: str, theory_label: str = "theory",
                       log: bool = False, sample_size: int | None = None) -> LabFigure:
    """Lines of measured values (one per label) beside a dashed theory curve, if given.

    With ``sample_size`` (the number of users behind each measured share), the theory line gets
    a band of two standard errors, ``2 * sqrt(p * (1 - p) / n)``: where a share measured on that
    many users lands about 95% of the time (lesson 02).
    """
    fig, (ax,) = new_figure()
    if theory is not None and sample_size:
        spread = [2 * sampling_error(p, sample_size) for p in theory]
        ax.fill_between(x, [max(p - s, 1e-4 if log else 0.0) for p, s in zip(theory, spread)],
                        [p + s for p, s in zip(theory, spread)], color=THEORY_COLOR, alpha=0.12, lw=0,
                        label=f"theory ± 2 standard errors ({sample_size} users)")
    for i, (label, values) in enumerate(measured.items()):
        ax.plot(x, values, marker="o", color=f"C{i}", label=label)
    if theory is not None:
        ax.plot(x, theory, ls="--", color=THEORY_COLOR, label=theory_label)
    if log:
        ax.set_yscale("log")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend(frameon=False)
    return fig


def sampling_error(share: float, sample_size: int) -> float:
    """One standard error of a share measured on ``sample_size`` independent users: ``sqrt(p(1 - p) / n)``."""
    return math.sqrt(share * (1 - share) / sample_size) if sample_size > 0 else math.inf


def bars(values: Mapping[str, float], *, ylabel: str, title: str, highlight: Sequence[str] = (),
         reference: float | None = None, reference_label: str = "") -> LabFigure:
    """One bar per label; ``highlight`` labels in the 'lost' colour; optional reference line."""
    fig, (ax,) = new_figure()
    labels = list(values)
    ax.bar(labels, [values[k] for k in labels],
           color=[LOST_COLOR if k in highlight else KEPT_COLOR for k in labels])
    if reference is not None:
        ax.axhline(reference, ls="--", color=THEORY_COLOR, label=reference_label)
        ax.legend(frameon=False)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.grid(axis="y", alpha=0.3)
    return fig


def grouped_bars(groups: Sequence[str], series: Mapping[str, Sequence[float]], *, ylabel: str, title: str,
                 xlabel: str = "") -> LabFigure:
    """Bars for several series side by side in each group."""
    fig, (ax,) = new_figure()
    width = 0.8 / max(len(series), 1)
    for i, (label, values) in enumerate(series.items()):
        ax.bar([g + i * width - 0.4 + width / 2 for g in range(len(groups))], values, width, label=label,
               color=f"C{i}")
    ax.set_xticks(range(len(groups)), groups)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.grid(axis="y", alpha=0.3)
    ax.legend(frameon=False)
    return fig


def verdict_grid(labels: Sequence[str], verdicts: Mapping[str, Sequence[str]], *, bad: str, title: str) -> LabFigure:
    """A grid of verdicts: one row per label, one column per series; cells equal to ``bad`` in the
    'lost' colour, the others in the 'kept' colour, each cell labelled with its verdict (lesson 04)."""
    columns = list(verdicts)
    fig, (ax,) = new_figure(1.9 * len(columns) + 3.4, 0.42 * len(labels) + 1.3)
    for x, column in enumerate(columns):
        for y, verdict in enumerate(verdicts[column]):
            ax.add_patch(Rectangle((x - 0.5, y - 0.5), 1, 1, facecolor=LOST_COLOR if verdict == bad else KEPT_COLOR,
                                   edgecolor="white", linewidth=2))
            ax.text(x, y, verdict, ha="center", va="center", color="white", fontsize=9, fontweight="bold")
    ax.set_xlim(-0.5, len(columns) - 0.5)
    ax.set_ylim(len(labels) - 0.5, -0.5)
    ax.set_xticks(range(len(columns)), columns)
    ax.xaxis.tick_top()
    ax.set_yticks(range(len(labels)), labels)
    ax.tick_params(length=0)
    for spine in ax.spines.values():
        spine.set_visible(False)
    ax.set_title(title)
    return fig
