"""WebSockets of a conversation: the visitor's (token in the first frame) and the portal's (session cookie).

Thin async shells over the sync functions below; each ORM touch is one `database_sync_to_async` hop. Group events
(`ix.event`, `inbox.event`) are forwarded as they are, without a hop. Protocol: docs/decisions/0004-live-advisory.md.
"""

import asyncio
import uuid
from typing import Any

from channels.db import database_sync_to_async

from parley.core.exceptions import ApplicationError
from parley.core.ratelimit import rate_limit
from parley.holds.selectors import visible_interactions
from parley.interactions import events, services
from parley.interactions.models import Interaction, Side
from parley.interactions.selectors import (
    access_interaction,
    access_visitor_interaction,
    conversation_dict,
    message_dict,
    message_list,
)
from parley.realtime import services as presence
from parley.realtime.consumers import JsonConsumer
from parley.tenants.models import Membership
from parley.tenants.selectors import tenant_get_by_slug

HELLO_TIMEOUT = 10  # seconds a visitor socket may stay open without saying who it is
MAX_OPEN = 20  # conversations one portal socket may follow at once


def _int(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else 0


def _uuid(value: Any) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None


def _backlog(interaction: Interaction, after: int) -> list[dict[str, Any]]:
    return [{"type": "message", "message": message_dict(m)} for m in message_list(interaction=interaction, after=after)]


# --- sync core: visitor ---------------------------------------------------------------------------------------


def visitor_hello(*, slug: str, token: Any, channel_name: str, client: str) -> tuple[uuid.UUID, uuid.UUID]:
    tenant = tenant_get_by_slug(slug=slug)
    rate_limit(scope="widget-hello", key=client, limit=60, window=60)
    interaction = access_visitor_interaction(tenant=tenant, token=token if isinstance(token, str) else "")
    presence.presence_join(channel_name=channel_name, tenant_id=tenant.id, interaction_id=interaction.id)
    return tenant.id, interaction.id


def visitor_ready(*, interaction_id: uuid.UUID, after: int) -> list[dict[str, Any]]:
    interaction = _interaction(interaction_id)
    return [_ready(interaction), *_backlog(interaction, after)]


def _ready(interaction: Interaction) -> dict[str, Any]:
    return {"type": "ready", "interaction_id": str(interaction.id), "conversation": conversation_dict(interaction)}


def _interaction(interaction_id: uuid.UUID) -> Interaction:
    # P26: a conversation placed under a legal hold while the visitor is connected is gone for them (DoesNotExist).
    return visible_interactions(Interaction.objects.select_related("expert", "tenant")).get(id=interaction_id)


def visitor_message(*, interaction_id: uuid.UUID, body: Any) -> None:
    services.message_post(interaction=_interaction(interaction_id), sender=Side.CUSTOMER, body=body)


def visitor_seen(*, interaction_id: uuid.UUID, delivered: int, read: int) -> None:
    services.receipts_update(interaction=_interaction(interaction_id), side=Side.CUSTOMER, delivered=delivered, read=read)


def backlog(*, interaction_id: uuid.UUID, after: int) -> list[dict[str, Any]]:
    return _backlog(_interaction(interaction_id), after)


# --- sync core: portal ----------------------------------------------------------------------------------------


def portal_hello(*, user: Any, slug: str, channel_name: str) -> tuple[uuid.UUID, str] | None:
    """The member's tenant id and role when `user` may use this tenant's portal socket, else None."""
    if user is None or not user.is_authenticated or not user.is_active:
        return None
    membership = Membership.objects.filter(user_id=user.id).select_related("tenant").first()
    if membership is None or membership.tenant.slug != slug:
        return None
    if membership.tenant.require_two_factor:
        from parley.accounts.services import has_confirmed_totp

        if not has_confirmed_totp(user):
            return None
    presence.presence_join(channel_name=channel_name, tenant_id=membership.tenant_id, user_id=user.id)
    return membership.tenant_id, membership.role


CALL_ACTIONS = {"ring", "accept", "decline", "cancel", "waiting"}


def _call_frame(content: dict[str, Any], sender: str, interaction: Interaction) -> dict[str, Any]:
    if not interaction.tenant.calls_enabled:
        raise ApplicationError("Calls are switched off.", {"code": "calls_off"})
    action, media = content.get("action"), content.get("media", "video")
    if action not in CALL_ACTIONS or media not in ("audio", "video"):
        raise ApplicationError("A call frame needs an action and media audio or video.")
    frame = {"type": "call", "action": action, "media": media, "sender": sender, "interaction_id": str(interaction.id)}
    if sender == Side.CUSTOMER:
        frame["customer_name"] = interaction.customer_name
    return frame


def visitor_call(*, interaction_id: uuid.UUID, content: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """A ring (or answer) from the visitor goes to every portal tab of the conversation's expert."""
    interaction = _interaction(interaction_id)
    if interaction.expert_id is None:
        raise ApplicationError("Nobody to call in this conversation.")
    return events.user_group(interaction.tenant_id, interaction.expert_id), _call_frame(content, Side.CUSTOMER, interaction)


def portal_call(*, user: Any, interaction_id: uuid.UUID, content: dict[str, Any]) -> dict[str, Any]:
    interaction = access_interaction(actor=user, interaction_id=interaction_id)
    if interaction.expert_id != user.id:
        raise ApplicationError("Only the expert of this conversation calls in it.")
    return _call_frame(content, Side.EXPERT, interaction)


def portal_open(*, user: Any, interaction_id: uuid.UUID, after: int) -> list[dict[str, Any]]:
    interaction = access_interaction(actor=user, interaction_id=interaction_id)
    return [_ready(interaction), *_backlog(interaction, after)]


def portal_message(*, user: Any, interaction_id: uuid.UUID, body: Any) -> None:
    interaction = access_interaction(actor=user, interaction_id=interaction_id)
    if interaction.expert_id != user.id:
        raise ApplicationError("Only the expert of this conversation writes in it.")
    services.message_post(interaction=interaction, sender=Side.EXPERT, author=user, body=body)


def portal_seen(*, user: Any, interaction_id: uuid.UUID, delivered: int, read: int) -> None:
    interaction = access_interaction(actor=user, interaction_id=interaction_id)
    if interaction.expert_id == user.id:  # an admin looking on does not mark the expert's messages read
        services.receipts_update(interaction=interaction, side=Side.EXPERT, delivered=delivered, read=read)


def portal_backlog(*, user: Any, interaction_id: uuid.UUID, after: int) -> list[dict[str, Any]]:
    return _backlog(access_interaction(actor=user, interaction_id=interaction_id), after)


# --- consumers ------------------------------------------------------------------------------------------------


class ConversationConsumer(JsonConsumer):
    """What both sides share: forwarding conversation events and typing."""

    side = ""

    async def ix_event(self, event: dict[str, Any]) -> None:
        if event.get("skip") == self.channel_name:
            return
        await self.send_json(event["frame"])
        if event["frame"].get("type") == "deleted":
            await self.on_deleted(event["frame"].get("interaction_id"))

    async def on_deleted(self, interaction_id: str | None) -> None:
        pass

    async def ix_revoke(self, event: dict[str, Any]) -> None:
        pass

    async def ix_call(self, event: dict[str, Any]) -> None:
        """Call frames from the expert are for the visitor only (admins looking on do not ring)."""

    async def typing(self, interaction_id: uuid.UUID) -> None:
        frame = {"type": "typing", "sender": self.side, "interaction_id": str(interaction_id)}
        await self.channel_layer.group_send(
            events.conversation_group(interaction_id), {"type": "ix.event", "frame": frame, "skip": self.channel_name}
        )

    async def send_frames(self, frames: list[dict[str, Any]]) -> None:
        for frame in frames:
            await self.send_json(frame)

    async def websocket_disconnect(self, message: dict[str, Any]) -> None:
        await database_sync_to_async(presence.presence_leave)(channel_name=self.channel_name)
        await super().websocket_disconnect(message)


class WidgetConsumer(ConversationConsumer):
    side = Side.CUSTOMER
    frames_per_minute = 90

    async def connect(self) -> None:
        self.slug = self.scope["url_route"]["kwargs"]["slug"]
        self.interaction_id: uuid.UUID | None = None
        await self.accept()
        self._hello_timer = asyncio.get_running_loop().call_later(HELLO_TIMEOUT, self._hello_timeout)

    def _hello_timeout(self) -> None:
        if self.interaction_id is None:
            asyncio.ensure_future(self.close(4408))

    async def receive_json(self, content: dict[str, Any], **kwargs: Any) -> None:
        kind = content["type"]
        if self.interaction_id is None:
            if kind != "hello":
                await self.error("Say hello first.")
                return
            try:
                _tenant_id, interaction_id = await database_sync_to_async(visitor_hello)(
                    slug=self.slug, token=content.get("token"), channel_name=self.channel_name, client=self.client_address()
                )
            except ApplicationError as exc:
                await self.error(exc.message, code=exc.status)
                await self.close(4401)
                return
            self._hello_timer.cancel()
            self.interaction_id = interaction_id
            self.groups.append(events.conversation_group(interaction_id))  # left on disconnect
            await self.channel_layer.group_add(events.conversation_group(interaction_id), self.channel_name)
            # Joined before reading the backlog: a message committed in between arrives twice, never not at all.
            await self.send_frames(
                await database_sync_to_async(visitor_ready)(interaction_id=interaction_id, after=_int(content.get("after")))
            )
            return
        try:
            if kind == "message":
                await database_sync_to_async(visitor_message)(interaction_id=self.interaction_id, body=content.get("body"))
            elif kind == "typing":
                await self.typing(self.interaction_id)
            elif kind == "call":
                group, frame = await database_sync_to_async(visitor_call)(interaction_id=self.interaction_id, content=content)
                await self.channel_layer.group_send(group, {"type": "inbox.event", "frame": frame})
            elif kind == "seen":
                await database_sync_to_async(visitor_seen)(
                    interaction_id=self.interaction_id, delivered=_int(content.get("delivered")), read=_int(content.get("read"))
                )
            elif kind == "resume":
                await self.send_frames(
                    await database_sync_to_async(backlog)(interaction_id=self.interaction_id, after=_int(content.get("after")))
                )
            elif kind == "ping":
                await database_sync_to_async(presence.presence_beat)(channel_name=self.channel_name)
                await self.send_json({"type": "pong"})
            else:
                await self.error("Unknown frame type.")
        except Interaction.DoesNotExist:
            await self.send_json({"type": "deleted", "interaction_id": str(self.interaction_id)})
            await self.close(4404)
        except ApplicationError as exc:
            await self.error(exc.message, code=exc.status)

    async def on_deleted(self, interaction_id: str | None) -> None:
        await self.close(4404)

    async def ix_call(self, event: dict[str, Any]) -> None:
        await self.send_json(event["frame"])


class PortalConsumer(ConversationConsumer):
    side = Side.EXPERT

    async def connect(self) -> None:
        slug = self.scope["url_route"]["kwargs"]["slug"]
        self.user = self.scope.get("user")
        self.open: set[uuid.UUID] = set()
        member = await database_sync_to_async(portal_hello)(user=self.user, slug=slug, channel_name=self.channel_name)
        if member is None:
            # Accept, then close with a reason: a refused handshake is a console error on every portal page, and
            # the page's script stops retrying on 4403.
            await self.accept()
            await self.close(4403)
            return
        tenant_id, role = member
        self.role = role
        self.groups.append(events.user_group(tenant_id, self.user.id))
        if role == Membership.Role.ADMIN:
            self.groups.append(events.admins_group(tenant_id))
        for group in self.groups:
            await self.channel_layer.group_add(group, self.channel_name)
        await self.accept()

    async def websocket_disconnect(self, message: dict[str, Any]) -> None:
        for interaction_id in self.open:
            await self.channel_layer.group_discard(events.conversation_group(interaction_id), self.channel_name)
        await super().websocket_disconnect(message)

    async def ix_revoke(self, event: dict[str, Any]) -> None:
        """Transferred away from this expert: stop following it (admins keep seeing everything)."""
        key = _uuid(event.get("interaction_id"))
        if self.role == Membership.Role.ADMIN or str(self.user.id) != event.get("user_id") or key not in self.open:
            return
        self.open.discard(key)
        await self.channel_layer.group_discard(events.conversation_group(key), self.channel_name)
        await self.send_json({"type": "access_lost", "interaction_id": str(key)})

    async def inbox_event(self, event: dict[str, Any]) -> None:
        await self.send_json(event["frame"])

    async def on_deleted(self, interaction_id: str | None) -> None:
        key = _uuid(interaction_id)
        if key in self.open:
            self.open.discard(key)
            await self.channel_layer.group_discard(events.conversation_group(key), self.channel_name)

    async def receive_json(self, content: dict[str, Any], **kwargs: Any) -> None:
        kind = content["type"]
        if kind == "ping":
            await database_sync_to_async(presence.presence_beat)(channel_name=self.channel_name)
            await self.send_json({"type": "pong"})
            return
        interaction_id = _uuid(content.get("interaction_id"))
        if interaction_id is None:
            await self.error("Name the conversation: interaction_id.")
            return
        try:
            if kind == "open":
                if interaction_id not in self.open and len(self.open) >= MAX_OPEN:
                    await self.error("Too many conversations open on this connection.")
                    return
                group = events.conversation_group(interaction_id)
                await self.channel_layer.group_add(group, self.channel_name)
                try:
                    frames = await database_sync_to_async(portal_open)(
                        user=self.user, interaction_id=interaction_id, after=_int(content.get("after"))
                    )
                except ApplicationError:
                    await self.channel_layer.group_discard(group, self.channel_name)
                    raise
                self.open.add(interaction_id)
                await self.send_frames(frames)
            elif interaction_id not in self.open:
                await self.error("Open the conversation first.", interaction_id=str(interaction_id))
            elif kind == "close_view":
                self.open.discard(interaction_id)
                await self.channel_layer.group_discard(events.conversation_group(interaction_id), self.channel_name)
            elif kind == "message":
                await database_sync_to_async(portal_message)(
                    user=self.user, interaction_id=interaction_id, body=content.get("body")
                )
            elif kind == "typing":
                await self.typing(interaction_id)
            elif kind == "call":
                frame = await database_sync_to_async(portal_call)(user=self.user, interaction_id=interaction_id, content=content)
                await self.channel_layer.group_send(
                    events.conversation_group(interaction_id), {"type": "ix.call", "frame": frame}
                )
            elif kind == "seen":
                await database_sync_to_async(portal_seen)(
                    user=self.user,
                    interaction_id=interaction_id,
                    delivered=_int(content.get("delivered")),
                    read=_int(content.get("read")),
                )
            elif kind == "resume":
                frames = await database_sync_to_async(portal_backlog)(
                    user=self.user, interaction_id=interaction_id, after=_int(content.get("after"))
                )
                await self.send_frames(frames)
            else:
                await self.error("Unknown frame type.")
        except ApplicationError as exc:
            await self.error(exc.message, code=exc.status, interaction_id=str(interaction_id))
