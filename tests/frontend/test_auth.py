"""Sign-in, sign-out and password reset by email, with the pages' own templates."""

from __future__ import annotations

import re

from django.core import mail
from django.http import HttpRequest

from tests.conftest import PASSWORD


def test_it_signs_in_and_goes_to_the_caseload(client, alice):
    page = client.get("/accounts/login/").content.decode()
    assert '<label for="id_username">' in page
    assert '<label for="id_password">' in page
    response = client.post("/accounts/login/", {"username": "alice", "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == "/"
    assert client.get("/").status_code == 200


def test_it_says_when_the_password_is_wrong(client, alice):
    response = client.post("/accounts/login/", {"username": "alice", "password": "wrong-password-1"})
    assert response.status_code == 200
    page = response.content.decode()
    # Issue 13: an error summary at the top, linking to the field (Django's own message).
    assert re.search(r'data-error-summary>.*href="#id_username">Please enter a correct username and password', page,
                     re.S)


def test_it_signs_out_with_a_post(client, alice):
    client.force_login(alice)
    response = client.post("/accounts/logout/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/"
    assert client.get("/").status_code == 302


def test_it_resets_a_password_by_email(client, alice):
    page = client.get("/accounts/password_reset/").content.decode()
    assert "Reset your password" in page
    assert '<label for="id_email">' in page
    response = client.post("/accounts/password_reset/", {"email": "alice@clinic.test"})
    assert response["Location"] == "/accounts/password_reset/done/"
    assert "Check your email" in client.get(response["Location"]).content.decode()
    message = mail.outbox[0]
    assert message.subject == "Reset your mbc password"
    assert message.to == ["alice@clinic.test"]
    link = re.search(r"http://testserver(/accounts/reset/\S+/)", message.body).group(1)
    form = client.get(link, follow=True)
    assert "Choose a new password" in form.content.decode()
    response = client.post(
        form.redirect_chain[-1][0], {"new_password1": "another-long-secret-7", "new_password2": "another-long-secret-7"}
    )
    assert response["Location"] == "/accounts/reset/done/"
    # axes watches every sign-in, so authenticate() needs the request, as Django's own views pass it.
    assert client.login(request=HttpRequest(), username="alice", password="another-long-secret-7")


def test_it_does_not_say_whether_an_email_has_an_account(client, db):
    response = client.post("/accounts/password_reset/", {"email": "nobody@clinic.test"})
    assert response["Location"] == "/accounts/password_reset/done/"
    assert mail.outbox == []
