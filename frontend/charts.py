"""Every plotly figure of the pages, built in Python; templates pass them with json_script to plotly.js."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import plotly.graph_objects as go
from django.conf import settings
from django.utils import formats, timezone

from instruments.definitions import Definition
from instruments.models import Assessment
from patients.models import Modality, TreatmentPhase
from reassessment.models import SEVERITY_RANK, Flag
from reassessment.outcomes import Outcomes, Rate
from reassessment.selectors import Summary

FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, sans-serif"
INK = "#1f2933"
MUTED = "#616e7c"
SCORE = "#1c4f82"
SECONDARY = "#5c4287"  # a further instrument's line, distinct from the primary's blue
# Severity bands, calm to alarming; pale enough that the score line stays the loudest thing on the chart.
BAND_FILLS = ("#eef7f0", "#f6f8e8", "#fdf8e4", "#fdf0e3", "#fbe9e7")
PHASE_COLOURS = {Modality.MEDICATION: "#34568b", Modality.PSYCHOTHERAPY: "#23695a", Modality.COMBINED: "#5c4287"}
FLAG_COLOURS = {"urgent": "#b3261e", "high": "#c25e00", "medium": "#9a6b00", "low": "#616e7c"}
CATEGORY_COLOURS = {"response": "#2e7d6b", "remission": "#1c4f82"}
SEQUENCE_LABELS = {"medication_first": "Medication first", "therapy_first": "Therapy first", "concurrent": "Concurrent"}


def as_json(fig: go.Figure) -> dict[str, Any]:
    """The figure as plain JSON data for json_script (plotly's own encoder handles dates and numbers)."""
    return json.loads(fig.to_json())


def _day(d: date) -> str:
    return formats.date_format(d)


def _layout(**overrides: Any) -> dict[str, Any]:
    layout: dict[str, Any] = {
        "template": "none",
        "font": {"family": FONT, "size": 13, "color": INK},
        "paper_bgcolor": "rgba(0,0,0,0)",
        "plot_bgcolor": "rgba(0,0,0,0)",
        "hoverlabel": {"font": {"family": FONT}},
        "showlegend": False,
    }
    layout.update(overrides)
    return layout


# The nominal width of a chart's plotting area, px: the patient page at 1280 px, a little narrower to be safe. Labels
# are placed for it; a wider window only adds room between them.
PLOT_PX = 900
LABEL_PX_PER_CHAR = 6.3  # 11 px system-ui, average
HISTORY_DAYS = 365  # the initial view; earlier scores are a drag away
NEWEST_SHARE = 0.25  # the newest phase gets at least a quarter of the width
PRIMARY_PX = 300  # the primary instrument's plot
SECONDARY_PX = 110  # each further instrument's small plot below it
GAP_PX = 36


@dataclass(frozen=True)
class Window:
    start: date
    end: date
    earlier_hidden: bool  # some history lies left of the initial view


def x_window(*, first: date, newest_start: date | None, today: date, checkpoint_days: int) -> Window:
    """The initial date range of a trend chart.

    It ends a few days after today, or after the newest phase's first checkpoint (day 28) if that is later, so a
    phase started yesterday has room for the scores it is waiting for instead of a strip at the right edge. It shows
    at most a year, and the newest phase at least a quarter of the width; what that cuts on the left is a drag away.
    """
    pad = timedelta(days=5)
    end = today + pad
    if newest_start is not None:
        end = max(end, newest_start + timedelta(days=checkpoint_days) + pad)
    start = max(first - pad, end - timedelta(days=HISTORY_DAYS))
    if newest_start is not None and newest_start > start:
        span = (end - newest_start).days
        start = max(start, min(newest_start, end - timedelta(days=round(span / NEWEST_SHARE))))
    return Window(start=start, end=end, earlier_hidden=start > first - pad)


@dataclass(frozen=True)
class PhaseLabel:
    x: date
    text: str
    row: int


def phase_labels(phases: Sequence[tuple[date, date, str, str]], window: Window) -> list[PhaseLabel]:
    """Labels for the phase strip above the chart, placed so that none overlaps another.

    Each goes on its phase's start: the full text ("Combined · acute") where it fits the phase's span, else the
    short one (modality only); on the first of three rows that is free there. A phase too short for any label
    keeps its coloured strip (the phase list below the chart names it). `phases`: (start, end, full, short), oldest
    first.
    """
    days = max((window.end - window.start).days, 1)

    def px(d: date) -> float:
        return (d - window.start).days / days * PLOT_PX

    def width(text: str) -> float:
        return len(text) * LABEL_PX_PER_CHAR + 8

    free = [float("-inf")] * 3  # where each row is free again, px
    placed = []
    for index, (start, end, full, short) in enumerate(phases):
        if end <= window.start:
            continue
        x = max(start, window.start)
        left, room = px(x) + 4, px(min(end, window.end)) - px(x) - 4
        last = index == len(phases) - 1
        fitting = [text for text in (full, short) if last or width(text) <= room]
        choices = [(text, row) for text in [*fitting, short] for row in range(3) if left >= free[row]]
        if not choices:
            continue
        text, row = choices[0]
        free[row] = left + width(text)
        placed.append(PhaseLabel(x=x, text=text, row=row))
    return placed


def trend_figure(
    *,
    definition: Definition,
    assessments: Sequence[Assessment],
    phases: Sequence[TreatmentPhase],
    summary: Summary | None,
    flags: Sequence[Flag],
    today: date,
    secondary: Sequence[tuple[Definition, Sequence[Assessment]]] = (),
) -> dict[str, Any]:
    """Scores of one instrument over time: severity bands, treatment phases as spans, the current phase's baseline
    with its improvement levels, and flags as markers. Hover shows date, score and severity.

    Each `secondary` instrument (HAM-D 17 beside a PHQ-9, say) is a small plot below the primary one on the same
    date axis, with its own scale and bands: two scales on one axis would invite reading 20 on one as 20 on the other.
    """
    labels = {band.severity: band.label for band in definition.bands}
    days = [a.administered_on for a in assessments]
    other_days = [a.administered_on for _, own in secondary for a in own]
    ordered = sorted(phases, key=lambda p: (p.started_on, p.id))
    first = min([*days, *other_days, *(p.started_on for p in phases)], default=today - timedelta(days=28))
    window = x_window(
        first=first,
        newest_start=ordered[-1].started_on if ordered else None,
        today=today,
        checkpoint_days=int(settings.MBC_RULES["checkpoint_days"]),
    )
    x_start, x_end = window.start, window.end
    y_top = _y_top(definition, assessments)

    # Rows from the top: the primary plot, then one small plot per secondary instrument.
    strip_rows = 1
    height_px = PRIMARY_PX + len(secondary) * (SECONDARY_PX + GAP_PX)
    domains = [(1 - PRIMARY_PX / height_px, 1.0)]
    bottom = 1 - (PRIMARY_PX + GAP_PX) / height_px
    for _ in secondary:
        domains.append((max(bottom - SECONDARY_PX / height_px, 0.0), bottom))
        bottom -= (SECONDARY_PX + GAP_PX) / height_px

    fig = go.Figure()
    shapes: list[dict[str, Any]] = []
    notes: list[dict[str, Any]] = []

    shapes_b, notes_b = _bands(definition, y_top, "y")
    shapes += shapes_b
    notes += notes_b

    label_rows = phase_labels(
        [
            (
                p.started_on,
                (p.ended_on + timedelta(days=1)) if p.ended_on else x_end,
                f"{p.get_modality_display()} · {p.get_stage_display().lower()}",
                p.get_modality_display(),
            )
            for p in ordered
        ],
        window,
    )
    strip_rows = 1 + max((label.row for label in label_rows), default=0)
    strip_top = 1.015 + strip_rows * 22 / height_px  # 22 px a row of labels
    for phase in ordered:
        start = phase.started_on.isoformat()
        end = ((phase.ended_on + timedelta(days=1)) if phase.ended_on else x_end).isoformat()
        colour = PHASE_COLOURS.get(phase.modality, MUTED)
        # A faint column over the scores, and a labelled strip above the plot: which scores belong to which phase.
        shapes.append(
            {"type": "rect", "xref": "x", "x0": start, "x1": end, "yref": "paper", "y0": 0, "y1": 1,
             "fillcolor": colour, "opacity": 0.07, "line": {"width": 0}, "layer": "below"}
        )
        shapes.append(
            {"type": "rect", "xref": "x", "x0": start, "x1": end, "yref": "paper", "y0": 1.015, "y1": strip_top,
             "fillcolor": colour, "opacity": 0.22, "line": {"width": 0}}
        )
        shapes.append(
            {"type": "line", "xref": "x", "x0": start, "x1": start, "yref": "paper", "y0": 0, "y1": strip_top,
             "line": {"width": 1.5, "color": colour}}
        )
    row_height = (strip_top - 1.015) / strip_rows
    for label in label_rows:
        notes.append(
            {"xref": "x", "x": label.x.isoformat(), "xanchor": "left", "xshift": 4, "yref": "paper",
             "y": strip_top - row_height * (label.row + 0.5), "yanchor": "middle", "showarrow": False,
             "font": {"size": 11, "color": INK}, "text": label.text}
        )

    result = summary.result if summary is not None and summary.instrument == definition.code else None
    if result is not None and result.baseline is not None and summary is not None and summary.phase is not None:
        rules = settings.MBC_RULES
        baseline = result.baseline.total
        x0 = summary.phase.started_on.isoformat()
        partial, response = rules["partial_response_below_pct"], rules["response_min_pct"]
        level30 = round(baseline * (1 - partial / 100), 1)
        level50 = round(baseline * (1 - response / 100), 1)
        levels = [
            (baseline, f"Baseline {baseline}", "#3e4c59", "dash"),
            (level30, f"{partial:g}% better: {level30:g}", "#9a6b00", "dot"),
            (level50, f"{response:g}% better: {level50:g}", "#2e7d6b", "dot"),
        ]
        for level, text, colour, dash in levels:
            shapes.append(
                {"type": "line", "xref": "x", "x0": x0, "x1": x_end.isoformat(), "yref": "y", "y0": level,
                 "y1": level, "line": {"width": 1.5, "color": colour, "dash": dash}}
            )
            notes.append(
                {"xref": "x", "x": x_end.isoformat(), "xanchor": "right", "yref": "y", "y": level,
                 "yanchor": "bottom", "text": text, "showarrow": False,
                 "font": {"size": 11, "color": colour}}
            )

    fig.add_trace(
        go.Scatter(
            x=[d.isoformat() for d in days],
            y=[a.total for a in assessments],
            mode="lines+markers",
            name="Score",
            line={"color": SCORE, "width": 2},
            marker={"size": 8, "color": SCORE, "line": {"color": "white", "width": 1}},
            customdata=[[_day(a.administered_on), labels.get(a.severity, a.severity)] for a in assessments],
            hovertemplate="%{customdata[0]}<br>Score %{y}: %{customdata[1]}<extra></extra>",
        )
    )

    by_id = {a.id: a for a in assessments}
    flag_x, flag_y, flag_text, flag_colour = [], [], [], []
    # The most severe last, so it is drawn on top of any other flag on the same score.
    for flag in sorted(flags, key=lambda f: -SEVERITY_RANK.get(f.severity, 9)):
        assessment = by_id.get(flag.assessment_id) if flag.assessment_id else None
        if assessment is not None:
            x, y = assessment.administered_on, assessment.total
        elif flag.assessment_id is None and summary is not None and summary.instrument == definition.code:
            # Flags about no particular score (overdue, medicines) sit along the top of the primary chart.
            x, y = timezone.localdate(flag.created_at), y_top - 1
        else:
            continue
        flag_x.append(x.isoformat())
        flag_y.append(y)
        flag_text.append(f"{flag.get_kind_display()} ({flag.get_status_display().lower()})<br>{_day(x)}")
        flag_colour.append(FLAG_COLOURS.get(flag.severity, MUTED))
    if flag_x:
        fig.add_trace(
            go.Scatter(
                x=flag_x,
                y=flag_y,
                mode="markers",
                name="Flags",
                marker={"symbol": "diamond-open", "size": 17, "color": flag_colour, "line": {"width": 2.5}},
                text=flag_text,
                hovertemplate="%{text}<extra></extra>",
            )
        )

    axes: dict[str, Any] = {
        "yaxis": {"range": [0, y_top], "title": {"text": definition.short_name}, "gridcolor": "rgba(0,0,0,0.06)",
                  "zeroline": False, "fixedrange": True, "domain": list(domains[0])},
    }
    for number, ((other, own), domain) in enumerate(zip(secondary, domains[1:], strict=True), start=2):
        axis = f"y{number}"
        top = _y_top(other, own)
        shapes_b, notes_b = _bands(other, top, axis)
        shapes += shapes_b
        notes += notes_b
        other_labels = {band.severity: band.label for band in other.bands}
        fig.add_trace(
            go.Scatter(
                x=[a.administered_on.isoformat() for a in own],
                y=[a.total for a in own],
                yaxis=axis,
                mode="lines+markers",
                name=other.short_name,
                line={"color": SECONDARY, "width": 2},
                marker={"size": 7, "color": SECONDARY, "line": {"color": "white", "width": 1}},
                customdata=[[_day(a.administered_on), other_labels.get(a.severity, a.severity)] for a in own],
                hovertemplate=f"{other.short_name}<br>%{{customdata[0]}}<br>Score %{{y}}: %{{customdata[1]}}"
                "<extra></extra>",
            )
        )
        axes[f"yaxis{number}"] = {
            "range": [0, top], "title": {"text": other.short_name}, "gridcolor": "rgba(0,0,0,0.06)",
            "zeroline": False, "fixedrange": True, "domain": list(domain), "anchor": "x", "nticks": 4,
        }
    fig.update_layout(
        **_layout(
            height=height_px + 60 + strip_rows * 22,
            margin={"l": 56, "r": 116, "t": 22 + strip_rows * 22, "b": 40},
            shapes=shapes,
            annotations=notes,
            hovermode="closest",
            dragmode="pan",
            xaxis={"type": "date", "range": [x_start.isoformat(), x_end.isoformat()], "showgrid": False,
                   "tickformat": "%-d %b\n%Y", "linecolor": "#cbd2d9", "ticks": "outside", "anchor": f"y{len(domains)}"
                   if len(domains) > 1 else "y"},
            **axes,
        )
    )
    figure = as_json(fig)
    figure["meta"] = {"earlier_hidden": window.earlier_hidden}
    return figure


def _y_top(definition: Definition, assessments: Sequence[Assessment]) -> int:
    """PHQ-9 fits whole; HAM-D 17's 0-52 would squash real scores, so stop a little above the highest one."""
    highest = max((a.total for a in assessments), default=0)
    return definition.max_total if definition.max_total <= 30 else min(definition.max_total, max(30, highest + 6))


def _bands(definition: Definition, y_top: int, axis: str) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """An instrument's severity bands as pale rows across the plot, each named on the right."""
    shapes, notes = [], []
    for band, fill in zip(definition.bands, BAND_FILLS, strict=False):
        if band.low > y_top:
            continue
        low, high = max(band.low - 0.5, 0), min(band.high + 0.5, y_top)
        shapes.append(
            {"type": "rect", "xref": "paper", "x0": 0, "x1": 1, "yref": axis, "y0": low, "y1": high,
             "fillcolor": fill, "line": {"width": 0}, "layer": "below"}
        )
        if axis == "y":  # a small plot has no room to name its bands: its hover says the severity
            notes.append(
                {"xref": "paper", "x": 1.0, "xanchor": "left", "xshift": 6, "yref": axis, "y": (low + high) / 2,
                 "text": band.label, "showarrow": False, "font": {"size": 11, "color": MUTED}}
            )
    return shapes, notes


# Short item names for the heat map's rows (the full texts are in the hover and the answers table).
ITEM_NAMES = {
    "phq9": ("Interest", "Mood", "Sleep", "Energy", "Appetite", "Self-worth", "Concentration", "Psychomotor",
             "Self-harm thoughts"),
}
HEAT_COLUMNS = 16  # the most recent administrations shown


def item_name(definition: Definition, number: int) -> str:
    names = ITEM_NAMES.get(definition.code)
    if names and number <= len(names):
        return names[number - 1]
    text = definition.items[number - 1].text.split(" (")[0]
    return text if len(text) <= 26 else text[:25].rstrip() + "…"


def item_heatmap(*, definition: Definition, assessments: Sequence[Assessment]) -> dict[str, Any]:
    """Each item of an instrument over its most recent administrations: a small heat map, one column per
    administration (oldest left), darker for a higher answer; the suicide item's row is marked."""
    recent = list(assessments)[-HEAT_COLUMNS:]
    items = definition.items
    columns = [
        formats.date_format(a.administered_on, "j M") + "<br>" + str(a.administered_on.year)
        + (f" ({i})" if _count_same(recent, a, i) else "")
        for i, a in enumerate(recent, start=1)
    ]
    rows = [
        ("⚠ " if item.number == definition.suicide_item else "")
        + f"{item.number}. {item_name(definition, item.number)}"
        for item in items
    ]
    z, text, hover = [], [], []
    for item in items:
        index = item.number - 1
        answers = [a.items[index] if index < len(a.items) else None for a in recent]
        z.append([None if v is None else v / item.max_score for v in answers])
        text.append(["" if v is None else str(v) for v in answers])
        hover.append([
            "" if v is None else f"{item.number}. {item.text}<br>{_day(a.administered_on)}: {v} ({item.anchors[v]})"
            for v, a in zip(answers, recent, strict=True)
        ])
    fig = go.Figure(
        go.Heatmap(
            x=columns,
            y=rows,
            z=z,
            zmin=0,
            zmax=1,
            text=text,
            texttemplate="%{text}",
            textfont={"size": 11, "color": INK},
            customdata=hover,
            hovertemplate="%{customdata}<extra></extra>",
            colorscale=[[0, "#f7f9fb"], [0.34, "#fbe3c7"], [0.67, "#f4b27c"], [1, "#e07b4f"]],
            showscale=False,
            xgap=2,
            ygap=2,
        )
    )
    # A positive suicide item is outlined in red whatever its shade: 1 of 3 is pale, and it is never a pale matter.
    shapes = []
    if definition.suicide_item is not None:
        row = definition.suicide_item - 1
        for column, assessment in enumerate(recent):
            if row < len(assessment.items) and assessment.items[row] >= 1:
                shapes.append(
                    {"type": "rect", "xref": "x", "yref": "y", "x0": column - 0.5, "x1": column + 0.5,
                     "y0": row - 0.5, "y1": row + 0.5, "line": {"color": FLAG_COLOURS["urgent"], "width": 2.5}}
                )
    fig.update_layout(
        **_layout(
            height=72 + 22 * len(items),
            margin={"l": 8, "r": 16, "t": 8, "b": 8},
            shapes=shapes,
            xaxis={"type": "category", "tickangle": 0, "fixedrange": True, "tickfont": {"size": 11},
                   "automargin": True},
            yaxis={"autorange": "reversed", "fixedrange": True, "tickfont": {"size": 11}, "ticksuffix": " ",
                   "automargin": True},
        )
    )
    return as_json(fig)


def _count_same(recent: Sequence[Assessment], assessment: Assessment, index: int) -> bool:
    """Two administrations on one day need telling apart on a category axis."""
    return sum(1 for a in recent if a.administered_on == assessment.administered_on) > 1


def _rate_text(count: int, total: int, pct: float | None) -> str:
    return "—" if pct is None else f"{pct:g}% ({count}/{total})"


def rates_figure(
    rates: Sequence[Rate], labels: dict[str, str], links: Sequence[dict[str, str]] | None = None
) -> dict[str, Any]:
    """Grouped bars: response and remission rate of each group, each bar labelled with its numbers. With `links`
    (one dict per group: "responded", "remitted" -> URL), a click on a bar opens the patients behind it."""
    names = [labels.get(r.key, r.key) for r in rates]
    fig = go.Figure()
    for title, colour, count, pct in (
        ("Response", CATEGORY_COLOURS["response"], "responded", "response_pct"),
        ("Remission", CATEGORY_COLOURS["remission"], "remitted", "remission_pct"),
    ):
        values = [getattr(r, pct) for r in rates]
        fig.add_trace(
            go.Bar(
                name=title,
                x=names,
                y=[v or 0 for v in values],
                marker={"color": colour},
                text=[_rate_text(getattr(r, count), r.evaluable, getattr(r, pct)) for r in rates],
                customdata=[link.get(count, "") for link in links] if links else None,
                textposition="outside",
                cliponaxis=False,
                hovertemplate=f"{title}: %{{text}}<extra>%{{x}}</extra>",
            )
        )
    fig.update_layout(
        **_layout(
            height=320,
            barmode="group",
            showlegend=True,
            legend={"orientation": "h", "y": -0.15},
            margin={"l": 44, "r": 16, "t": 24, "b": 56},
            yaxis={"range": [0, 110], "ticksuffix": "%", "gridcolor": "rgba(0,0,0,0.06)", "fixedrange": True,
                   "dtick": 25},
            xaxis={"fixedrange": True},
        )
    )
    return as_json(fig)


def partial_response_figure(outcomes: Outcomes, links: dict[str, str] | None = None) -> dict[str, Any]:
    """Two bars: the share of reassessed patients flagged as partial responders, and the share of those flagged on
    one modality who had the other added within 4 weeks. With `links` ("flagged", "added"), a bar opens them."""
    rows = [
        ("Flagged as<br>partial responders", outcomes.partial_flagged, outcomes.reassessed_patients, "#9a6b00"),
        ("Other modality added<br>within 4 weeks", outcomes.partial_added, outcomes.partial_single, "#2e7d6b"),
    ]
    fig = go.Figure(
        go.Bar(
            x=[r[0] for r in rows],
            y=[100 * r[1] / r[2] if r[2] else 0 for r in rows],
            marker={"color": [r[3] for r in rows]},
            text=[_rate_text(r[1], r[2], round(100 * r[1] / r[2], 1) if r[2] else None) for r in rows],
            customdata=[links.get("flagged", ""), links.get("added", "")] if links else None,
            textposition="outside",
            cliponaxis=False,
            width=0.5,
            hovertemplate="%{text}<extra></extra>",
        )
    )
    fig.update_layout(
        **_layout(
            height=320,
            margin={"l": 44, "r": 16, "t": 24, "b": 56},
            yaxis={"range": [0, 110], "ticksuffix": "%", "gridcolor": "rgba(0,0,0,0.06)", "fixedrange": True,
                   "dtick": 25},
            xaxis={"fixedrange": True},
        )
    )
    return as_json(fig)


# ---------------------------------------------------------------------------------------------------------------
# The patient's own progress (issue 14): a small plain SVG, no JavaScript, no plotly.js download on a phone.
# ---------------------------------------------------------------------------------------------------------------

PROGRESS_WIDTH, PROGRESS_HEIGHT, PROGRESS_PAD = 320, 140, 16


def progress_svg(days: Sequence[date], totals: Sequence[int], max_total: int) -> dict[str, Any]:
    """Coordinates of a line through the patient's totals: x by date, y from 0 (bottom) to the instrument's maximum.

    Returns {"width", "height", "points": "x,y x,y ...", "dots": [{x, y, total, day}], "baseline_y"} for the template.
    """
    inner_w = PROGRESS_WIDTH - 2 * PROGRESS_PAD
    inner_h = PROGRESS_HEIGHT - 2 * PROGRESS_PAD
    first, last = (days[0], days[-1]) if days else (date.min, date.min)
    span = (last - first).days
    dots = []
    for day, total in zip(days, totals, strict=True):
        x = PROGRESS_PAD + (inner_w * (day - first).days / span if span else inner_w / 2)
        y = PROGRESS_PAD + inner_h * (1 - total / max_total if max_total else 1)
        dots.append({"x": round(x, 1), "y": round(y, 1), "total": total, "day": day})
    return {
        "width": PROGRESS_WIDTH,
        "height": PROGRESS_HEIGHT,
        "points": " ".join(f"{d['x']},{d['y']}" for d in dots),
        "dots": dots,
        "bottom": PROGRESS_HEIGHT - PROGRESS_PAD,
        "left": PROGRESS_PAD,
        "right": PROGRESS_WIDTH - PROGRESS_PAD,
    }
