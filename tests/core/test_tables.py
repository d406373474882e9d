"""{% table %}: one markup for every data table; the page writes only its rows."""

from __future__ import annotations

from django.template import Context, Template

PAGE = Template(
    "{% load tables %}"
    '{% table "Title" "Unit" caption="Microcredentials" rows=items empty="Nothing yet." %}'
    '{% for item in items %}<tr><th scope="row">{{ item }}</th><td>CE</td></tr>{% endfor %}'
    "{% endtable %}"
)


def test_rows_stand_in_a_scrolling_captioned_table_under_their_headings() -> None:
    html = PAGE.render(Context({"items": ["Python <3"]}))
    # The scrolling wrapper is a named region a keyboard can reach (it scrolls with the arrows).
    assert html.startswith(
        '<div class="table-wrap" tabindex="0" role="region" aria-label="Microcredentials">\n<table>'
    )
    assert "<caption>Microcredentials</caption>" in html
    assert '<thead><tr><th scope="col">Title</th><th scope="col">Unit</th></tr></thead>' in html
    assert '<tbody><tr><th scope="row">Python &lt;3</th><td>CE</td></tr></tbody>' in html
    assert "empty-state" not in html


def test_no_rows_shows_the_empty_state_instead() -> None:
    html = PAGE.render(Context({"items": []}))
    assert html.strip() == '<div class="empty-state"><p>Nothing yet.</p></div>'


def test_a_table_without_an_empty_state_shows_even_when_empty() -> None:
    html = Template(
        '{% load tables %}{% table "Person" caption="Staff" caption_hidden=True actions=True %}{% endtable %}'
    ).render(Context())
    assert '<caption class="visually-hidden">Staff</caption>' in html
    assert '<th scope="col"><span class="visually-hidden">Actions</span></th></tr></thead>' in html
    assert "<tbody></tbody>" in html


def test_a_heading_is_escaped() -> None:
    html = Template('{% load tables %}{% table heading caption="C" %}{% endtable %}').render(
        Context({"heading": "<b>x</b>"})
    )
    assert '<th scope="col">&lt;b&gt;x&lt;/b&gt;</th>' in html
