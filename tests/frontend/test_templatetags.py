"""Template filters of the pages."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.test import override_settings

from frontend.templatetags.mbc import phone_links


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Call 999 now.", 'Call <a class="tel" href="tel:999">999</a> now.'),
        ("Clinic: +44 20 7946 0958.", 'Clinic: <a class="tel" href="tel:+442079460958">+44 20 7946 0958</a>.'),
        ("Ring (0)20 7946-0958", 'Ring <a class="tel" href="tel:02079460958">(0)20 7946-0958</a>'),
        ("Samaritans 116 123 or 988", 'Samaritans <a class="tel" href="tel:116123">116 123</a> or '
                                      '<a class="tel" href="tel:988">988</a>'),
        ("Open 24/7, within 2 weeks", "Open 24/7, within 2 weeks"),
        ("<b>Help</b> & 112", '&lt;b&gt;Help&lt;/b&gt; &amp; <a class="tel" href="tel:112">112</a>'),
        ("1234567890123456 digits", "1234567890123456 digits"),  # 16 digits: not a phone number
        ("", ""),
    ],
)
def test_it_links_phone_numbers_and_escapes_the_rest(text, expected):
    assert phone_links(text) == expected


def test_it_leaves_no_markup_from_the_setting_unescaped():
    assert "<a" not in phone_links('"><a href="javascript:x">call</a>').replace("&lt;a", "")


def test_it_keeps_the_default_crisis_text_self_contained():
    text = settings.MBC_CRISIS_MESSAGE
    assert "above" not in text
    assert "below" not in text
    assert "emergency number" in text
    assert "care team" in text


@override_settings(MBC_CRISIS_MESSAGE="Call the clinic on 0100 000 0000 or 999.")
def test_it_renders_the_configured_numbers_as_links():
    from django.template import Context, Template

    html = Template("{% load mbc %}{{ text|phone_links }}").render(Context({"text": settings.MBC_CRISIS_MESSAGE}))
    assert '<a class="tel" href="tel:01000000000">0100 000 0000</a>' in html
    assert '<a class="tel" href="tel:999">999</a>' in html
