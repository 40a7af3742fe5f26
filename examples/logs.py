"""App logs and analytics: usage charts, all-time totals, and the log of chats with their counters.

Charts and totals are served by FastGPT's commercial (Pro) plugin; an open-source server answers them
with 404, which the SDK raises as `NotFoundError`. The chat log is open source (FastGPT >= 4.14.4).

Run it with `python -m examples.logs`.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from fastgpt_oapi import Client, NotFoundError
from fastgpt_oapi.api.app_logs.model import (
    ChartDataResponse,
    GetChartDataRequest,
    GetTotalDataRequest,
    ListLogsRequest,
)
from fastgpt_oapi.api.chat.model import ChatCompletionRequest, ChatMessage
from fastgpt_oapi.api.chat_history.model import UpdateFeedbackRequest

from ._connect import connect, heading


def make_traffic(client: Client) -> None:
    """A few chats, one of them liked, so the charts have something to count."""
    questions = ("Who directed Suzume?", "What is FastGPT?", "How do I stream?")
    for n, question in enumerate(questions):
        # custom_uid is the end user as your logs should show them.
        request = ChatCompletionRequest(messages=[ChatMessage.user(question)], custom_uid=f"user-{n % 2}")
        response = client.chat.chat(request)
    client.chat_history.update_feedback(UpdateFeedbackRequest.like(response.chat_id, response.data_id))


def show(charts: ChartDataResponse) -> None:
    for user_point in charts.user_data:
        users = user_point.summary
        print(f"  {user_point.time:%Y-%m-%d} users={users.user_count} new={users.new_user_count}")
        print(f"             by source={users.source_count_map}")
    for chat_point in charts.chat_data:
        chats = chat_point.summary
        print(f"  {chat_point.time:%Y-%m-%d} chats={chats.chat_count} messages={chats.chat_item_count}")
    for app_point in charts.app_data:
        app = app_point.summary
        print(
            f"  {app_point.time:%Y-%m-%d} likes={app.good_feed_back_count} dislikes={app.bad_feed_back_count}"
        )
        print(f"             average response time={app.average_response_time}s")


def main() -> None:
    with connect() as target:
        client = target.client
        logs = client.app_logs
        print(f"app logs against {target.where}")
        make_traffic(client)
        end = datetime.now(timezone.utc) + timedelta(minutes=1)
        start = end - timedelta(days=7)

        heading("Charts for the last 7 days, per day")
        try:
            charts = logs.get_chart_data(
                GetChartDataRequest(date_start=start, date_end=end, user_timespan="day")
            )
            show(charts)

            heading("All-time totals")
            totals = logs.get_total_data(GetTotalDataRequest())
            print(f"  users={totals.total_users} chats={totals.total_chats} points={totals.total_points}")
        except NotFoundError:
            print("  (this server has no Pro analytics)")

        heading("The chat log, one page")
        page = logs.list_logs(ListLogsRequest(date_start=start, date_end=end, page_size=2))
        print(f"  {page.total} chat(s) logged; first page:")
        for item in page.list:
            print(
                f"  {item.chat_id} {item.display_title!r} messages={item.message_count} likes={item.user_good_feedback_count}"
            )

        heading("Every logged chat, fetched two at a time")
        for item in logs.iter_logs(ListLogsRequest(date_start=start, date_end=end, page_size=2)):
            print(
                f"  {item.chat_id} source={item.source} user={item.out_link_uid} points={item.total_points}"
            )


if __name__ == "__main__":
    main()
