"""The paged API lists (issue 11): a JSON list body as DESIGN §3 gives, with `Link` and `X-Total-Count` headers."""

from __future__ import annotations

import io
import json
import re
from datetime import UTC, date, datetime

import pytest
from django.core.management import call_command

from instruments.models import Assessment
from patients.models import AuditEvent
from patients.services import add_medication, start_phase
from reassessment.services import raise_concern
from tests.conftest import make_patient, phq9_items

PATIENTS = "/api/v1/patients/"
LINK = re.compile(r'<([^>]+)>; rel="(\w+)"')


def links(response) -> dict[str, str]:
    return {rel: url for url, rel in LINK.findall(response.headers.get("Link", ""))}


def every_page(client, url):
    """Follow rel="next" from `url` to the end; the rows of every page, in order, and the pages' count."""
    rows, pages = [], 0
    while url:
        response = client.get(url)
        assert response.status_code == 200, response.content
        rows += response.json()
        pages += 1
        url = links(response).get("next")
    return rows, pages


@pytest.fixture
def five(alice, frozen):
    """Five of alice's patients (named so the list's order is plain), and one of bob's she must never see."""
    return [make_patient(alice, f"MRN-{k}", display_name=f"Patient {k}") for k in range(1, 6)]


def test_it_pages_the_patient_list_with_links_and_a_total(alice_api, five, bob):
    make_patient(bob, "MRN-BOB")

    first = alice_api.get(PATIENTS, {"page_size": 2})

    assert first.status_code == 200
    assert [row["external_id"] for row in first.json()] == ["MRN-1", "MRN-2"]
    assert first.headers["X-Total-Count"] == "5"
    assert set(links(first)) == {"next", "last"}
    assert "page=3" in links(first)["last"]
    assert "page_size=2" in links(first)["last"]

    last = alice_api.get(links(first)["last"])
    assert [row["external_id"] for row in last.json()] == ["MRN-5"]
    assert set(links(last)) == {"prev", "first"}


def test_following_next_gives_every_row_once_in_order(alice_api, five):
    rows, pages = every_page(alice_api, f"{PATIENTS}?page_size=2")

    assert [row["external_id"] for row in rows] == [f"MRN-{k}" for k in range(1, 6)]
    assert pages == 3


def test_a_page_holds_100_rows_unless_asked(alice_api, alice, frozen):
    for k in range(101):
        make_patient(alice, f"MRN-{k:03}")

    response = alice_api.get(PATIENTS)

    assert len(response.json()) == 100
    assert response.headers["X-Total-Count"] == "101"
    assert alice_api.get(links(response)["next"]).json()[0]["external_id"] == "MRN-100"
    assert len(alice_api.get(PATIENTS, {"page_size": 1000}).json()) == 101


def test_a_short_list_is_one_page_without_links(alice_api, five):
    response = alice_api.get(PATIENTS)

    assert len(response.json()) == 5
    assert response.headers["X-Total-Count"] == "5"
    assert "Link" not in response.headers


def test_a_page_past_the_last_is_empty_and_points_back(alice_api, five):
    response = alice_api.get(PATIENTS, {"page": 9, "page_size": 2})

    assert response.status_code == 200
    assert response.json() == []
    assert response.headers["X-Total-Count"] == "5"
    assert "page=3" in links(response)["last"]
    assert "page=" not in links(response)["first"]


@pytest.mark.parametrize(
    ("name", "value"),
    [("page", "0"), ("page", "-1"), ("page", "two"), ("page", "1.5"), ("page", "99999999999"), ("page", "²"),
     ("page_size", "0"), ("page_size", "1001"), ("page_size", "all"), ("page_size", "")],
)
def test_a_bad_page_or_page_size_is_a_400_naming_it(alice_api, five, name, value):
    response = alice_api.get(PATIENTS, {name: value})

    assert response.status_code == 400
    assert list(response.json()) == [name]
    assert "whole number" in response.json()[name][0]


def test_the_count_and_pages_cover_only_the_care_teams_patients(bob_api, five, bob):
    mine = make_patient(bob, "MRN-BOB")

    response = bob_api.get(PATIENTS, {"page_size": 1})

    assert [row["id"] for row in response.json()] == [mine.id]
    assert response.headers["X-Total-Count"] == "1"


def test_the_audit_trail_names_the_patients_of_the_page_shown(alice_api, alice, five):
    alice_api.get(PATIENTS, {"page": 2, "page_size": 2})

    listed = AuditEvent.objects.filter(user=alice, what="patient", action=AuditEvent.Action.LIST)
    assert sorted(listed.values_list("patient_id", flat=True)) == sorted(p.id for p in five[2:4])


def test_the_patient_list_costs_the_same_queries_at_any_size(alice_api, alice, frozen, django_assert_max_num_queries):
    for k in range(150):
        make_patient(alice, f"MRN-{k:03}")

    with django_assert_max_num_queries(4):  # count, page, audit row (and its patient links)
        response = alice_api.get(PATIENTS, {"page_size": 1000})
    assert len(response.json()) == 150


# --- every list endpoint ---------------------------------------------------------------------------------------------


@pytest.fixture
def history(alice, frozen):
    """One patient with three of everything each list endpoint shows."""
    patient = make_patient(alice, "MRN-H")
    for month in (1, 2, 3):
        start_phase(patient=patient, by=alice, modality="psychotherapy", stage="acute", started_on=date(2025, month, 1))
        add_medication(patient=patient, by=alice, name=f"Drug {month}", drug_class="other",
                       started_on=date(2025, month, 1))
        Assessment.objects.create(
            patient=patient, instrument="phq9", instrument_version="1", items=phq9_items(10), total=10,
            severity="mild", administered_at=datetime(2025, month, 2, 12, tzinfo=UTC),
            administered_on=date(2025, month, 2), source="clinician",
        )
        raise_concern(patient=patient, by=alice, severity="low", note=f"Worry {month}")
    return patient


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/patients/{id}/phases/",
        "/api/v1/patients/{id}/medications/",
        "/api/v1/assessments/?patient={id}",
        "/api/v1/flags/?patient={id}&kind=clinician_concern",
    ],
)
def test_every_list_endpoint_is_paged_in_its_own_order(alice_api, history, url):
    url = url.format(id=history.id)
    whole = alice_api.get(url)
    assert len(whole.json()) == 3

    rows, pages = every_page(alice_api, f"{url}{'&' if '?' in url else '?'}page_size=2")

    assert pages == 2
    assert rows == whole.json()
    assert alice_api.get(url, {"page_size": 2}).headers["X-Total-Count"] == "3"


def test_the_next_link_keeps_the_filters(alice_api, history):
    first = alice_api.get("/api/v1/flags/", {"patient": history.id, "status": "open", "page_size": 1})

    nxt = links(first)["next"]
    assert f"patient={history.id}" in nxt
    assert "status=open" in nxt
    assert "page=2" in nxt


def test_another_teams_patient_is_still_404_whatever_the_page(bob_api, bob, history):
    response = bob_api.get(f"/api/v1/patients/{history.id}/phases/", {"page": 2})

    assert response.status_code == 404


def test_the_schema_documents_the_page_parameters_and_headers(db):
    out = io.StringIO()
    call_command("spectacular", "--validate", "--fail-on-warn", "--format", "openapi-json", stdout=out)
    schema = json.loads(out.getvalue())

    for path in ("/api/v1/patients/", "/api/v1/patients/{patient_id}/phases/",
                 "/api/v1/patients/{patient_id}/medications/", "/api/v1/assessments/", "/api/v1/flags/"):
        get = schema["paths"][path]["get"]
        assert {"page", "page_size"} <= {p["name"] for p in get["parameters"]}, path
        assert {"Link", "X-Total-Count"} <= set(get["responses"]["200"]["headers"]), path
        assert get["responses"]["200"]["content"]["application/json"]["schema"]["type"] == "array", path
