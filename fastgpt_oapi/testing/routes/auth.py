"""The app and chat a request names, refused as FastGPT's `authApp` / `authChat` refuse them: no app
id is the chat-auth error (whether or not the chat exists), a malformed one the schema's 400, an
unknown one `appUnExist`; a chat that is not there (or was deleted) the chat-auth error again.
"""

from __future__ import annotations

from ..state import Chat, State
from ..wire import Params, no_app, no_chat
from .schema import object_id, validate

__all__ = ["require_app", "require_chat"]


def require_app(state: State, params: Params) -> str:
    """The request's `appId`."""
    app_id = params.get("appId")
    if not isinstance(app_id, str) or not app_id:
        raise no_chat()
    validate(params, {"appId": ("required", object_id)})
    if app_id not in state.apps:
        raise no_app()
    return app_id


def require_chat(state: State, params: Params) -> Chat:
    """The live chat `chatId` of the request's app."""
    app_id = require_app(state, params)
    chat = state.chats.get((app_id, str(params.get("chatId", ""))))
    if chat is None or chat.deleted:
        raise no_chat()
    return chat
