"""Every form renders through our templates: label, hint and error tied to the field.

Django 5.2 already names the hint and the error in the widget's aria-describedby
(`<id>_helptext`, `<id>_error`); forms/field.html gives those ids to what it prints.
"""

from django.forms.renderers import TemplatesSetting


class Renderer(TemplatesSetting):
    form_template_name = "forms/form.html"
    field_template_name = "forms/field.html"
