"""A Spanish-speaking patient's check-in end to end in chromium: Spanish page, Spanish items, crisis text, saved."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from instruments.models import Assessment
from instruments.translations import es
from reassessment.models import Flag
from reassessment.services import issue_link
from tests.conftest import make_clinician, make_patient

pytestmark = pytest.mark.e2e


def test_it_takes_a_spanish_check_in_from_a_phone(live_server, transactional_db, browser, traffic, settings):
    settings.MBC_CRISIS_MESSAGE_ES = "Llame a la clínica ahora: 900 000 000."
    alice = make_clinician("alice")
    patient = make_patient(alice, "MRN-ES", display_name="Paciente Uno", language="es")
    token = issue_link(patient=patient)[1]

    phone = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True,
                                locale="en-GB")  # the patient's own language wins over the phone's
    form = traffic.watch(phone.new_page())
    form.goto(f"{live_server.url}/r/{token}/")

    expect(form.locator("html")).to_have_attribute("lang", "es")
    expect(form.get_by_role("heading", name="¿Cómo se ha sentido?")).to_be_visible()
    expect(form.get_by_text(es.PHQ9.instructions)).to_be_visible()
    form.get_by_role("button", name="Enviar mis respuestas").click()  # nothing answered yet
    expect(form.get_by_role("heading", name="Por favor, responda todas las preguntas")).to_be_visible()
    answers = ["Varios días"] * 8 + ["Más de la mitad de los días"]
    for number, answer in enumerate(answers, start=1):
        form.locator("fieldset.item").nth(number - 1).get_by_text(answer, exact=True).click()
    form.get_by_role("button", name="Enviar mis respuestas").click()

    expect(form.get_by_role("heading", name="Por favor, pida ayuda ahora")).to_be_visible()
    expect(form.get_by_text("Llame a la clínica ahora")).to_be_visible()
    phone.close()

    saved = Assessment.objects.get(patient=patient)
    assert (saved.total, saved.items[8], saved.source) == (10, 2, "self_report")
    assert Flag.objects.filter(patient=patient, kind="suicide_risk").count() == 1


def test_it_follows_a_spanish_browser_when_the_patient_has_no_language(live_server, transactional_db, browser,
                                                                      traffic):
    alice = make_clinician("alice")
    patient = make_patient(alice, "MRN-AL", language="", primary_instrument="gad7")
    token = issue_link(patient=patient)[1]

    context = browser.new_context(locale="es-MX")
    form = traffic.watch(context.new_page())
    form.goto(f"{live_server.url}/r/{token}/")

    expect(form.get_by_role("heading", name="¿Cómo se ha sentido?")).to_be_visible()
    expect(form.get_by_text(es.GAD7.items[0], exact=False)).to_be_visible()
    for number in range(7):
        form.locator("fieldset.item").nth(number).get_by_text("Ningún día", exact=True).click()
    form.get_by_role("button", name="Enviar mis respuestas").click()
    expect(form.get_by_role("heading", name="Gracias")).to_be_visible()
    context.close()
    assert Assessment.objects.get(patient=patient).total == 0
