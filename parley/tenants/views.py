"""Admin portal (P01): organisation settings and the people who work in the portals."""

import uuid

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from parley.accounts import services as account_services
from parley.accounts.models import Invitation, User
from parley.accounts.selectors import access_invitation
from parley.core.exceptions import ApplicationError, NotFound
from parley.experts import services as expert_services
from parley.experts.forms import ExpertWidgetForm, TopicForm
from parley.experts.models import ExpertProfile, Topic
from parley.experts.selectors import (
    access_member,
    access_member_expert_profile,
    access_topic,
    member_list,
    topic_list,
    topic_list_with_counts,
    topic_next_position,
)
from parley.files.services import file_read
from parley.interactions.selectors import interaction_count_held_by
from parley.portals.decorators import portal_view
from parley.portals.types import PortalRequest
from parley.tenants.forms import WIDGET_FORMS, InviteForm, TenantSettingsForm
from parley.tenants.models import Tenant, readable_text_colour
from parley.tenants.selectors import embed_snippet
from parley.tenants.services import (
    SETTINGS_FIELDS,
    WIDGET_FIELDS,
    tenant_logo_set,
    tenant_settings_update,
    tenant_widget_update,
)

ADMIN = "admin"


@require_GET
def logo_view(request: HttpRequest, slug: str) -> HttpResponse:
    """The organisation's logo: public branding, shown on its login page and (later) in the customer app."""
    tenant = Tenant.objects.filter(slug=slug).select_related("logo").first()
    if tenant is None or tenant.logo is None:
        raise Http404
    response = HttpResponse(file_read(stored=tenant.logo), content_type=tenant.logo.content_type)
    response["Cache-Control"] = "public, max-age=300"
    return response


@require_GET
def brand_css_view(request: HttpRequest, slug: str) -> HttpResponse:
    """The organisation's colours as CSS variables, with a text colour that keeps WCAG AA contrast on them."""
    tenant = Tenant.objects.filter(slug=slug).first()
    if tenant is None:
        raise Http404
    primary, accent = tenant.primary_colour, tenant.accent_colour
    css = (
        f":root {{ --primary: {primary}; --on-primary: {readable_text_colour(primary)}; "
        f"--accent: {accent}; --on-accent: {readable_text_colour(accent)}; }}\n"
    )
    response = HttpResponse(css, content_type="text/css; charset=utf-8")
    response["Cache-Control"] = "public, max-age=86400"
    return response


@portal_view(role=ADMIN)
def dashboard_view(request: PortalRequest, tenant: Tenant) -> HttpResponse:
    return redirect("portal_admin:members", slug=tenant.slug)


@portal_view(role=ADMIN)
@require_http_methods(["GET", "POST"])
def settings_view(request: PortalRequest, tenant: Tenant) -> HttpResponse:
    initial = {field: getattr(tenant, field) for field in SETTINGS_FIELDS}
    form = TenantSettingsForm(request.POST or None, request.FILES or None, initial=initial)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            data = dict(form.cleaned_data)
            logo, remove_logo = data.pop("logo"), data.pop("remove_logo")
            try:
                tenant_settings_update(tenant=tenant, **data)
                if logo is not None:
                    tenant_logo_set(tenant=tenant, data=logo.read())
                elif remove_logo:
                    tenant_logo_set(tenant=tenant, data=None)
            except ApplicationError as exc:
                form.add_error(None, exc.message)
            else:
                messages.success(request, _("The settings were saved."))
                return redirect("portal_admin:settings", slug=tenant.slug)
    return render(request, "portal_admin/settings.html", {"tenant": tenant, "form": form}, status=status)


@portal_view(role=ADMIN)
@require_http_methods(["GET", "POST"])
def members_view(request: PortalRequest, tenant: Tenant) -> HttpResponse:
    form = InviteForm(request.POST or None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                account_services.invitation_create(
                    actor=request.user,
                    email=form.cleaned_data["email"],
                    role=form.cleaned_data["role"],
                )
            except ApplicationError as exc:
                form.add_error("email", exc.message)
            else:
                messages.success(request, _("The invitation was sent."))
                return redirect("portal_admin:members", slug=tenant.slug)
    invitations = Invitation.objects.filter(tenant=tenant, accepted_at__isnull=True, expires_at__gt=timezone.now()).order_by(
        "-created_at"
    )
    context = {"tenant": tenant, "form": form, "members": member_list(tenant=tenant), "invitations": invitations}
    return render(request, "portal_admin/members.html", context, status=status)


def _member(request: PortalRequest, user_id: uuid.UUID) -> User:
    try:
        return access_member(actor=request.user, user_id=user_id)
    except NotFound:
        raise Http404 from None


@portal_view(role=ADMIN)
@require_POST
def member_deactivate_view(request: PortalRequest, tenant: Tenant, user_id: uuid.UUID) -> HttpResponse:
    member = _member(request, user_id)
    try:
        if request.POST.get("action") == "activate":
            account_services.user_activate(actor=request.user, user=member)
            messages.success(request, _("%(name)s can sign in again.") % {"name": member.name})
        else:
            account_services.user_deactivate(actor=request.user, user=member)
            messages.success(request, _("%(name)s is deactivated and signed out.") % {"name": member.name})
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return redirect("portal_admin:members", slug=tenant.slug)
    return redirect("portal_admin:members", slug=tenant.slug)


@portal_view(role=ADMIN)
@require_http_methods(["GET", "POST"])
def member_delete_view(request: PortalRequest, tenant: Tenant, user_id: uuid.UUID) -> HttpResponse:
    member = _member(request, user_id)
    if request.method == "POST":
        if request.POST.get("confirm") != "delete":
            messages.error(request, _("Tick the box to confirm the deletion."))
            return redirect("portal_admin:member_delete", slug=tenant.slug, user_id=member.id)
        name = member.name
        try:
            account_services.user_erase(actor=request.user, user=member)
        except ApplicationError as exc:
            messages.error(request, exc.message)
            return redirect("portal_admin:members", slug=tenant.slug)
        messages.success(request, _("%(name)s and all their data were deleted.") % {"name": name})
        if member.id == request.user.id:
            return redirect("accounts:login", slug=tenant.slug)
        return redirect("portal_admin:members", slug=tenant.slug)
    held = interaction_count_held_by(user=member)
    return render(request, "portal_admin/member_delete.html", {"tenant": tenant, "member": member, "held": held})


@portal_view(role=ADMIN)
@require_POST
def invitation_revoke_view(request: PortalRequest, tenant: Tenant, invitation_id: uuid.UUID) -> HttpResponse:
    try:
        invitation = access_invitation(actor=request.user, invitation_id=invitation_id)
    except NotFound:
        raise Http404 from None
    account_services.invitation_revoke(actor=request.user, invitation=invitation)
    messages.success(request, _("The invitation was withdrawn."))
    return redirect("portal_admin:members", slug=tenant.slug)


@portal_view(role=ADMIN)
@require_http_methods(["GET", "POST"])
def widget_view(request: PortalRequest, tenant: Tenant) -> HttpResponse:
    """The embed snippet for the tenant's website and how the widget behaves there."""
    initial = {field: getattr(tenant, field) for field in WIDGET_FIELDS}
    widget_forms = [form_class(request.POST or None, initial=initial) for form_class in WIDGET_FORMS]
    website_form, invitation_form, documents_form = widget_forms
    status = 200
    if request.method == "POST":
        status = 400
        if all([form.is_valid() for form in widget_forms]):  # a list: every form gets its errors
            data = {name: value for form in widget_forms for name, value in form.cleaned_data.items()}
            try:
                tenant_widget_update(actor=request.user, tenant=tenant, **data)
            except ApplicationError as exc:
                website_form.add_error(None, exc.message)
            else:
                messages.success(request, _("The website settings were saved."))
                return redirect("portal_admin:widget", slug=tenant.slug)
            tenant.refresh_from_db()
    context = {
        "tenant": tenant,
        "website_form": website_form,
        "invitation_form": invitation_form,
        "documents_form": documents_form,
        "snippet": embed_snippet(tenant=tenant),
    }
    return render(request, "portal_admin/widget.html", context, status=status)


@portal_view(role=ADMIN)
@require_http_methods(["GET", "POST"])
def topics_view(request: PortalRequest, tenant: Tenant) -> HttpResponse:
    """The tenant's topics, and a form to add one."""
    form = TopicForm(request.POST or None, initial={"position": topic_next_position(tenant=tenant)})
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                topic = expert_services.topic_create(actor=request.user, **form.cleaned_data)
            except ApplicationError as exc:
                form.add_error("name", exc.message)
            else:
                messages.success(request, _("The topic “%(name)s” was added.") % {"name": topic.name})
                return redirect("portal_admin:topics", slug=tenant.slug)
    context = {"tenant": tenant, "form": form, "topics": topic_list_with_counts(tenant=tenant)}
    return render(request, "portal_admin/topics.html", context, status=status)


def _topic(request: PortalRequest, topic_id: uuid.UUID) -> Topic:
    try:
        return access_topic(actor=request.user, topic_id=topic_id)
    except NotFound:
        raise Http404 from None


@portal_view(role=ADMIN)
@require_http_methods(["GET", "POST"])
def topic_edit_view(request: PortalRequest, tenant: Tenant, topic_id: uuid.UUID) -> HttpResponse:
    topic = _topic(request, topic_id)
    form = TopicForm(request.POST or None, initial={"name": topic.name, "position": topic.position})
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                expert_services.topic_update(actor=request.user, topic=topic, **form.cleaned_data)
            except ApplicationError as exc:
                form.add_error("name", exc.message)
            else:
                messages.success(request, _("The topic was saved."))
                return redirect("portal_admin:topics", slug=tenant.slug)
            topic.refresh_from_db()
    return render(request, "portal_admin/topic_edit.html", {"tenant": tenant, "topic": topic, "form": form}, status=status)


@portal_view(role=ADMIN)
@require_POST
def topic_delete_view(request: PortalRequest, tenant: Tenant, topic_id: uuid.UUID) -> HttpResponse:
    topic = _topic(request, topic_id)
    name = topic.name
    expert_services.topic_delete(actor=request.user, topic=topic)
    messages.success(request, _("The topic “%(name)s” was deleted.") % {"name": name})
    return redirect("portal_admin:topics", slug=tenant.slug)


def _expert_profile(request: PortalRequest, user_id: uuid.UUID) -> ExpertProfile:
    try:
        return access_member_expert_profile(actor=request.user, user_id=user_id)
    except NotFound:
        raise Http404 from None


@portal_view(role=ADMIN)
@require_http_methods(["GET", "POST"])
def expert_widget_view(request: PortalRequest, tenant: Tenant, user_id: uuid.UUID) -> HttpResponse:
    """Which topics an expert serves and on which pages of the website they are offered."""
    profile = _expert_profile(request, user_id)
    initial = {"topics": list(profile.topics.all()), "page_include": profile.page_include, "page_exclude": profile.page_exclude}
    form = ExpertWidgetForm(request.POST or None, initial=initial, tenant=tenant)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                expert_services.expert_widget_update(actor=request.user, profile=profile, **form.cleaned_data)
            except ApplicationError as exc:
                form.add_error(None, exc.message)
            else:
                messages.success(request, _("The settings of %(name)s were saved.") % {"name": profile.user.name})
                return redirect("portal_admin:members", slug=tenant.slug)
    context = {
        "tenant": tenant,
        "profile": profile,
        "member": profile.user,
        "form": form,
        "has_topics": topic_list(tenant=tenant).exists(),
    }
    return render(request, "portal_admin/expert_widget.html", context, status=status)
