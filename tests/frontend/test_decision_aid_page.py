"""The patient's decision aid at /r/<token>/options/: their own suggestion in plain words, their preference recorded."""

from __future__ import annotations

import html
import re
from datetime import timedelta

import pytest
import textstat
from django.conf import settings
from django.utils import timezone

from patients.models import AuditEvent, PreferenceStatement
from patients.services import add_medication, update_patient
from reassessment import decision_aid
from reassessment.services import issue_link, submit_assessment
from tests.conftest import TODAY, make_patient, phq9_items
from tests.frontend.conftest import give_history, signed_in

EN = decision_aid.content("en")
ES = decision_aid.content("es")


def shows(page: str, text: str) -> bool:
    """Whether the page shows a text as written (the template escapes it: John's becomes John&#x27;s)."""
    return html.escape(text) in page


def options_url(token: str) -> str:
    return f"/r/{token}/options/"


def paragraphs(page: str) -> list[str]:
    """The text of every <p> of the page's main content, tags stripped (what a patient reads as a paragraph)."""
    main = page.split('<main', 1)[1]
    found = []
    for raw in re.findall(r"<p[^>]*>(.*?)</p>", main, flags=re.S):
        text = html.unescape(re.sub(r"<[^>]+>", "", raw)).strip()
        text = text.replace(f"[{EN.sources_heading}]", "").strip()
        if text:
            found.append(" ".join(text.split()))
    return found


@pytest.fixture
def token(patient, frozen) -> str:
    return issue_link(patient=patient)[1]


@pytest.fixture
def severe_recurrent(patient, alice, frozen):
    """A PHQ-9 baseline of 18 (NICE "more severe") and two earlier episodes: the suggestion is both together."""
    update_patient(patient=patient, by=alice, changes={"prior_episodes": 2})
    give_history(patient, alice, modality="psychotherapy", scores=((-2, 18), (30, 16)))
    return patient


def test_it_shows_the_patient_their_own_suggestion_with_each_reason_in_plain_words(client, severe_recurrent, token):
    response = client.get(options_url(token))
    page = response.content.decode()
    assert response.status_code == 200
    assert shows(page, EN.suggestions["combined"])
    assert shows(page, EN.reasons["severe"])
    assert shows(page, EN.reasons["recurrent"])
    assert not shows(page, EN.reasons["mild"])


def test_it_says_what_the_latest_score_means_without_jargon(client, severe_recurrent, token):
    page = client.get(options_url(token)).content.decode()
    # The latest PHQ-9 is 16, moderately severe: said in words, with the total and its date.
    assert shows(page, EN.bands["moderately_severe"])
    assert "Your latest score was 16 out of 27" in page


def test_it_cites_a_source_for_every_fact_it_shows(client, severe_recurrent, token):
    page = client.get(options_url(token)).content.decode()
    for fact in decision_aid.evidence_for("combined", "en"):
        assert shows(page, fact.text)
        assert f'href="#source-{fact.source}"' in page
        assert f'id="source-{fact.source}"' in page
    assert "73 in 100" in page  # Keller 2000, chronic depression: response with both vs either alone
    assert "N Engl J Med 2000;342:1462-1470" in page


def test_it_says_plainly_that_the_care_team_decides_with_them(client, severe_recurrent, token):
    assert shows(client.get(options_url(token)).content.decode(), EN.not_advice)


def test_it_describes_every_option_and_the_4_to_8_week_checks(client, patient, token):
    page = client.get(options_url(token)).content.decode()
    for option in EN.options:
        assert option.title in page
    assert "2 to 6 weeks" in page
    assert "less than 30% better after about two months" in page


def test_it_works_before_the_first_score(client, patient, token):
    page = client.get(options_url(token)).content.decode()
    assert shows(page, EN.no_score)
    assert not shows(page, EN.suggestion_heading)


@pytest.mark.parametrize(("years", "shown"), [(24, True), (25, False)])
def test_it_explains_weekly_check_ins_only_to_someone_under_25(client, alice, frozen, years, shown):
    born = TODAY.replace(year=TODAY.year - years)
    young = make_patient(alice, "MRN-Y", birth_date=born)
    give_history(young, alice, modality="medication", scores=((-2, 18),))
    token = issue_link(patient=young)[1]
    page = client.get(options_url(token)).content.decode()
    assert shows(page, EN.safety["young_antidepressant"].text) is shown


def test_it_warns_about_stopping_early_when_an_antidepressant_is_taken(client, alice, frozen):
    mild = make_patient(alice, "MRN-M")
    give_history(mild, alice, modality="psychotherapy", scores=((-2, 7),))
    token = issue_link(patient=mild)[1]
    assert not shows(client.get(options_url(token)).content.decode(), EN.safety["stopping_early"].text)
    add_medication(patient=mild, by=alice, name="Sertraline", drug_class="ssri", started_on=TODAY - timedelta(days=3))
    page = client.get(options_url(token)).content.decode()
    assert shows(page, EN.safety["stopping_early"].text)
    assert shows(page, EN.safety["other_medicines"].text)


def test_it_puts_the_crisis_text_first_after_a_positive_suicide_item(client, patient, token):
    submit_assessment(
        patient=patient, instrument="phq9", items=phq9_items(14, item9=1), administered_at=timezone.now(),
        source="self_report",
    )
    page = client.get(options_url(token)).content.decode()
    assert settings.MBC_CRISIS_MESSAGE in page
    assert page.index(settings.MBC_CRISIS_MESSAGE) < page.index(f"<h1>{EN.title}</h1>")


def test_it_shows_no_crisis_text_without_a_positive_suicide_item(client, severe_recurrent, token):
    assert settings.MBC_CRISIS_MESSAGE not in client.get(options_url(token)).content.decode()


def test_it_shows_only_the_links_patient(client, severe_recurrent, alice, token):
    other = make_patient(alice, "MRN-2", display_name="Quentin Other")
    give_history(other, alice, scores=((-2, 6), (30, 3)))
    page = client.get(options_url(token)).content.decode()
    assert "Your latest score was 16" in page
    assert "Your latest score was 3" not in page
    assert other.display_name not in page
    assert severe_recurrent.display_name not in page
    assert severe_recurrent.external_id not in page


@pytest.mark.parametrize("kind", ["unknown", "expired"])
def test_it_is_a_friendly_404_for_a_dead_link(client, patient, token, kind):
    if kind == "expired":
        patient.self_report_links.update(expires_at=timezone.now() - timedelta(seconds=1))
        url = options_url(token)
    else:
        url = options_url("x" * 43)
    response = client.get(url)
    assert response.status_code == 404
    assert EN.title not in response.content.decode()


def test_it_writes_an_audit_row_for_each_view(client, patient, token):
    client.get(options_url(token))
    event = AuditEvent.objects.get(what="decision_aid")
    assert event.patient_id == patient.id
    assert event.action == AuditEvent.Action.VIEW
    assert event.user_id is None


def test_it_records_the_patients_choice_and_sentence(client, patient, token):
    response = client.post(options_url(token), {"preference": "combined", "note": "I'd like to talk first."})
    assert response.status_code == 302
    assert response["Location"].endswith(options_url(token) + "#preference")
    statement = PreferenceStatement.objects.get()
    assert statement.patient_id == patient.id
    assert statement.preference == "combined"
    assert statement.note == "I'd like to talk first."
    patient.refresh_from_db()
    assert patient.preference == "combined"
    assert AuditEvent.objects.filter(what="preference", action=AuditEvent.Action.SUBMIT, patient=patient).exists()
    page = client.get(response["Location"]).content.decode()
    assert shows(page, EN.preference_saved.format(choice="Both together"))


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"preference": "surgery"}, "preference"),
        ({}, "preference"),
        ({"preference": "none", "note": "x" * 501}, "note"),
    ],
)
def test_it_refuses_a_bad_choice_and_saves_nothing(client, patient, token, data, field):
    response = client.post(options_url(token), data)
    assert response.status_code == 400
    assert response.context["form"].errors[field]
    assert 'class="error-summary"' in response.content.decode()
    assert not PreferenceStatement.objects.exists()
    patient.refresh_from_db()
    assert patient.preference == "none"


def test_it_keeps_every_statement_and_shows_the_newest_to_the_clinician(client, patient, alice, token):
    client.post(options_url(token), {"preference": "medication"})
    client.post(options_url(token), {"preference": "psychotherapy", "note": "Tablets worry me."})
    assert PreferenceStatement.objects.count() == 2
    page = signed_in(alice).get(f"/patients/{patient.id}/").content.decode()
    assert "The patient chose psychotherapy on their options page on 12 Mar 2026" in page
    assert "Tablets worry me." in page


def test_it_speaks_spanish_to_a_spanish_speaking_patient(client, alice, frozen):
    paciente = make_patient(alice, "MRN-ES", language="es")
    give_history(paciente, alice, modality="psychotherapy", scores=((-2, 18),))
    token = issue_link(patient=paciente)[1]
    page = client.get(options_url(token)).content.decode()
    assert '<html lang="es">' in page
    assert shows(page, ES.title)
    assert shows(page, ES.suggestions["combined"])
    assert shows(page, ES.reasons["severe"])
    assert "Su última puntuación fue 18 de 27, el 29 enero 2026." in page  # the month in Spanish too
    assert not shows(page, EN.title)


def test_it_follows_the_browser_when_the_record_has_no_language(client, alice, frozen):
    patient = make_patient(alice, "MRN-AL", language="")
    token = issue_link(patient=patient)[1]
    page = client.get(options_url(token), HTTP_ACCEPT_LANGUAGE="es-MX,es;q=0.9").content.decode()
    assert shows(page, ES.title)


@pytest.mark.parametrize("scores", [((-2, 18),), ((-2, 12),), ((-2, 6),), ((-2, 3),)])
def test_it_keeps_every_english_paragraph_of_the_page_readable(client, alice, frozen, scores):
    young = make_patient(alice, "MRN-R", birth_date=TODAY.replace(year=TODAY.year - 20), prior_episodes=3)
    give_history(young, alice, modality="medication", scores=scores)
    submit_assessment(
        patient=young, instrument="phq9", items=phq9_items(12, item9=1), administered_at=timezone.now(),
        source="self_report",
    )
    token = issue_link(patient=young)[1]
    texts = paragraphs(client.get(options_url(token)).content.decode())
    texts.remove(settings.MBC_CRISIS_MESSAGE)  # the clinic's own text, set in its settings
    assert len(texts) >= 8
    for text in texts:
        if re.fullmatch(r"Your latest score was .*", text):
            continue  # numbers and a date: a data line, not prose
        assert textstat.flesch_reading_ease(text) >= 60, text
    words = sum(textstat.lexicon_count(t) for t in texts)
    sentences = sum(len(re.findall(r"[.!?](?:\s|$)", t)) or 1 for t in texts)
    assert words / sentences < 20


def test_it_reads_the_record_in_a_bounded_number_of_queries(
    client, severe_recurrent, token, django_assert_max_num_queries
):
    with django_assert_max_num_queries(14):
        client.get(options_url(token))


def test_it_says_what_is_wrong_in_the_patients_language_and_links_to_the_question(client, alice, frozen):
    paciente = make_patient(alice, "MRN-ES2", language="es")
    token = issue_link(patient=paciente)[1]
    page = client.post(options_url(token), {"preference": ""}).content.decode()
    assert shows(page, ES.error_title)
    # The summary names the question and says what is missing ("Su elección: por favor, elija ..."), linked to it.
    assert f'<a href="#id_preference_0">{ES.preference_short_labels[0]}: por favor, elija una de las opciones.' in page


@pytest.mark.parametrize(("language", "label"), [("en", "Read about your options"), ("es", "Lea sobre sus opciones")])
def test_it_is_reachable_from_the_form_and_the_thank_you_page(client, alice, frozen, language, label):
    someone = make_patient(alice, f"MRN-L{language}", language=language)
    token = issue_link(patient=someone)[1]
    form_page = client.get(f"/r/{token}/").content.decode()
    assert f'href="{options_url(token)}"' in form_page
    assert label in form_page
    client.post(f"/r/{token}/", {**{f"item_{n}": "0" for n in range(1, 10)}, "client_id": "c-1"})
    done_page = client.get(f"/r/{token}/done/").content.decode()
    assert f'href="{options_url(token)}"' in done_page
    assert label in done_page


def test_it_stays_readable_after_the_links_one_submission(client, patient, token):
    client.post(f"/r/{token}/", {**{f"item_{n}": "1" for n in range(1, 10)}, "client_id": "c-once"})
    assert "already" in client.get(f"/r/{token}/").content.decode().lower()  # the form itself takes no more
    response = client.get(options_url(token))
    assert response.status_code == 200
    assert shows(response.content.decode(), EN.title)
