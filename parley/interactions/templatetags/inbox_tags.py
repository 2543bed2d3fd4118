from typing import Any

from django import template

from parley.interactions.inbox import unread_summary

register = template.Library()


@register.simple_tag
def inbox_unread(user: Any) -> dict[str, Any]:
    """Unread customer messages for the nav badge (one query); inbox.js keeps it current where it runs."""
    if not getattr(user, "is_authenticated", False):
        return {"total": 0, "json": "{}"}
    return unread_summary(actor=user)
