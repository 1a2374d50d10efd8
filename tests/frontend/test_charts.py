"""The plotly figures, built in Python: what each one draws."""

from __future__ import annotations

import itertools
from datetime import timedelta

import pytest

from frontend import charts
from instruments.definitions import HAMD17, PHQ9
from instruments.models import Assessment
from patients.selectors import phases_of
from patients.services import start_phase
from reassessment.models import Flag
from reassessment.outcomes import Outcomes, Rate
from reassessment.selectors import patient_summary
from tests.conftest import TODAY
from tests.frontend.conftest import give_history


def figure_for(patient, definition=PHQ9):
    return charts.trend_figure(
        definition=definition,
        assessments=list(Assessment.objects.filter(patient=patient, instrument=definition.code)),
        phases=list(phases_of(patient)),
        summary=patient_summary(patient, TODAY),
        flags=list(Flag.objects.filter(patient=patient)),
        today=TODAY,
    )


def test_it_uses_the_empty_template_to_stay_small(alice, patient, frozen):
    give_history(patient, alice)
    figure = figure_for(patient)
    assert "layout" not in figure["layout"]["template"]  # "none": no theme shipped with every figure
    assert len(str(figure)) < 12_000


def test_it_shades_every_severity_band(alice, patient, frozen):
    give_history(patient, alice)
    bands = [s for s in figure_for(patient)["layout"]["shapes"] if s["xref"] == "paper"]
    assert [(b["y0"], b["y1"]) for b in bands] == [(0, 4.5), (4.5, 9.5), (9.5, 14.5), (14.5, 19.5), (19.5, 27)]


def test_it_spans_each_phase_with_a_label(alice, patient, frozen):
    first = give_history(patient, alice, started_on=TODAY - timedelta(days=60))
    start_phase(patient=patient, by=alice, modality="combined", stage="acute", started_on=TODAY - timedelta(days=5))
    figure = figure_for(patient)
    spans = [s for s in figure["layout"]["shapes"] if s["type"] == "rect" and s["xref"] == "x" and s["y1"] == 1]
    assert [(s["x0"], s["x1"]) for s in spans] == [
        (first.started_on.isoformat(), (TODAY - timedelta(days=5)).isoformat()),
        # Issue 13: the newest phase runs to its first checkpoint (day 28) and a little more, not to today + 5.
        ((TODAY - timedelta(days=5)).isoformat(), (TODAY + timedelta(days=28)).isoformat()),
    ]
    labels = [a["text"] for a in figure["layout"]["annotations"]]
    assert "Medication · acute" in labels
    assert "Combined · acute" in labels


def test_it_draws_the_baseline_and_its_improvement_levels(alice, patient, frozen):
    give_history(patient, alice, scores=[(-2, 20), (30, 17)])
    lines = [s for s in figure_for(patient)["layout"]["shapes"] if s["type"] == "line" and s["yref"] == "y"]
    assert [line["y0"] for line in lines] == [20, 14, 10]


def test_it_marks_flags_on_their_scores(alice, patient, frozen):
    # 15: no combined start suggested (DESIGN §2b); 15 -> 14 after two months is a partial response.
    give_history(patient, alice, started_on=TODAY - timedelta(days=70), scores=[(-2, 15), (60, 14)])
    flags = figure_for(patient)["data"][1]
    assert (flags["x"], flags["y"]) == ([(TODAY - timedelta(days=10)).isoformat()], [14])
    assert flags["text"][0].startswith("Partial response (open)")


def test_it_marks_a_consider_combined_flag_on_the_score_it_was_read_from(alice, patient, frozen):
    give_history(patient, alice, started_on=TODAY - timedelta(days=70), scores=[(-2, 20), (60, 17)])
    flags = figure_for(patient)["data"][1]
    assert flags["y"] == [20, 17]
    assert flags["text"][0].startswith("Consider combined treatment (open)")


def test_it_hovers_with_date_score_and_severity(alice, patient, frozen):
    give_history(patient, alice, scores=[(-2, 20)])
    scores = figure_for(patient)["data"][0]
    assert scores["customdata"] == [["29 Jan 2026", "Severe"]]
    assert scores["hovertemplate"] == "%{customdata[0]}<br>Score %{y}: %{customdata[1]}<extra></extra>"


def test_it_keeps_hamd17_readable_below_its_maximum(alice, patient, frozen):
    give_history(patient, alice, scores=[])
    assert figure_for(patient, HAMD17)["layout"]["yaxis"]["range"] == [0, 30]


def test_it_labels_rate_bars_with_their_numbers():
    figure = charts.rates_figure([Rate("medication", 4, 2, 1), Rate("combined")], {"medication": "Medication"})
    response, remission = figure["data"]
    assert response["text"] == ["50% (2/4)", "—"]
    assert remission["text"] == ["25% (1/4)", "—"]
    assert response["x"] == ["Medication", "combined"]


def test_it_draws_partial_responders_as_shares():
    result = Outcomes("caseload", 10, [], [], reassessed_patients=8, partial_flagged=4, partial_single=3,
                      partial_added=2)
    bars = charts.partial_response_figure(result)["data"][0]
    assert bars["text"] == ["50% (4/8)", "66.7% (2/3)"]


# Issue 13: after a phase change every phase stays readable.


def _days(figure) -> tuple[str, str]:
    return tuple(figure["layout"]["xaxis"]["range"])


@pytest.mark.parametrize(
    ("first_ago", "newest_ago", "start_ago", "end_ahead", "hidden"),
    [
        (100, 100, 105, 5, False),  # one long phase: its whole history, today + 5
        (150, 0, 99, 33, True),  # a phase started today after 150 days: it gets a quarter of the width
        (60, 5, 65, 28, False),  # started 5 days ago: room to its first checkpoint
        (900, 400, 360, 5, True),  # three years of history: the last year
    ],
)
def test_it_picks_a_window_that_keeps_the_newest_phase_readable(first_ago, newest_ago, start_ago, end_ahead, hidden):
    window = charts.x_window(
        first=TODAY - timedelta(days=first_ago), newest_start=TODAY - timedelta(days=newest_ago), today=TODAY,
        checkpoint_days=28,
    )
    assert (window.start, window.end, window.earlier_hidden) == (
        TODAY - timedelta(days=start_ago), TODAY + timedelta(days=end_ahead), hidden)
    newest = TODAY - timedelta(days=newest_ago)
    assert (window.end - max(newest, window.start)).days / (window.end - window.start).days >= 0.25


def test_it_places_phase_labels_without_overlap():
    start = TODAY - timedelta(days=200)
    phases = []
    for i, days in enumerate([120, 6, 5, 4, 60]):  # three short phases in a row: their labels would collide
        end = start + timedelta(days=days)
        phases.append((start, end, f"Combined · continuation {i}", "Combined"))
        start = end
    window = charts.Window(start=TODAY - timedelta(days=205), end=TODAY + timedelta(days=5), earlier_hidden=False)
    labels = charts.phase_labels(phases, window)
    assert len(labels) == 5
    days = (window.end - window.start).days
    by_row: dict[int, list[tuple[float, float]]] = {}
    for label in labels:
        left = (label.x - window.start).days / days * charts.PLOT_PX + 4
        by_row.setdefault(label.row, []).append((left, left + len(label.text) * charts.LABEL_PX_PER_CHAR + 8))
    for extents in by_row.values():
        for (_, right), (left, _) in itertools.pairwise(extents):
            assert left >= right, "two labels overlap"


def test_it_draws_hamd17_below_the_primary_on_the_same_dates(alice, patient, frozen):
    give_history(patient, alice, scores=[(-2, 20), (30, 14)])
    phases = list(phases_of(patient))
    from reassessment.services import submit_assessment
    from tests.conftest import hamd17_items

    for day, total in [(-2, 24), (30, 15)]:
        submit_assessment(patient=patient, instrument="hamd17", items=hamd17_items(total), source="clinician",
                          administered_at=phases[0].started_on + timedelta(days=day), entered_by=alice)
    hamd = list(Assessment.objects.filter(patient=patient, instrument="hamd17"))
    figure = charts.trend_figure(
        definition=PHQ9, assessments=list(Assessment.objects.filter(patient=patient, instrument="phq9")),
        phases=phases, summary=patient_summary(patient, TODAY), flags=[], today=TODAY, secondary=[(HAMD17, hamd)],
    )
    hamd_trace = next(t for t in figure["data"] if t.get("name") == "HAM-D 17")
    assert hamd_trace["yaxis"] == "y2"
    assert hamd_trace["y"] == [24, 15]
    layout = figure["layout"]
    assert layout["yaxis2"]["title"]["text"] == "HAM-D 17"
    assert layout["yaxis2"]["domain"][1] < layout["yaxis"]["domain"][0]  # below, not on top of, the PHQ-9


def test_it_maps_each_item_over_time_and_marks_the_suicide_item(alice, patient, frozen):
    from reassessment.services import submit_assessment
    from tests.conftest import phq9_items

    for day, item9 in [(20, 0), (10, 2)]:
        submit_assessment(patient=patient, instrument="phq9", items=phq9_items(12, item9=item9),
                          administered_at=TODAY - timedelta(days=day), source="clinician")
    figure = charts.item_heatmap(definition=PHQ9, assessments=list(Assessment.objects.filter(patient=patient)))
    heat = figure["data"][0]
    assert heat["type"] == "heatmap"
    assert len(heat["y"]) == 9
    assert heat["y"][8] == "⚠ 9. Self-harm thoughts"
    assert heat["text"][8] == ["0", "2"]
    assert heat["z"][8] == [0, 2 / 3]


def test_it_places_the_progress_line_by_date_with_higher_scores_higher() -> None:
    from datetime import date

    from frontend.charts import progress_svg

    chart = progress_svg([date(2026, 1, 1), date(2026, 1, 11), date(2026, 1, 31)], [27, 9, 0], 27)
    xs = [d["x"] for d in chart["dots"]]
    ys = [d["y"] for d in chart["dots"]]
    assert xs == [16, 112.0, 304.0]  # 10 of 30 days is a third of the way across
    assert ys == [16, 88.0, 124.0]  # 27 at the top, 0 on the axis
    assert chart["points"] == "16.0,16.0 112.0,88.0 304.0,124.0"


def test_it_centres_a_single_progress_point() -> None:
    from datetime import date

    from frontend.charts import progress_svg

    (dot,) = progress_svg([date(2026, 1, 1)], [10], 27)["dots"]
    assert dot["x"] == 160.0
