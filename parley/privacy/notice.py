"""The privacy notice each tenant publishes (P30, P31), generated from the same register as `parley register`.

`notice_version()` names the notice's content: a short hash of the register rows (categories, purposes, legal bases,
retention, storage, processors) and of NOTICE_REVISION. Any change to a declaration or a processor gives a new
version, so a consent record that cites the version says which notice the person saw.
"""

import hashlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.utils.translation.trans_real import parse_accept_lang_header

from parley.privacy.register import RegisterRow, processor_line, processors_configured, register_current
from parley.privacy.registry import RETENTION_TEXT, Retention
from parley.tenants.models import Tenant

# Bump when the notice's own wording changes in a way a consent should be asked for again.
NOTICE_REVISION = "1"
NOTICE_LANGUAGES = ("en", "de")


def notice_version(rows: list[RegisterRow] | None = None) -> str:
    """A stable, short version string of the notice's content, e.g. "1-3fa9c0d2b1"."""
    if rows is None:
        rows = register_current()
    canonical = json.dumps([row.as_dict() for row in rows], sort_keys=True, ensure_ascii=False)
    digest = hashlib.sha256(f"{NOTICE_REVISION}\n{canonical}".encode()).hexdigest()
    return f"{NOTICE_REVISION}-{digest[:10]}"


def notice_language(request: HttpRequest, tenant: Tenant) -> str:
    """?lang= if it names a notice language, else the browser's first notice language, else the tenant's, else en."""
    asked = request.GET.get("lang", "")
    if asked in NOTICE_LANGUAGES:
        return asked
    for tag, _q in parse_accept_lang_header(request.headers.get("Accept-Language", "")):
        code = tag.split("-")[0].lower()
        if code in NOTICE_LANGUAGES:
            return code
    return tenant.default_language if tenant.default_language in NOTICE_LANGUAGES else NOTICE_LANGUAGES[0]


@dataclass(frozen=True)
class NoticeCategory:
    key: str  # the register's category, untranslated
    category: str
    subjects: list[str]
    purposes: list[str]
    legal_bases: list[str]
    retention: list[str]


def _tr(text: str) -> str:
    """Registry texts are English source strings; they show translated once the catalogue has them."""
    return _(text) if text else text


_SETTING_IN_PARENS = re.compile(r"\s*\(PARLEY_[A-Z_]+\)")
_SETTING = re.compile(r"PARLEY_[A-Z_]+")
_DEFAULT = re.compile(r"\s*\(default [^)]*\)")


def _public(text: str) -> str:
    """A registry text for the public: setting names replaced by their values ("PARLEY_X days (default 14)")."""
    text = _SETTING_IN_PARENS.sub("", text)
    if _SETTING.search(text):
        text = _DEFAULT.sub("", _SETTING.sub(lambda m: str(getattr(settings, m[0], m[0])), text))
    return text


def _service_retention(tenant: Tenant) -> str:
    return ngettext(
        "%(months)d month after the last activity in the conversation, or earlier on request.",
        "%(months)d months after the last activity in the conversation, or earlier on request.",
        tenant.retention_months,
    ) % {"months": tenant.retention_months}


# Retention texts whose period is a setting: the notice translates a template and fills in the configured value
# afterwards, so any value gets a translated line (the register keeps the setting's name). Keyed by the register's
# text; each function runs with the notice's language active.


def _access_log_retention() -> str:
    days = settings.PARLEY_ACCESS_LOG_DAYS
    return ngettext(
        "%(days)d day; whole day files are deleted by the hourly housekeeping",
        "%(days)d days; whole day files are deleted by the hourly housekeeping",
        days,
    ) % {"days": days}


def _dsr_retention() -> str:
    months = settings.PARLEY_DSR_RETENTION_MONTHS
    return ngettext(
        "%(months)d month after the request was closed; unconfirmed ones %(hours)d hours.",
        "%(months)d months after the request was closed; unconfirmed ones %(hours)d hours.",
        months,
    ) % {"months": months, "hours": _dsr_unconfirmed_hours()}


def _dsr_unconfirmed_hours() -> int:
    try:
        from parley.dsr.services import UNCONFIRMED_KEEP_HOURS
    except ImportError:  # pragma: no cover - the request tool ships with Parley
        return 48
    return UNCONFIRMED_KEEP_HOURS


def _consent_retention() -> str:
    months = settings.PARLEY_CONSENT_PROOF_MONTHS
    return ngettext(
        "While the consent stands; after withdrawal %(months)d month as proof.",
        "While the consent stands; after withdrawal %(months)d months as proof.",
        months,
    ) % {"months": months}


def _configured_texts() -> dict[str, Callable[[], str]]:
    from parley.accesslog.privacy import ACCESS_LOG

    return {
        str(ACCESS_LOG["retention"]): _access_log_retention,
        RETENTION_TEXT[Retention.DSR_REQUEST]: _dsr_retention,
        RETENTION_TEXT[Retention.CONSENT_PROOF]: _consent_retention,
    }


def notice_retention(text: str, *, tenant: Tenant) -> str:
    """One retention text of the register as the notice shows it, translated, with configured values."""
    if text == RETENTION_TEXT[Retention.SERVICE_12_MONTHS]:
        return _service_retention(tenant)
    configured = _configured_texts().get(text)
    return configured() if configured is not None else _tr(_public(text))


def notice_categories(*, tenant: Tenant, rows: list[RegisterRow]) -> list[NoticeCategory]:
    categories = []
    for row in rows:
        retention = [notice_retention(text, tenant=tenant) for text in row.retention]
        categories.append(
            NoticeCategory(
                key=row.category,
                category=_tr(row.category),
                subjects=[_tr(s) for s in row.subjects],
                purposes=[_tr(p) for p in row.purposes],
                legal_bases=[_tr(b) for b in row.legal_bases],
                retention=list(dict.fromkeys(retention)),
            )
        )
    return categories


def _request_page_url(tenant: Tenant) -> str | None:
    """The data-subject request page of parley/dsr, if that app is installed."""
    try:
        return reverse("dsr:request", kwargs={"slug": tenant.slug})
    except NoReverseMatch:
        return None


def notice_context(*, tenant: Tenant, language: str) -> dict[str, Any]:
    """Everything the notice template shows for `tenant` (translated texts need the language active)."""
    rows = register_current()
    return {
        "tenant": tenant,
        "language": language,
        "languages": NOTICE_LANGUAGES,
        "controller": tenant.controller_contact or "",
        "dpo": tenant.dpo_contact or "",
        "operator": settings.PARLEY_OPERATOR,
        "operator_dpo": settings.PARLEY_DPO,
        "categories": notice_categories(tenant=tenant, rows=rows),
        "processors": [processor_line(p) for p in processors_configured()],
        "request_url": _request_page_url(tenant),
        "retention_months": tenant.retention_months,
        "remember_me_days": settings.PARLEY_REMEMBER_ME_DAYS,
        "version": notice_version(rows),
        "generated_on": timezone.localdate(),
    }
