"""`{% table %}`: the one markup of a data table; the page writes only its rows.

    {% load tables %}
    {% table _("Title") _("Unit") caption=_("Courses") rows=courses empty=_("None yet.") %}
      {% for c in courses %}<tr><th scope="row">{{ c.title }}</th><td>{{ c.unit }}</td></tr>{% endfor %}
    {% endtable %}

The positional arguments are the column headings. Around the rows: a container that scrolls
sideways on a phone instead of widening the page, the caption (`caption_hidden=True` keeps it
for screen readers only, where the heading above already says it), the header row (with
`actions=True`, a last column for buttons whose heading only screen readers hear), and the body.
Given `rows` and `empty`, no rows shows the empty state instead of the table.
"""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.safestring import SafeString

register = template.Library()


@register.simple_block_tag(takes_context=True)
def table(
    context: template.Context,
    content: SafeString,
    *columns: str,
    caption: str,
    caption_hidden: bool = False,
    actions: bool = False,
    rows: Any = None,
    empty: str | None = None,
) -> SafeString:
    markup = context.template.engine.get_template("core/_table.html")  # type: ignore[union-attr]
    values = {
        "content": content,
        "columns": columns,
        "caption": caption,
        "caption_hidden": caption_hidden,
        "actions": actions,
        "empty": empty if empty is not None and not rows else None,
    }
    return markup.render(context.new(values))
