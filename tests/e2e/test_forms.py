"""Issue 13: a form's errors are summarised at the top, focused on load, each linking to its field."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.conftest import PASSWORD, make_clinician, make_patient

pytestmark = pytest.mark.e2e


def sign_in(page, live_server) -> None:
    page.goto(live_server.url + "/accounts/login/")
    page.get_by_label("Username").fill("alice")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Caseload")).to_be_visible()


def test_it_takes_the_clinician_from_the_top_to_a_missing_hamd17_item(
    live_server, transactional_db, page, traffic, axe
):
    traffic.watch(page)
    alice = make_clinician("alice")
    patient = make_patient(alice, "MRN-9", display_name="Hal Hamilton")
    sign_in(page, live_server)
    page.goto(f"{live_server.url}/patients/{patient.id}/")
    page.get_by_text("HAM-D 17 (Hamilton Rating Scale for Depression, 17 items)").click()
    form = page.locator("#enter-hamd17")
    for fieldset in form.locator("fieldset.item").all():
        if "5. Insomnia: middle of the night" not in fieldset.locator("legend").inner_text():
            fieldset.locator("input[type=radio]").first.check()
    form.get_by_role("button", name="Save HAM-D 17").click()

    summary = page.locator("[data-error-summary]")
    expect(summary).to_be_focused()
    expect(summary).to_be_in_viewport()
    expect(summary).to_contain_text("There is a problem with the HAM-D 17")
    summary.get_by_role("link", name="Question 5: choose an answer.").click()
    expect(page.locator("#id_hamd17-item_5_0")).to_be_focused()
    expect(page.locator("#id_hamd17-item_5_0")).to_be_in_viewport()
    axe.check(page, context="[data-error-summary]")


def test_it_sums_up_a_failed_sign_in(live_server, transactional_db, page, traffic, axe):
    traffic.watch(page)
    make_clinician("alice")
    page.goto(live_server.url + "/accounts/login/")
    page.get_by_label("Username").fill("alice")
    page.get_by_label("Password").fill("not-the-password")
    page.get_by_role("button", name="Sign in").click()
    summary = page.locator("[data-error-summary]")
    expect(summary).to_be_focused()
    expect(summary).to_contain_text("Please enter a correct username and password")
    summary.get_by_role("link").click()
    expect(page.get_by_label("Username")).to_be_focused()
    axe.check(page)
