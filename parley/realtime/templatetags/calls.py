"""`{% call_texts %}`: the call UI's texts (parley/realtime/static/parley/call.js) in the active language, as a JSON
block the Expert portal's script reads; the web app gets the same texts in its own JSON block."""

from django import template
from django.utils.html import json_script
from django.utils.safestring import SafeString

from parley.widget.texts import call_texts as _call_texts

register = template.Library()


@register.simple_tag
def call_texts() -> SafeString:
    return json_script(_call_texts(), "parley-call-texts")
