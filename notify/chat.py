"""Slack and Teams: the message each receives, and the one POST that delivers it.

Slack gets Block Kit blocks (with a plain `text` fallback for notifications); Teams gets
an Adaptive Card in a message attachment, which both Teams incoming webhooks and
Workflows accept. The POST goes through the same outbound-address guard as metric pulls
(metrics.connectors.safety): an internal address is refused unless allow-listed, and the
connection is made to the address that was checked, never resolved twice.
"""

from __future__ import annotations

import ssl

import httpx
from django.conf import settings

from metrics.connectors import ConnectorError
from metrics.connectors.safety import DEFAULT_PORTS, check_url, describe_url
from notify.catalog import TOPICS
from notify.messages import Message
from notify.models import ChannelKind

USER_AGENT = "Pilotgate notifications"


def slack_payload(message: Message, *, topic: str) -> dict:
    body = "\n".join(message.paragraphs)
    blocks = [
        {"type": "header", "text": {"type": "plain_text", "text": message.subject[:150]}},
    ]
    if body:
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": body[:2900]}})
    if message.link:
        blocks.append({
            "type": "actions",
            "elements": [{"type": "button", "url": message.link,
                          "text": {"type": "plain_text", "text": message.link_label}}],
        })  # fmt: skip
    blocks.append({
        "type": "context",
        "elements": [{"type": "mrkdwn", "text": f"Pilotgate · {TOPICS.get(topic, topic)}"}],
    })  # fmt: skip
    return {"text": message.subject, "blocks": blocks}


def teams_payload(message: Message, *, topic: str) -> dict:
    body = [{"type": "TextBlock", "text": message.subject, "weight": "Bolder",
             "size": "Medium", "wrap": True}]  # fmt: skip
    body += [{"type": "TextBlock", "text": line, "wrap": True} for line in message.paragraphs]
    body.append({"type": "TextBlock", "text": f"Pilotgate · {TOPICS.get(topic, topic)}",
                 "isSubtle": True, "size": "Small", "wrap": True})  # fmt: skip
    card = {
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "type": "AdaptiveCard",
        "version": "1.4",
        "body": body,
    }
    if message.link:
        card["actions"] = [{"type": "Action.OpenUrl", "title": message.link_label,
                            "url": message.link}]  # fmt: skip
    return {
        "type": "message",
        "summary": message.subject,
        "attachments": [
            {"contentType": "application/vnd.microsoft.card.adaptive", "content": card}
        ],
    }


def payload_for(kind: str, message: Message, *, topic: str) -> dict:
    if kind == ChannelKind.TEAMS:
        return teams_payload(message, topic=topic)
    return slack_payload(message, topic=topic)


def timeout() -> float:
    return float(getattr(settings, "NOTIFY_CHAT_TIMEOUT", 10))


def post_json(url: str, body: dict) -> int:
    """POST `body` to `url` (vetted, pinned to the checked address, no redirects).
    Returns the status; raises ConnectorError (transient for network trouble, 429, 5xx)."""
    target = check_url(url)
    host_header = target.host if ":" not in target.host else f"[{target.host}]"
    if target.port != DEFAULT_PORTS[target.scheme]:
        host_header = f"{host_header}:{target.port}"
    with httpx.Client(
        timeout=httpx.Timeout(timeout()), follow_redirects=False, trust_env=False,
        verify=ssl.create_default_context(),
    ) as client:  # fmt: skip
        request = client.build_request(
            "POST", httpx.URL(url).copy_with(host=target.ip),
            json=body,
            headers={"Host": host_header, "User-Agent": USER_AGENT},
            extensions={"sni_hostname": target.host},
        )  # fmt: skip
        try:
            response = client.send(request)
        except httpx.TimeoutException as exc:
            raise ConnectorError(
                f"{describe_url(url)} did not answer within {timeout():g} s.", transient=True
            ) from exc
        except httpx.HTTPError as exc:
            raise ConnectorError(
                f"Could not connect to {describe_url(url)} ({type(exc).__name__}).",
                transient=True,
            ) from exc
    status = response.status_code
    if status >= 400:
        transient = status == 429 or status >= 500
        raise ConnectorError(
            f"{describe_url(url)} answered {status}: {response.text[:200]}", transient=transient
        )
    return status
