"""A scripted OpenAI-compatible HTTP server on 127.0.0.1 for tests: no network, no paid API.

It serves ``POST /v1/chat/completions`` with the scripted :class:`Reply` objects in order (one per
request, retries included), and records every request it received::

    with ScriptedServer([Reply(status=429, headers={"Retry-After": "2"}), Reply(content="hi")]) as server:
        cfg = LLMConfig(provider="openai", model="m", base_url=server.base_url)
        ...
        server.requests[0]["json"]["messages"]     # what the client sent

An item of the script may also be a function of the request's JSON body returning a :class:`Reply`
(answer by what was asked). A request after the script ran out gets ``default`` when one is given,
else HTTP 400 ``no scripted reply left`` (so a client does not retry it). Reusable by any test
(``from llm._server import Reply, ScriptedServer``).
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

__all__ = ["Reply", "ScriptedServer"]


@dataclass(frozen=True)
class Reply:
    """One scripted response.

    Attributes
    ----------
    content:
        The assistant message's text (ignored when ``tool_args`` or ``body`` is given).
    status:
        HTTP status; not 200 sends an OpenAI-style error body (``error_message``, ``error_code``).
    usage:
        ``(prompt_tokens, completion_tokens)`` for the ``usage`` field; ``None`` leaves it out.
    headers:
        Extra response headers (``{"Retry-After": "2"}``).
    delay_s:
        Wait before answering (a client with a shorter timeout gives up: a timeout).
    finish_reason:
        ``"stop"``, ``"length"``, ``"content_filter"``, ...
    tool_args:
        Answer with one tool call with these arguments (the function name is the request's first tool).
    body:
        A raw JSON body sent as is (overrides everything above but ``status``, ``headers``, ``delay_s``).
    """

    content: str | None = "ok"
    status: int = 200
    usage: tuple[int, int] | None = (10, 5)
    headers: dict[str, str] = field(default_factory=dict)
    delay_s: float = 0.0
    finish_reason: str = "stop"
    tool_args: dict[str, Any] | None = None
    body: dict[str, Any] | None = None
    model: str = "scripted-model"
    error_message: str = "scripted error"
    error_code: str | None = None

    def payload(self, request: dict[str, Any], n: int) -> dict[str, Any]:
        """The JSON body for this reply to ``request`` (the ``n``-th request, from 1)."""
        if self.body is not None:
            return self.body
        if self.status != 200:
            return {"error": {"message": self.error_message, "type": "scripted", "code": self.error_code}}
        message: dict[str, Any] = {"role": "assistant", "content": self.content}
        finish = self.finish_reason
        if self.tool_args is not None:
            tools = request.get("tools") or [{"function": {"name": "tool"}}]
            name = tools[0]["function"]["name"]
            message = {
                "role": "assistant",
                "content": None,
                "tool_calls": [
                    {
                        "id": f"call_{n}",
                        "type": "function",
                        "function": {"name": name, "arguments": json.dumps(self.tool_args)},
                    }
                ],
            }
            finish = "tool_calls"
        out: dict[str, Any] = {
            "id": f"chatcmpl-{n}",
            "object": "chat.completion",
            "created": 1700000000,
            "model": self.model,
            "choices": [{"index": 0, "message": message, "finish_reason": finish, "logprobs": None}],
        }
        if self.usage is not None:
            p, c = self.usage
            out["usage"] = {"prompt_tokens": p, "completion_tokens": c, "total_tokens": p + c}
        return out


Script = Callable[[dict[str, Any]], Reply]
"""A scripted item that looks at the request's JSON body (``body["messages"]``, ``body.get("tools")``)."""


class _Handler(BaseHTTPRequestHandler):
    server: _HTTPServer

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class's name
        return  # quiet

    def do_POST(self) -> None:  # noqa: N802 - http.server's name
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            body = json.loads(raw or b"{}")
        except json.JSONDecodeError:
            body = {"_raw": raw.decode("utf-8", "replace")}
        owner = self.server.owner
        with owner.lock:
            owner.requests.append(
                {"path": self.path, "headers": {k.lower(): v for k, v in self.headers.items()}, "json": body}
            )
            n = len(owner.requests)
            item = owner.replies[owner.served] if owner.served < len(owner.replies) else owner.default
            if owner.served < len(owner.replies):
                owner.served += 1
        reply = item(body) if callable(item) else item
        if not self.path.rstrip("/").endswith("/chat/completions"):
            self._send(
                404,
                {"error": {"message": f"ScriptedServer serves /v1/chat/completions, not {self.path}"}},
                {},
            )
            return
        if reply is None:
            msg = f"ScriptedServer: no scripted reply left ({len(owner.replies)} served)"
            self._send(400, {"error": {"message": msg, "type": "scripted", "code": None}}, {})
            return
        if reply.delay_s > 0:
            time.sleep(reply.delay_s)
        self._send(reply.status, reply.payload(body, n), reply.headers)

    def _send(self, status: int, payload: dict[str, Any], headers: dict[str, str]) -> None:
        data = json.dumps(payload).encode()
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            for k, v in headers.items():
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):  # the client timed out and left
            pass


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    owner: ScriptedServer


class ScriptedServer:
    """An OpenAI-compatible chat server on 127.0.0.1 (a free port) answering with ``replies`` in order.

    Attributes
    ----------
    base_url:
        ``http://127.0.0.1:PORT/v1`` once started.
    requests:
        Every request received: ``{"path", "headers" (lower-case names), "json"}``.
    served:
        How many items of the script were used (``default`` replies not counted).
    """

    def __init__(self, replies: list[Reply | Script], *, default: Reply | Script | None = None) -> None:
        self.replies = list(replies)
        self.default = default
        self.requests: list[dict[str, Any]] = []
        self.served = 0
        self.lock = threading.Lock()
        self.base_url = ""
        self._httpd: _HTTPServer | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> str:
        """Start serving in a background thread; returns :attr:`base_url`."""
        httpd = _HTTPServer(("127.0.0.1", 0), _Handler)
        httpd.owner = self
        self._httpd = httpd
        self._thread = threading.Thread(
            target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        self.base_url = f"http://127.0.0.1:{httpd.server_address[1]}/v1"
        return self.base_url

    def stop(self) -> None:
        """Stop serving and close the socket."""
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None

    def __enter__(self) -> ScriptedServer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
