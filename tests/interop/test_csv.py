"""CSV in and out: manage.py import_assessments, the upload page, the caseload's export (issue 12)."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.test import Client

from instruments.models import Assessment
from interop import services
from patients.models import AuditEvent, Patient
from reassessment.models import Flag
from tests.conftest import make_patient

HEADER = "external_id,instrument,administered_at," + ",".join(f"item_{n}" for n in range(1, 10))


def write(tmp_path: Path, text: str, *, encoding: str = "utf-8", name: str = "in.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def run(path: Path, *args: str) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("import_assessments", str(path), *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def refused(path: Path, *args: str) -> tuple[str, str]:
    err = io.StringIO()
    with pytest.raises(CommandError) as caught:
        call_command("import_assessments", str(path), *args, stdout=io.StringIO(), stderr=err)
    return str(caught.value), err.getvalue()


GOOD = f"""{HEADER}
MRN-1,phq9,2026-03-01,1,1,1,1,1,1,1,1,0
MRN-1,phq9,2026-03-08T09:15:00+00:00,2,2,2,2,2,2,2,2,1
"""


def test_it_imports_every_row_through_the_submission_service(tmp_path, patient, frozen):
    out, _ = run(write(tmp_path, GOOD))

    assert "Imported 2 assessments (0 already there) from 2 rows; 1 suicide-item flags raised." in out
    assert list(Assessment.objects.values_list("total", "severity", "source")) == [
        (8, "mild", "import"), (17, "moderately_severe", "import")
    ]
    assert Flag.objects.get(kind="suicide_risk").assessment == Assessment.objects.get(total=17)
    assert AuditEvent.objects.filter(what="assessment", action="create", patient=patient).count() == 2


def test_it_imports_the_same_file_twice_as_one_set_of_assessments(tmp_path, patient, frozen):
    path = write(tmp_path, GOOD)
    run(path)

    out, _ = run(path)

    assert "Imported 0 assessments (2 already there)" in out
    assert Assessment.objects.count() == 2


def test_it_checks_without_saving_on_a_dry_run(tmp_path, patient, frozen):
    out, _ = run(write(tmp_path, GOOD), "--dry-run")

    assert out.strip() == "All 2 rows are good (dry run: nothing was saved)."
    assert not Assessment.objects.exists()


def test_it_refuses_the_whole_file_for_a_bad_row_in_the_middle_naming_its_line(tmp_path, patient, frozen):
    rows = [f"MRN-1,phq9,2026-02-{d:02d},1,1,1,1,1,1,1,1,0" for d in range(1, 21)]
    rows[9] = "MRN-1,phq9,2026-02-10,1,1,1,4,1,1,1,1,0"
    rows[14] = "MRN-404,phq9,2026-02-15,1,1,1,1,1,1,1,1,0"

    message, err = refused(write(tmp_path, HEADER + "\n" + "\n".join(rows) + "\n"))

    assert message == "2 problem(s) in 20 rows; nothing was imported. Fix the rows and run the import again."
    assert err.splitlines() == ["line 11: Item 4: 4 is outside 0 to 3.", "line 16: no patient with this external_id."]
    assert not Assessment.objects.exists()
    assert not Flag.objects.exists()


@pytest.mark.parametrize(
    ("header", "message"),
    [
        ("patient,instrument,administered_at,item_1", "missing external_id; unknown patient"),
        ("external_id,instrument,administered_at", "the answers must be columns item_1, item_2"),
        ("external_id,instrument,administered_at,item_1,item_3", "the answers must be columns item_1, item_2"),
        ("external_id,instrument,administered_at,item_1,item_1", "The header names a column twice."),
        ("external_id,instrument,administered_at,item_1,notes", "unknown notes"),
    ],
)
def test_it_refuses_a_file_with_the_wrong_columns_in_one_sentence(tmp_path, patient, frozen, header, message):
    text, _ = refused(write(tmp_path, header + "\nMRN-1,phq9,2026-03-01,1\n"))

    assert message in text
    assert not Assessment.objects.exists()


def test_it_refuses_a_file_that_is_not_utf8_naming_the_line(tmp_path, patient, frozen):
    text = GOOD + "MRN-1,phq9,2026-03-02,1,1,1,1,1,1,1,1,0 # café\n"

    message, _ = refused(write(tmp_path, text, encoding="latin-1"))

    assert message == "Line 4 is not UTF-8 text: save the file as CSV UTF-8 and try again."
    assert not Assessment.objects.exists()


def test_it_refuses_an_empty_file(tmp_path, db):
    message, _ = refused(write(tmp_path, ""))

    assert message == "The file is empty."


def test_it_refuses_a_missing_file(tmp_path, db):
    message, _ = refused(tmp_path / "nope.csv")

    assert message.startswith("There is no file at")


@pytest.mark.parametrize(
    ("row", "problem"),
    [
        ("MRN-1,bdi2,2026-03-01,1,1,1,1,1,1,1,1,0", "unknown instrument 'bdi2'"),
        ("MRN-1,phq9,2026-04-01,1,1,1,1,1,1,1,1,0", "administered_at: This date is in the future."),
        ("MRN-1,phq9,01/03/2026,1,1,1,1,1,1,1,1,0", "administered_at: Enter an ISO date"),
        ("MRN-1,phq9,1970-01-01,1,1,1,1,1,1,1,1,0", "administered_at: before the patient's birth date."),
        ("MRN-1,phq9,2026-03-01,1,1,1,1,1,1,1,1", "expected 12 cells, found 11."),
        ("MRN-1,phq9,2026-03-01,1,1,1,one,1,1,1,1,0", "Item 4: expected a whole number from 0 to 3."),
        ("MRN-1,gad7,2026-03-01,1,1,1,1,1,1,1,1,0", "GAD-7 has 7 items; answers found after item_7."),
    ],
)
def test_it_names_the_problem_of_a_bad_row(tmp_path, patient, frozen, row, problem):
    _, err = refused(write(tmp_path, f"{HEADER}\n{row}\n"))

    assert problem in err
    assert err.startswith("line 2: ")


def test_it_checks_a_total_column_against_the_answers(tmp_path, patient, frozen):
    text = HEADER + ",total\nMRN-1,phq9,2026-03-01,1,1,1,1,1,1,1,1,0,9\n"

    _, err = refused(write(tmp_path, text))

    assert err.strip() == "line 2: total 9 does not match the answers (they add up to 8)."


def test_it_imports_only_to_the_care_teams_of_the_user_given_by_by(tmp_path, alice, bob, patient, frozen):
    _, err = refused(write(tmp_path, GOOD), "--by", "bob")

    assert "no patient with this external_id on your care teams." in err
    _out, _ = run(write(tmp_path, GOOD), "--by", "alice")
    assert Assessment.objects.filter(entered_by=alice).count() == 2


def test_it_refuses_an_unknown_user_for_by(tmp_path, db):
    message, _ = refused(write(tmp_path, GOOD), "--by", "nobody")

    assert message == "There is no active user 'nobody'."


def test_it_reports_only_the_first_errors_of_a_very_bad_file(tmp_path, patient, frozen):
    rows = "\n".join("MRN-404,phq9,2026-03-01,1,1,1,1,1,1,1,1,0" for _ in range(300))

    message, err = refused(write(tmp_path, f"{HEADER}\n{rows}\n"))

    assert message.startswith("300 problem(s) in 300 rows")
    assert len(err.splitlines()) == services.MAX_REPORTED_ERRORS + 1
    assert err.splitlines()[-1] == "... and 100 more."


def test_it_refuses_a_file_over_the_row_limit(tmp_path, patient, frozen, settings):
    settings.MBC_IMPORT_MAX_ROWS = 1

    message, _ = refused(write(tmp_path, GOOD))

    assert message == "The file has more than 1 rows: split it."


def test_it_imports_50000_rows_all_or_nothing(tmp_path, patient, frozen):
    """50,000 rows with one bad one at the end: every row is checked and nothing is saved (the file is streamed)."""
    lines = [HEADER]
    lines += [f"MRN-1,phq9,2026-02-{1 + n % 28:02d},{n % 4},1,1,1,1,1,1,1,0" for n in range(49_999)]
    lines.append("MRN-1,phq9,2026-02-01,1,1,1,1,1,1,1,1,9")

    message, err = refused(write(tmp_path, "\n".join(lines) + "\n"))

    assert message.startswith("1 problem(s) in 50000 rows")
    assert err.strip() == "line 50001: Item 9: 9 is outside 0 to 3."
    assert not Assessment.objects.exists()


# --- export -----------------------------------------------------------------------------------------------------


def rows_of(response: Any) -> list[list[str]]:
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text)))


def test_it_exports_the_caseloads_assessments_in_the_import_shape(alice_api, history):
    r = alice_api.get("/api/v1/export/assessments.csv")

    assert r.status_code == 200
    assert r["Content-Type"] == "text/csv; charset=utf-8"
    assert r["Content-Disposition"].startswith('attachment; filename="mbc-assessments-')
    header, *rows = rows_of(r)
    assert header[:4] == ["external_id", "instrument", "administered_at", "item_1"]
    assert header[-4:] == ["difficulty", "total", "severity", "source"]
    assert len(rows) == Assessment.objects.count() == 6
    assert {row[0] for row in rows} == {"MRN-1"}


def test_it_exports_the_caseloads_flags(alice_api, history):
    header, *rows = rows_of(alice_api.get("/api/v1/export/flags.csv"))

    assert header == ["external_id", "flag_id", "kind", "severity", "status", "recommendation", "created_at",
                      "assessment_id"]
    assert len(rows) == Flag.objects.count()
    assert "suicide_risk" in [row[2] for row in rows]


def test_it_exports_nothing_of_another_care_teams_patients(bob_api, history):
    assert rows_of(bob_api.get("/api/v1/export/assessments.csv"))[1:] == []
    assert rows_of(bob_api.get("/api/v1/export/flags.csv"))[1:] == []


@pytest.mark.parametrize("dangerous", ["=HYPERLINK(\"http://x\")", "+1+1", "-2+3", "@SUM(A1)"])
def test_it_guards_cells_against_formula_injection(alice, alice_api, frozen, dangerous):
    from reassessment.services import submit_assessment

    submit_assessment(patient=make_patient(alice, dangerous), instrument="gad7", items=[1] * 7,
                      administered_at="2026-03-01", source="clinician")

    (_, row) = rows_of(alice_api.get("/api/v1/export/assessments.csv"))

    assert row[0] == "'" + dangerous


def test_it_round_trips_a_csv_export_into_an_empty_clinic_with_the_same_scores(tmp_path, alice_api, charlie, history):
    export = b"".join(alice_api.get("/api/v1/export/assessments.csv").streaming_content)
    before = sorted(Assessment.objects.values_list("instrument", "items", "total", "severity", "administered_at",
                                                   "difficulty"))
    Patient.objects.filter(pk=history.id).update(external_id="OLD-1")
    fresh = make_patient(charlie, history.external_id)
    path = tmp_path / "export.csv"
    path.write_bytes(export)

    out, _ = run(path, "--by", "charlie")

    assert "Imported 6 assessments" in out
    after = sorted(Assessment.objects.filter(patient=fresh).values_list(
        "instrument", "items", "total", "severity", "administered_at", "difficulty"))
    assert after == before


def test_it_round_trips_a_record_number_that_looks_like_a_formula(tmp_path, alice, alice_api, charlie, frozen):
    from reassessment.services import submit_assessment

    odd = make_patient(alice, "-42")
    submit_assessment(patient=odd, instrument="phq9", items=[1] * 9, administered_at="2026-03-01", source="clinician")
    export = b"".join(alice_api.get("/api/v1/export/assessments.csv").streaming_content)
    Patient.objects.filter(pk=odd.id).update(external_id="OLD")
    fresh = make_patient(charlie, "-42")
    path = tmp_path / "odd.csv"
    path.write_bytes(export)

    run(path)

    assert Assessment.objects.filter(patient=fresh).count() == 1


# --- the upload page --------------------------------------------------------------------------------------------


def upload(client: Client, text: str, **extra: Any) -> Any:
    return client.post("/import/", {"file": SimpleUploadedFile("in.csv", text.encode(), "text/csv"), **extra})


def test_it_imports_an_uploaded_file_for_the_clinicians_care_teams(alice, patient, frozen):
    client = Client()
    client.force_login(alice)

    r = upload(client, GOOD)

    assert r.status_code == 302
    assert Assessment.objects.filter(entered_by=alice, source="import").count() == 2


def test_it_lists_the_problems_of_an_uploaded_file_by_line_and_saves_nothing(alice, patient, frozen):
    client = Client()
    client.force_login(alice)

    r = upload(client, GOOD + "MRN-1,phq9,2026-03-02,1,1,1,1,1,1,1,1,7\n")

    assert r.status_code == 400
    page = r.content.decode()
    assert "Nothing was imported" in page
    assert "<td>4</td><td>Item 9: 7 is outside 0 to 3.</td>" in page
    assert not Assessment.objects.exists()


def test_it_checks_an_uploaded_file_without_saving(alice, patient, frozen):
    client = Client()
    client.force_login(alice)

    r = upload(client, GOOD, dry_run="on")

    assert r.status_code == 200
    assert "All 2 rows are good" in r.content.decode()
    assert not Assessment.objects.exists()


def test_it_refuses_an_upload_for_another_care_teams_patient(bob, patient, frozen):
    page_client = Client()
    page_client.force_login(bob)

    r = upload(page_client, GOOD)

    assert r.status_code == 400
    assert "no patient with this external_id on your care teams." in r.content.decode()
    assert not Assessment.objects.exists()


def test_it_sends_an_anonymous_visitor_of_the_upload_page_to_sign_in(client, db):
    r = client.get("/import/")

    assert r.status_code == 302
    assert r["Location"].startswith("/accounts/login/")


def test_it_links_the_exports_and_the_import_from_the_caseload(alice, frozen):
    client = Client()
    client.force_login(alice)

    page = client.get("/").content.decode()

    assert 'href="/api/v1/export/assessments.csv"' in page
    assert 'href="/api/v1/export/flags.csv"' in page
    assert 'href="/import/"' in page


def test_it_updates_the_caseloads_stored_status_of_the_imported_patients(tmp_path, patient, frozen):
    from datetime import date

    from reassessment.models import PatientStatus
    from reassessment.services import change_phase

    change_phase(patient=patient, by=None, modality="medication", stage="acute", started_on=date(2026, 2, 25))
    run(write(tmp_path, GOOD))

    status = PatientStatus.objects.get(patient=patient)
    assert status.latest_total == 17


def test_it_leaves_an_assessment_entered_in_error_out_of_the_csv(alice, alice_api, history):
    from reassessment.services import mark_assessment_entered_in_error

    wrong = Assessment.objects.filter(patient=history, instrument="gad7").get()
    mark_assessment_entered_in_error(assessment=wrong, by=alice, reason="Typed into the wrong record.")

    _, *rows = rows_of(alice_api.get("/api/v1/export/assessments.csv"))
    assert len(rows) == 5
    assert "gad7" not in {row[1] for row in rows}
