"""Conversations: lists of items that responses read and add to (routes in ``routes/conversations.py``).

Items are kept as they are listed (the spec's ``ConversationItem``): checked and shaped by
``routes/conversations.py``, added by its routes and by responses that name the conversation
(``testing/responses.py`` adds a response's input and output items when it finishes).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from airflow_provider_openai_adv.testing.http import not_found
from airflow_provider_openai_adv.testing.state import Store

if TYPE_CHECKING:
    from airflow_provider_openai_adv.testing.state import EmulatorState


def new_item_id(prefix: str) -> str:
    """``conv_…``, ``resp_…``, ``msg_…``, ``fc_…``: OpenAI joins these ids with an underscore."""
    return f"{prefix}_{secrets.token_hex(24)}"


@dataclass
class Conversation:
    id: str
    created_at: int
    metadata: dict[str, str]
    items: list[dict[str, Any]] = field(default_factory=list)  # oldest first

    def body(self) -> dict[str, Any]:
        """The ``conversation`` object."""
        return {"id": self.id, "object": "conversation", "created_at": self.created_at, "metadata": self.metadata}

    def item(self, item_id: str) -> dict[str, Any]:
        """One of its items; OpenAI's 404 when it has none with that id."""
        found = next((item for item in self.items if item["id"] == item_id), None)
        if found is None:
            raise not_found(f"Item with id '{item_id}' not found.", param="item_id")
        return found


class ConversationStore(Store):
    """The emulator's conversations, by id; get it with ``state.store(ConversationStore)``."""

    def __init__(self, state: EmulatorState) -> None:
        super().__init__(state)
        self.conversations: dict[str, Conversation] = {}

    def create(self, metadata: dict[str, str] | None, items: list[dict[str, Any]]) -> Conversation:
        with self.state.lock:
            conversation = Conversation(new_item_id("conv"), self.state.now(), metadata or {}, list(items))
            self.conversations[conversation.id] = conversation
            return conversation

    def existing(self, conversation_id: str, param: str | None = None) -> Conversation:
        """The conversation; OpenAI's 404 when there is none with that id (any more)."""
        conversation = self.conversations.get(conversation_id)
        if conversation is None:
            raise not_found(f"Conversation with id '{conversation_id}' not found.", param=param)
        return conversation

    def delete(self, conversation_id: str) -> None:
        with self.state.lock:
            self.conversations.pop(conversation_id, None)

    def append(self, conversation_id: str, items: list[dict[str, Any]]) -> None:
        """Add ``items`` at the end of a conversation; nothing when it has been deleted meanwhile."""
        with self.state.lock:
            conversation = self.conversations.get(conversation_id)
            if conversation is not None:
                conversation.items.extend(items)

    def remove_item(self, conversation: Conversation, item_id: str) -> None:
        with self.state.lock:
            conversation.items.remove(conversation.item(item_id))
