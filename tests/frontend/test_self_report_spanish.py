"""The patient's pages in Spanish: chosen by the patient's language or the browser's, page strings by gettext, the
PHQ-9 and GAD-7 texts from the registry's published Spanish versions, the Spanish crisis text (issue 12)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from django.utils import translation

from instruments.definitions import GAD7, PHQ9
from instruments.translations import es
from reassessment.services import issue_link
from tests.conftest import make_patient

PO = Path(settings.BASE_DIR) / "locale" / "es" / "LC_MESSAGES" / "django.po"


def link_for(alice, language: str, **kwargs) -> str:
    patient = make_patient(alice, f"MRN-{language or 'none'}", language=language, **kwargs)
    return issue_link(patient=patient)[1]


def page(token: str, accept: str = "") -> tuple[object, str]:
    client = Client(HTTP_ACCEPT_LANGUAGE=accept) if accept else Client()
    r = client.get(f"/r/{token}/")
    return r, r.content.decode()


def test_it_speaks_spanish_to_a_spanish_speaking_patient(alice, frozen):
    r, html = page(link_for(alice, "es"))

    assert r.status_code == 200
    assert r["Content-Language"] == "es"
    assert '<html lang="es">' in html
    assert "¿Cómo se ha sentido?" in html
    assert es.PHQ9.instructions in html
    assert all(f"{n}. {text}" in html for n, text in enumerate(es.PHQ9.items, start=1))
    assert '<span class="choice-label">Casi todos los días</span>' in html
    assert "Enviar mis respuestas" in html
    assert PHQ9.items[0].text not in html


def test_it_asks_the_gad7_in_spanish(alice, frozen):
    _, html = page(link_for(alice, "es", primary_instrument="gad7"))

    assert "1. Se ha sentido nervioso(a), ansioso(a) o con los nervios de punta" in html
    assert GAD7.items[0].text not in html


def test_it_keeps_the_pcl5_items_in_english_on_a_spanish_page(alice, frozen):
    _, html = page(link_for(alice, "es", primary_instrument="pcl5"))

    assert "Enviar mis respuestas" in html
    assert "1. Repeated, disturbing, and unwanted memories" in html


@pytest.mark.parametrize(
    ("patient_language", "accept", "spoken"),
    [("", "es-MX,es;q=0.9,en;q=0.5", "es"), ("", "en-US,en;q=0.9", "en"), ("", "fr-FR", "en"),
     ("en", "es", "en"), ("es", "en-GB", "es")],
)
def test_it_follows_the_patients_language_else_the_browsers(alice, frozen, patient_language, accept, spoken):
    r, html = page(link_for(alice, patient_language), accept)

    assert r["Content-Language"] == spoken
    assert ("Enviar mis respuestas" in html) == (spoken == "es")
    assert "Accept-Language" in r["Vary"]


def test_it_names_missing_answers_in_spanish(alice, frozen):
    token = link_for(alice, "es")

    r = Client().post(f"/r/{token}/", {"client_id": "c-1", "item_1": "1"})

    html = r.content.decode()
    assert r.status_code == 400
    assert "Por favor, responda todas las preguntas" in html
    assert "Pregunta 2: elija una respuesta." in html


def test_it_thanks_in_spanish_and_gives_the_spanish_crisis_text(alice, frozen, settings):
    settings.MBC_CRISIS_MESSAGE_ES = "Llame a la clínica al 900 000 000."
    token = link_for(alice, "es")
    client = Client()
    data = {f"item_{n}": "1" for n in range(1, 10)} | {"client_id": "c-2"}

    r = client.post(f"/r/{token}/", data, follow=True)

    html = r.content.decode()
    assert "Por favor, pida ayuda ahora" in html
    assert "Llame a la clínica al" in html
    assert settings.MBC_CRISIS_MESSAGE not in html


def test_it_thanks_in_spanish_without_a_crisis(alice, frozen):
    token = link_for(alice, "es")
    data = {f"item_{n}": "0" for n in range(1, 10)} | {"client_id": "c-3"}

    html = Client().post(f"/r/{token}/", data, follow=True).content.decode()

    assert "<h1>Gracias</h1>" in html
    assert "Ya puede cerrar esta página." in html


def test_it_gives_the_spanish_crisis_text_through_the_api(alice, frozen, settings):
    settings.MBC_CRISIS_MESSAGE_ES = "Llame ahora."
    token = link_for(alice, "es")

    r = Client().post(f"/api/v1/self-report/{token}/", {"items": [0] * 8 + [2]}, content_type="application/json")

    assert r.status_code == 201
    assert r.json()["crisis_message"] == "Llame ahora."


def test_it_explains_a_dead_link_in_the_browsers_language(db):
    r = Client(HTTP_ACCEPT_LANGUAGE="es-ES").get("/r/not-a-token/")

    assert r.status_code == 404
    assert "Este enlace no está disponible" in r.content.decode()


def test_it_keeps_the_clinician_pages_in_english(alice_client):
    r = alice_client.get("/", HTTP_ACCEPT_LANGUAGE="es")

    assert '<html lang="en-gb">' in r.content.decode()


def test_it_has_compiled_every_spanish_page_string():
    """The committed django.mo is the compiled django.po: every msgid of the .po translates as the .po says."""
    text = PO.read_text(encoding="utf-8")
    pairs = re.findall(r'^msgid "(.+)"\nmsgstr "(.+)"$', text, flags=re.M)

    assert len(pairs) >= 20
    with translation.override("es"):
        for msgid, msgstr in pairs:
            assert translation.gettext(msgid.replace('\\"', '"')) == msgstr.replace('\\"', '"')
