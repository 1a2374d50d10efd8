"""The plotly figures, built in Python: what each one draws."""

from __future__ import annotations

from datetime import timedelta

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
        ((TODAY - timedelta(days=5)).isoformat(), (TODAY + timedelta(days=5)).isoformat()),
    ]
    labels = [a["text"] for a in figure["layout"]["annotations"]]
    assert "Medication · acute" in labels
    assert "Combined · acute" in labels


def test_it_draws_the_baseline_and_its_improvement_levels(alice, patient, frozen):
    give_history(patient, alice, scores=[(-2, 20), (30, 17)])
    lines = [s for s in figure_for(patient)["layout"]["shapes"] if s["type"] == "line" and s["yref"] == "y"]
    assert [line["y0"] for line in lines] == [20, 14, 10]


def test_it_marks_flags_on_their_scores(alice, patient, frozen):
    give_history(patient, alice, started_on=TODAY - timedelta(days=70), scores=[(-2, 20), (60, 17)])
    flags = figure_for(patient)["data"][1]
    assert (flags["x"], flags["y"]) == ([(TODAY - timedelta(days=10)).isoformat()], [17])
    assert flags["text"][0].startswith("Partial response (open)")


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
