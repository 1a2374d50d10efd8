"""Issue 13: every form's errors are summarised at the top of the page, each linking to its field."""

from __future__ import annotations

import re

import pytest

from instruments.models import Assessment
from tests.conftest import hamd17_items

SUMMARY = re.compile(r"data-error-summary>(.*?)</div>\s*</div>", re.S)


def summary(page: str) -> list[tuple[str, str]]:
    """(target, text) of each link of the page's error summary, which must come before the page's heading."""
    match = SUMMARY.search(page)
    assert match, "no error summary"
    assert match.start() < page.index("<h1"), "the summary is not at the top"
    return re.findall(r'<a href="#([^"]+)">([^<]+)</a>', match.group(1))


def hamd_post(items: list[int | str], **extra: str) -> dict[str, str]:
    data = {f"hamd17-item_{n}": str(a) for n, a in enumerate(items, start=1) if a != ""}
    data.update({"hamd17-administered_on": "2026-03-10", "hamd17-client_id": "form-1", **extra})
    return data


def test_it_links_a_missing_hamd17_item_from_the_top(alice_client, patient, frozen):
    items: list[int | str] = list(hamd17_items(20))
    items[4] = ""
    response = alice_client.post(f"/patients/{patient.id}/assessments/hamd17/", hamd_post(items))
    assert response.status_code == 400
    page = response.content.decode()
    assert "There is a problem with the HAM-D 17" in page
    assert summary(page) == [("id_hamd17-item_5_0", "Question 5: choose an answer.")]
    assert 'id="id_hamd17-item_5_0"' in page
    assert not Assessment.objects.exists()


def test_it_says_a_value_out_of_range_is_out_of_range(alice_client, patient, frozen):
    items: list[int | str] = list(hamd17_items(20))
    items[4] = 7  # item 5 scores 0-2
    page = alice_client.post(f"/patients/{patient.id}/assessments/hamd17/", hamd_post(items)).content.decode()
    assert summary(page) == [("id_hamd17-item_5_0", "Question 5: 7 is out of range: the answers go from 0 to 2.")]
    assert "no answer yet" not in page


def test_it_links_a_future_date_to_the_date_field(alice_client, patient, frozen):
    data = hamd_post(hamd17_items(20), **{"hamd17-administered_on": "2027-01-01"})
    page = alice_client.post(f"/patients/{patient.id}/assessments/hamd17/", data).content.decode()
    [(target, text)] = summary(page)
    assert target == "id_hamd17-administered_on"
    assert text.startswith("Date administered: ")


def test_it_links_a_phase_error(alice, alice_client, patient, frozen):
    data = {"phase-modality": "combined", "phase-stage": "acute", "phase-started_on": "not a date"}
    response = alice_client.post(f"/patients/{patient.id}/phases/", data)
    page = response.content.decode()
    assert response.status_code == 400
    assert "There is a problem with the new phase" in page
    assert summary(page) == [("id_phase-started_on", "Starts on: enter a valid date.")]


def test_it_links_a_medication_error(alice_client, patient, frozen):
    data = {"med-name": "", "med-drug_class": "ssri", "med-started_on": "2026-03-01"}
    page = alice_client.post(f"/patients/{patient.id}/medications/", data).content.decode()
    assert "There is a problem with the medication" in page
    assert summary(page) == [("id_med-name", "Name: this field is required.")]


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ({"username": "", "password": ""}, [("id_username", "Username: this field is required."),
                                            ("id_password", "Password: this field is required.")]),
    ],
)
def test_it_links_sign_in_errors(client, alice, data, expected):
    page = client.post("/accounts/login/", data).content.decode()
    assert summary(page) == expected


def test_it_shows_no_summary_without_errors(alice_client, patient, frozen):
    assert "data-error-summary" not in alice_client.get(f"/patients/{patient.id}/").content.decode()
