"""The kinds of documents a tenant may allow in conversations: one key per kind, each with its label and MIME types.

`Tenant.document_types` stores the chosen keys; the upload API accepts exactly `allowed_mime_types(tenant)` and
at most `max_document_bytes(tenant)`. Whether documents are switched on at all is `Tenant.documents_enabled`,
which these helpers do not look at."""

from typing import TYPE_CHECKING

from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from django_stubs_ext import StrPromise

    from parley.tenants.models import Tenant

DOCUMENT_TYPES: "dict[str, tuple[StrPromise, list[str]]]" = {
    "pdf": (_("PDF"), ["application/pdf"]),
    "image": (_("Images (JPEG, PNG, WebP, GIF)"), ["image/jpeg", "image/png", "image/webp", "image/gif"]),
    "text": (_("Plain text"), ["text/plain"]),
    "office": (
        _("Word, Excel and PowerPoint documents (docx, xlsx, pptx)"),
        [
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        ],
    ),
}


def document_type_choices() -> "list[tuple[str, StrPromise]]":
    return [(key, label) for key, (label, _mimes) in DOCUMENT_TYPES.items()]


def allowed_mime_types(tenant: "Tenant") -> list[str]:
    """The MIME types of the kinds `tenant` allows, in DOCUMENT_TYPES order; unknown stored keys are ignored."""
    chosen = set(tenant.document_types or [])
    return [mime for key, (_label, mimes) in DOCUMENT_TYPES.items() if key in chosen for mime in mimes]


def max_document_bytes(tenant: "Tenant") -> int:
    """The largest document `tenant` accepts, in bytes (`document_max_mb` MiB)."""
    return tenant.document_max_mb * 1024 * 1024
