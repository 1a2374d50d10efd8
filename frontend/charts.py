"""Every plotly figure of the pages, built in Python; templates pass them with json_script to plotly.js."""

from __future__ import annotations

import json
from collections.abc import Sequence
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


def trend_figure(
    *,
    definition: Definition,
    assessments: Sequence[Assessment],
    phases: Sequence[TreatmentPhase],
    summary: Summary | None,
    flags: Sequence[Flag],
    today: date,
) -> dict[str, Any]:
    """Scores of one instrument over time: severity bands, treatment phases as spans, the current phase's baseline
    with its improvement levels, and flags as markers. Hover shows date, score and severity."""
    labels = {band.severity: band.label for band in definition.bands}
    days = [a.administered_on for a in assessments]
    first = min([*days, *(p.started_on for p in phases)], default=today - timedelta(days=28))
    x_start, x_end = first - timedelta(days=5), today + timedelta(days=5)
    highest = max((a.total for a in assessments), default=0)
    # PHQ-9 fits whole; HAM-D 17's 0-52 would squash real scores, so stop a little above the highest one.
    y_top = definition.max_total if definition.max_total <= 30 else min(definition.max_total, max(30, highest + 6))

    fig = go.Figure()
    shapes: list[dict[str, Any]] = []
    notes: list[dict[str, Any]] = []

    for band, fill in zip(definition.bands, BAND_FILLS, strict=False):
        if band.low > y_top:
            continue
        low, high = max(band.low - 0.5, 0), min(band.high + 0.5, y_top)
        shapes.append(
            {"type": "rect", "xref": "paper", "x0": 0, "x1": 1, "yref": "y", "y0": low, "y1": high,
             "fillcolor": fill, "line": {"width": 0}, "layer": "below"}
        )
        notes.append(
            {"xref": "paper", "x": 1.0, "xanchor": "left", "xshift": 6, "yref": "y", "y": (low + high) / 2,
             "text": band.label, "showarrow": False, "font": {"size": 11, "color": MUTED}}
        )

    for phase in sorted(phases, key=lambda p: (p.started_on, p.id)):
        start = phase.started_on.isoformat()
        end = ((phase.ended_on + timedelta(days=1)) if phase.ended_on else x_end).isoformat()
        colour = PHASE_COLOURS.get(phase.modality, MUTED)
        # A faint column over the scores, and a labelled strip above the plot: which scores belong to which phase.
        shapes.append(
            {"type": "rect", "xref": "x", "x0": start, "x1": end, "yref": "paper", "y0": 0, "y1": 1,
             "fillcolor": colour, "opacity": 0.07, "line": {"width": 0}, "layer": "below"}
        )
        shapes.append(
            {"type": "rect", "xref": "x", "x0": start, "x1": end, "yref": "paper", "y0": 1.015, "y1": 1.085,
             "fillcolor": colour, "opacity": 0.22, "line": {"width": 0}}
        )
        shapes.append(
            {"type": "line", "xref": "x", "x0": start, "x1": start, "yref": "paper", "y0": 0, "y1": 1.085,
             "line": {"width": 1.5, "color": colour}}
        )
        notes.append(
            {"xref": "x", "x": start, "xanchor": "left", "xshift": 4, "yref": "paper", "y": 1.05,
             "yanchor": "middle", "showarrow": False, "font": {"size": 11, "color": INK},
             "text": f"{phase.get_modality_display()} · {phase.get_stage_display().lower()}"}
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

    fig.update_layout(
        **_layout(
            height=360,
            margin={"l": 44, "r": 116, "t": 40, "b": 40},
            shapes=shapes,
            annotations=notes,
            hovermode="closest",
            xaxis={"type": "date", "range": [x_start.isoformat(), x_end.isoformat()], "showgrid": False,
                   "tickformat": "%-d %b\n%Y", "linecolor": "#cbd2d9", "ticks": "outside"},
            yaxis={"range": [0, y_top], "title": {"text": "Total"}, "gridcolor": "rgba(0,0,0,0.06)",
                   "zeroline": False, "fixedrange": True},
        )
    )
    return as_json(fig)


def _rate_text(count: int, total: int, pct: float | None) -> str:
    return "—" if pct is None else f"{pct:g}% ({count}/{total})"


def rates_figure(rates: Sequence[Rate], labels: dict[str, str]) -> dict[str, Any]:
    """Grouped bars: response and remission rate of each group, each bar labelled with its numbers."""
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


def partial_response_figure(outcomes: Outcomes) -> dict[str, Any]:
    """Two bars: the share of reassessed patients flagged as partial responders, and the share of those flagged on
    one modality who had the other added within 4 weeks."""
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
