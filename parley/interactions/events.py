"""The realtime events of a conversation, sent after commit (see parley/realtime/publish.py).

Layer messages are `{"type": "ix.event", "frame": {...}}` for the conversation's sockets and `{"type":
"inbox.event", "frame": {...}}` for the portal inboxes; consumers forward the frame as it is, touching no database.
"""

import uuid
from typing import Any

from parley.interactions.models import Interaction, Message
from parley.realtime.publish import publish_after_commit


def conversation_group(interaction_id: uuid.UUID) -> str:
    return f"ix.{interaction_id.hex}"


def user_group(tenant_id: uuid.UUID, user_id: uuid.UUID) -> str:
    return f"inbox.{tenant_id.hex}.{user_id.hex}"


def admins_group(tenant_id: uuid.UUID) -> str:
    return f"inbox.{tenant_id.hex}.admins"


def _to_conversation(interaction: Interaction, frame: dict[str, Any], skip: str = "") -> None:
    frame = {**frame, "interaction_id": str(interaction.id)}
    publish_after_commit(conversation_group(interaction.id), {"type": "ix.event", "frame": frame, "skip": skip})


def _to_inboxes(interaction: Interaction, frame: dict[str, Any], user_ids: list[uuid.UUID]) -> None:
    event = {"type": "inbox.event", "frame": frame}
    for user_id in user_ids:
        publish_after_commit(user_group(interaction.tenant_id, user_id), event)
    publish_after_commit(admins_group(interaction.tenant_id), event)


def message(interaction: Interaction, msg: Message) -> None:
    from parley.interactions.selectors import message_dict

    _to_conversation(interaction, {"type": "message", "message": message_dict(msg)})


def conversation(interaction: Interaction) -> None:
    from parley.interactions.selectors import conversation_dict

    _to_conversation(interaction, {"type": "conversation", "conversation": conversation_dict(interaction)})


def receipt(interaction: Interaction, side: str, delivered: int, read: int) -> None:
    _to_conversation(interaction, {"type": "receipt", "side": side, "delivered": delivered, "read": read})


def deleted(interaction: Interaction) -> None:
    _to_conversation(interaction, {"type": "deleted"})
    _to_inboxes(
        interaction,
        {"type": "inbox_removed", "id": str(interaction.id)},
        [interaction.expert_id] if interaction.expert_id else [],
    )


def inbox(interaction: Interaction, unread: int) -> None:
    from parley.interactions.selectors import inbox_row

    users = [interaction.expert_id] if interaction.expert_id else []
    _to_inboxes(interaction, {"type": "inbox", "interaction": inbox_row(interaction, unread)}, users)


def inbox_removed(interaction: Interaction, user_id: uuid.UUID) -> None:
    publish_after_commit(
        user_group(interaction.tenant_id, user_id),
        {"type": "inbox.event", "frame": {"type": "inbox_removed", "id": str(interaction.id)}},
    )


def access_revoked(interaction: Interaction, user_id: uuid.UUID) -> None:
    """After a transfer the previous expert's open sockets must stop receiving this conversation."""
    event = {"type": "ix.revoke", "user_id": str(user_id), "interaction_id": str(interaction.id)}
    publish_after_commit(conversation_group(interaction.id), event)
