import uuid

from django.http import HttpRequest
from ninja import Router, Schema

from parley.experts.selectors import expert_list_public
from parley.tenants.selectors import tenant_get_by_slug

router = Router(tags=["experts"])


class ExpertOut(Schema):
    id: uuid.UUID
    name: str
    description: str
    languages: list[str]
    status: str
    has_photo: bool


class ExpertListOut(Schema):
    tenant: str
    experts: list[ExpertOut]


@router.get("/tenants/{slug}/experts/", response=ExpertListOut, auth=None, summary="Experts an end customer can choose")
def expert_list_api(request: HttpRequest, slug: str) -> dict:
    """Public: what the customer web app shows before anyone has said who they are. Active experts only."""
    tenant = tenant_get_by_slug(slug=slug)
    experts = [
        {
            "id": profile.id,
            "name": profile.user.name,
            "description": profile.description or "",
            "languages": profile.languages or [],
            "status": profile.status,
            "has_photo": profile.photo_id is not None,
        }
        for profile in expert_list_public(tenant=tenant)
    ]
    return {"tenant": tenant.slug, "experts": experts}
