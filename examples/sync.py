"""Blocking chat: ask, read the answer, continue the same conversation, look at the workflow's detail.

Run it with `python -m examples.sync`.
"""

from __future__ import annotations

from fastgpt_oapi import RequestOption
from fastgpt_oapi.api.chat.model import ChatCompletionRequest, ChatMessage, TextPart

from ._connect import connect, heading


def main() -> None:
    with connect() as target:
        client = target.client
        print(f"blocking chat against {target.where}")

        heading("One question, one answer")
        # A request is a Pydantic model: build it with keywords...
        request = ChatCompletionRequest(messages=[ChatMessage.user("Who directed Suzume?")])
        response = client.chat.chat(request)
        print(f"answer:  {response.answer}")
        # Without a chat_id the SDK made one up, so the conversation can go on.
        print(f"chat_id: {response.chat_id}")
        print(f"data_id: {response.data_id}  (the stored AI record)")

        heading("The same conversation, continued")
        # ...or with its builder. With a chat_id, send only the new message: FastGPT keeps the history.
        follow_up = (
            ChatCompletionRequest.builder()
            .chat_id(response.chat_id)
            .messages([ChatMessage.user([TextPart(text="And when was it released?")])])
            .build()
        )
        again = client.chat.chat(follow_up)
        print(f"answer:  {again.answer}")
        print(f"same chat: {again.chat_id == response.chat_id}")

        heading("Detail mode: what each workflow node did")
        request = ChatCompletionRequest(
            messages=[ChatMessage.user("Shanghai")],
            app_id=target.app("workflow"),  # another app than the client's default
            variables={"unit": "celsius"},
            detail=True,
        )
        # Per-call overrides: a shorter read timeout for this call only.
        detailed = client.chat.chat(request, RequestOption.builder().timeout(60.0).build())
        print(f"answer: {detailed.answer}")
        for node in detailed.response_data:
            print(f"  node {node.module_type:<18} {node.running_time}s  points={node.total_points}")
            for child in node.children:
                print(f"    child {child.module_type} ({child.module_name})")
        print(f"variables after the run: {detailed.new_variables}")
        print(f"title: {detailed.title!r}")
        if detailed.error is not None:
            print(f"the last node failed: {detailed.error}")


if __name__ == "__main__":
    main()
