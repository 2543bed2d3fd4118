"""The call socket: relays signalling between the two participants of one conversation (P05).

Nothing is written: joining reads who may take part, everything else is forwarded between the two sockets through
the channel layer and never logged (descriptions and candidates carry IP addresses). Protocol:
docs/decisions/0006-calls.md. The one exception: when a connected call ends, the expert's socket adds 1 to an anonymous
daily counter (duration bucket, audio/video; parley.stats, P10) in one thread hop per call, never per frame.
"""

import asyncio
import uuid
from typing import Any

from channels.db import database_sync_to_async

from parley.calls.services import ice_servers, is_relay_candidate, sdp_without_direct_candidates
from parley.core.exceptions import ApplicationError, NotFound
from parley.core.ratelimit import rate_limit
from parley.interactions.selectors import access_interaction, access_visitor_interaction
from parley.realtime.consumers import JsonConsumer
from parley.stats.services import CallTally, call_tally_end
from parley.tenants.selectors import tenant_get_by_slug

JOIN_TIMEOUT = 10
RELAYED = {"description", "candidate", "media", "leave"}


def call_group(interaction_id: uuid.UUID) -> str:
    return f"call.{interaction_id.hex}"


def call_join(*, slug: str, interaction_id: uuid.UUID, token: Any, user: Any, client: str) -> tuple[str, bool]:
    """The caller's role in this conversation's call and whether the customer must be relayed; raises otherwise."""
    tenant = tenant_get_by_slug(slug=slug)
    if isinstance(token, str) and token:
        rate_limit(scope="call-join", key=client, limit=60, window=60)
        interaction = access_visitor_interaction(tenant=tenant, token=token)
        role = "customer"
    elif user is not None and user.is_authenticated and user.is_active and user.tenant_id == tenant.id:
        interaction = access_interaction(actor=user, interaction_id=interaction_id)
        if interaction.expert_id != user.id:  # admins look on in the chat; they are not in the call
            raise NotFound("No such call.")
        role = "expert"
    else:
        raise NotFound("No such call.")
    if interaction.id != interaction_id:
        raise NotFound("No such call.")
    if not tenant.calls_enabled:
        raise ApplicationError("Calls are switched off.", {"code": "calls_off"})
    return role, tenant.calls_relay_only


class CallConsumer(JsonConsumer):
    frames_per_minute = 600  # candidates come in bursts

    async def connect(self) -> None:
        kwargs = self.scope["url_route"]["kwargs"]
        self.slug = kwargs["slug"]
        self.interaction_id: uuid.UUID = kwargs["interaction_id"]
        self.role = ""
        self.relay_only = False
        self.call_tally = CallTally()  # in memory: counted once at the end (P10), the only write of a call
        await self.accept()
        self._join_timer = asyncio.get_running_loop().call_later(JOIN_TIMEOUT, self._join_timeout)

    def _join_timeout(self) -> None:
        if not self.role:
            asyncio.ensure_future(self.close(4408))

    async def receive_json(self, content: dict[str, Any], **kwargs: Any) -> None:
        kind = content["type"]
        if not self.role:
            if kind != "join":
                await self.error("Join first.")
                return
            await self.join(content)
            return
        if kind == "ping":
            await self.send_json({"type": "pong", "t": content.get("t")})
            return
        if kind not in RELAYED:
            await self.error("Unknown frame type.")
            return
        frame = self.checked(content)
        if frame is None:
            return
        await self.to_peer(frame)
        if self.call_tally.seen(frame):
            await call_tally_end(self)

    async def join(self, content: dict[str, Any]) -> None:
        try:
            self.role, self.relay_only = await database_sync_to_async(call_join)(
                slug=self.slug,
                interaction_id=self.interaction_id,
                token=content.get("token"),
                user=self.scope.get("user"),
                client=self.client_address(),
            )
        except ApplicationError as exc:
            await self.error(exc.message, code=exc.status)
            await self.close(4403)
            return
        self._join_timer.cancel()
        group = call_group(self.interaction_id)
        self.groups.append(group)
        await self.channel_layer.group_add(group, self.channel_name)
        relayed = self.role == "customer" and self.relay_only
        await self.send_json(
            {
                "type": "joined",
                "role": self.role,
                "polite": self.role == "customer",
                "iceServers": ice_servers(),
                "iceTransportPolicy": "relay" if relayed else "all",
            }
        )
        # A reload rejoins: an older socket of the same side steps down.
        await self.channel_layer.group_send(group, {"type": "call.replace", "role": self.role, "channel": self.channel_name})
        await self.to_peer({"type": "peer-joined"})

    def checked(self, content: dict[str, Any]) -> dict[str, Any] | None:
        kind = content["type"]
        if kind == "description":
            description = content.get("description")
            if not isinstance(description, dict) or description.get("type") not in ("offer", "answer", "rollback"):
                return None
            sdp = description.get("sdp", "")
            if not isinstance(sdp, str):
                return None
            if self.role == "customer" and self.relay_only:
                sdp = sdp_without_direct_candidates(sdp)
            return {"type": "description", "description": {"type": description["type"], "sdp": sdp}}
        if kind == "candidate":
            candidate = content.get("candidate")
            if candidate is None:
                return {"type": "candidate", "candidate": None}
            if not isinstance(candidate, dict) or not isinstance(candidate.get("candidate", ""), str):
                return None
            if (
                self.role == "customer"
                and self.relay_only
                and candidate.get("candidate")
                and not is_relay_candidate(candidate["candidate"])
            ):
                return None  # P05: the customer's own addresses never reach the expert
            allowed = {k: candidate[k] for k in ("candidate", "sdpMid", "sdpMLineIndex", "usernameFragment") if k in candidate}
            return {"type": "candidate", "candidate": allowed}
        if kind == "media":
            return {"type": "media", **{k: bool(content.get(k)) for k in ("audio", "video", "screen")}}
        return {"type": "leave"}

    async def to_peer(self, frame: dict[str, Any]) -> None:
        event = {"type": "call.relay", "frame": frame, "role": self.role, "channel": self.channel_name}
        await self.channel_layer.group_send(call_group(self.interaction_id), event)

    async def call_relay(self, event: dict[str, Any]) -> None:
        if event["channel"] == self.channel_name or event["role"] == self.role:
            return
        await self.send_json(event["frame"])
        if self.call_tally.seen(event["frame"]):
            await call_tally_end(self)
        if event["frame"]["type"] == "peer-joined" and not event["frame"].get("reply"):
            await self.to_peer({"type": "peer-joined", "reply": True})  # so a late joiner learns of us

    async def call_replace(self, event: dict[str, Any]) -> None:
        if event["role"] == self.role and event["channel"] != self.channel_name:
            self.role = ""  # stepped down: relay nothing more
            await self.close(4409)

    async def websocket_disconnect(self, message: dict[str, Any]) -> None:
        if self.role:
            await self.to_peer({"type": "peer-left", "reason": "closed"})
        await call_tally_end(self)
        await super().websocket_disconnect(message)
