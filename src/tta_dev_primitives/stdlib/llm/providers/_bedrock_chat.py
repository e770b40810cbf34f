"""`BedrockChatModel`: a ChatModel over `boto3`'s `bedrock-runtime` client, Converse and
ConverseStream APIs (extra `bedrock`).

Credentials are the client's (by default boto3's usual chain: environment, shared config and
credentials files, SSO, instance roles; or a Bedrock API key in `AWS_BEARER_TOKEN_BEDROCK`);
this class never logs or repeats them. boto3 is synchronous: every call runs in a worker thread
(`anyio.to_thread.run_sync`), so the client works on asyncio and trio alike.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Literal, TypedDict, TypeVar

import anyio
import anyio.to_thread

from ....errors import ConfigError
from ..model import ChatMessage, ChatRequest, ChatResponse, ToolCall
from ._base import Decoded, ProviderChatModel, StreamAssembler, arguments_object
from ._streams import ThreadedEvents
from ._errors import malformed_failure, status_failure, transport_failure

if TYPE_CHECKING:
    import boto3
    import botocore.config
    from botocore.eventstream import EventStream as BotocoreEventStream
    from types_boto3_bedrock_runtime import BedrockRuntimeClient
    from types_boto3_bedrock_runtime.type_defs import (
        ConverseResponseTypeDef,
        ConverseStreamOutputTypeDef,
    )

__all__ = ["NO_RETRIES", "BedrockChatModel", "RetrySettings", "bedrock_client", "from_options"]

T = TypeVar("T")



class RetrySettings(TypedDict, total=False):
    """botocore's `Config(retries=...)`."""

    total_max_attempts: int
    max_attempts: int
    mode: Literal["legacy", "standard", "adaptive"]


NO_RETRIES: RetrySettings = {"total_max_attempts": 1, "mode": "standard"}
"""The `retries` of the botocore `Config` a client must be built with: one HTTP request per call.
(botocore's own `max_attempts` counts *retries*: `{"max_attempts": 1}` sends up to two
requests; `total_max_attempts` counts the first one too.)"""

READ_TIMEOUT = 300
"""Seconds `from_options` lets one socket read wait: botocore's default (60) can be shorter
than a long unstreamed reply takes."""

POOL_SIZE = 40
"""Connections `from_options` keeps open: as many as anyio's default worker threads, which
bound how many calls run at once (botocore keeps 10)."""

FINISH_REASONS = {
    "end_turn": "stop",
    "stop_sequence": "stop",
    "tool_use": "tool_calls",
    "max_tokens": "length",
    "model_context_window_exceeded": "length",
    "guardrail_intervened": "content_filter",
    "content_filtered": "content_filter",
}
"""Bedrock's stop reasons in OpenAI's words (ChatResponse.finish_reason); others
(`malformed_model_output`, `malformed_tool_use`) pass as they are."""


def _finish_reason(stop_reason: str | None, *, answered: bool, calls: int) -> str | None:
    if stop_reason == "tool_use" and answered and not calls:
        return "stop"  # structured output through the answer tool: the answer is the reply
    return FINISH_REASONS.get(stop_reason, stop_reason) if stop_reason is not None else None


EMPTY_RESULT = "(no output)"
"""What a tool result with no text is sent as: Converse refuses blank text blocks."""


def _tool_spec(name: str, description: str, schema: object) -> dict[str, Any]:
    spec: dict[str, Any] = {"name": name, "inputSchema": {"json": schema}}
    if description:  # Converse refuses an empty description (at least one character)
        spec["description"] = description
    return {"toolSpec": spec}


def _conversation(messages: tuple[ChatMessage, ...]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The system blocks and the turns, in Converse's shape: tool results are `toolResult`
    blocks of a user turn (`status: "error"` for a failed call), assistant tool calls are
    `toolUse` blocks, and consecutive turns of one role share a message (Converse requires
    the roles to alternate)."""
    system = [{"text": m.content} for m in messages if m.role == "system" and m.content]
    turns: list[dict[str, Any]] = []
    for message in messages:
        blocks: list[dict[str, Any]]
        if message.role == "system":
            continue
        if message.role == "tool":
            result: dict[str, Any] = {"toolUseId": message.tool_call_id or "", "content": [{"text": message.content or EMPTY_RESULT}]}
            if message.is_error:  # the model is told the call failed, not only by the text
                result["status"] = "error"
            role, blocks = "user", [{"toolResult": result}]
        elif message.role == "assistant":
            blocks = [{"text": message.content}] if message.content else []
            blocks += [{"toolUse": {"toolUseId": c.id, "name": c.name, "input": arguments_object(c.arguments)}} for c in message.tool_calls]
            role = "assistant"
        else:
            role, blocks = "user", [{"text": message.content}] if message.content else []
        if not blocks:
            continue  # Converse refuses empty content and blank text blocks
        if turns and turns[-1]["role"] == role:
            turns[-1]["content"].extend(blocks)
        else:
            turns.append({"role": role, "content": blocks})
    return system, turns


def _kind(code: object) -> str | None:
    """An AWS error code as one spelling: `ThrottlingException` whether it came as an HTTP
    error (`x-amzn-errortype`) or inside a stream (`throttlingException`)."""
    return code[:1].upper() + code[1:] if isinstance(code, str) and code else None


class _Events(StreamAssembler["ConverseStreamOutputTypeDef"]):
    """ConverseStream's events folded into a reply: text deltas, `toolUse` blocks (id and name
    at their start, the input in pieces), `messageStop` (the stop reason), then `metadata`
    (usage), the last event of a whole stream."""

    def __init__(self, model: str, answer_tool: str | None) -> None:
        self.model = model
        self.answer_tool = answer_tool
        self.blocks: dict[int, list[str]] = {}  # index -> [kind, id, name, text or JSON]
        self.input_tokens = 0
        self.output_tokens = 0
        self.stop_reason: str | None = None
        self.stopped = False
        self.reported = False

    def feed(self, event: ConverseStreamOutputTypeDef) -> str | None:
        if "contentBlockStart" in event:
            start = event["contentBlockStart"]
            use = start["start"].get("toolUse")
            if use is not None:
                self.blocks[start["contentBlockIndex"]] = ["toolUse", use["toolUseId"], use["name"], ""]
        elif "contentBlockDelta" in event:
            delta = event["contentBlockDelta"]
            index, body = delta["contentBlockIndex"], delta["delta"]
            text = body.get("text")
            if text is not None:
                parts = self.blocks.setdefault(index, ["text", "", "", ""])
                parts[3] += text
                return text or None
            use_delta = body.get("toolUse")
            if use_delta is not None:
                self.blocks[index][3] += use_delta["input"]
        elif "messageStop" in event:
            self.stop_reason = event["messageStop"]["stopReason"]
            self.stopped = True
        elif "metadata" in event:
            usage = event["metadata"]["usage"]
            self.input_tokens, self.output_tokens = usage["inputTokens"], usage["outputTokens"]
            self.reported = True
        return None

    def finished(self) -> bool:
        return self.stopped and self.reported  # usage comes after the stop: without it, cost is unknown

    def response(self) -> ChatResponse:
        text: list[str] = []
        calls: list[ToolCall] = []
        answered = False
        for _, (kind, id_, name, body) in sorted(self.blocks.items()):
            if kind == "text":
                text.append(body)
            elif name == self.answer_tool:
                text, answered = [body or "{}"], True  # the answer is the tool's input alone (the last, if several)
            else:
                calls.append(ToolCall(id_, name, body or "{}"))
        finish = _finish_reason(self.stop_reason, answered=answered, calls=len(calls))
        return ChatResponse("".join(text), self.model, self.input_tokens, self.output_tokens, tuple(calls), finish)




class _Opening:
    """A stream being opened in a worker thread: if the caller is cancelled before (or just
    as) the thread hands the stream over, whichever side comes second closes it."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._stream: BotocoreEventStream[ConverseStreamOutputTypeDef] | None = None
        self._abandoned = False

    def deliver(self, stream: BotocoreEventStream[ConverseStreamOutputTypeDef]) -> BotocoreEventStream[ConverseStreamOutputTypeDef]:
        with self._lock:
            self._stream = stream
            abandoned = self._abandoned
        if abandoned:
            stream.close()
        return stream

    def abandon(self) -> None:
        with self._lock:
            self._abandoned = True
            stream = self._stream
        if stream is not None:
            stream.close()


class BedrockChatModel(ProviderChatModel["ConverseResponseTypeDef", "ConverseStreamOutputTypeDef"]):
    """A chat model over a boto3 `bedrock-runtime` client (the Converse and ConverseStream APIs).

    - system messages become `system` text blocks; tool calls and results become `toolUse`
      and `toolResult` blocks (consecutive results share one user turn; a failed call's result
      has `status: "error"`); tools go out as `toolConfig` tool specs;
    - structured output (`ChatRequest.response_format`), by default (`structured_output="tool"`),
      uses tool use as AnthropicChatModel does: the schema is offered as a tool the model must
      call (`toolChoice`), and that call's input is the reply's text (works on the Claude 3+
      and Nova models; `toolChoice` is not supported by every model on Bedrock).
      `structured_output="json_schema"` sends Bedrock's native `outputConfig.textFormat`
      instead (only some models take it: Claude 4.5 and later, some open-weight models);
    - `inferenceConfig` carries `maxTokens`, `temperature`, `topP` and `stopSequences`, each
      only when set; a `seed` is refused (ConfigError: Converse has none);
    - HTTP 408/429/5xx (throttling, model not ready, model timeout, service unavailable,
      internal errors), connection errors and read timeouts, error events inside a stream
      (`modelStreamErrorException`, `throttlingException`, ...) and malformed bodies or event
      frames raise ModelTransientError, other refusals (access denied, validation, unknown
      model) ModelCallError; the AWS secret key, session token and Bedrock API key are
      removed from messages;
    - the client must have botocore's retries off (`Config(retries=NO_RETRIES)`, one request
      per call): a client that would resend is refused with ConfigError, so one policy
      decides (agents retry model calls by default, `model_retry`; elsewhere wrap the model's
      node in `Retry`). `bedrock_client()` builds such a client.

    boto3 blocks, so each call runs in a worker thread. A cancelled call returns at once and
    its thread is abandoned: it finishes the HTTP exchange (up to the client's read timeout)
    and its result is dropped; a stream opened or read by an abandoned thread is closed by it.
    """

    provider = "bedrock"

    def __init__(
        self,
        client: BedrockRuntimeClient,
        model: str,
        *,
        max_tokens: int | None = None,
        max_input_tokens: int | None = None,
        on_response: Callable[[ChatResponse], object] | None = None,
        structured_output: Literal["tool", "json_schema"] = "tool",
    ) -> None:
        import botocore.exceptions
        import urllib3.exceptions

        label = f"{type(self).__name__}({model!r})"
        meta = getattr(client, "meta", None)
        if getattr(getattr(meta, "service_model", None), "service_name", None) != "bedrock-runtime":
            raise ConfigError(label, "client", 'a boto3 "bedrock-runtime" client', type(client).__name__)
        retries = dict(getattr(getattr(meta, "config", None), "retries", None) or {})
        if retries.get("total_max_attempts") != 1:
            raise ConfigError(
                label,
                "client",
                "a client with botocore's retries off: bedrock_client() from tta_dev_primitives.stdlib.llm.providers, or "
                "boto3.client('bedrock-runtime', config=botocore.config.Config(retries={'total_max_attempts': 1, 'mode': 'standard'}))",
                f"retries={retries}",
            )
        if structured_output not in ("tool", "json_schema"):
            raise ConfigError(label, "structured_output", '"tool" or "json_schema"', structured_output)
        super().__init__(model, max_tokens=max_tokens, max_input_tokens=max_input_tokens, on_response=on_response, secrets=())
        self.client = client
        self.structured_output = structured_output
        self._secrets = self._credential_secrets(loaded=False)
        self.connection_errors = (
            botocore.exceptions.HTTPClientError,  # connection closed, read timeout, stream read errors
            botocore.exceptions.ConnectionError,  # endpoint unreachable, connect timeout, TLS, proxy
            urllib3.exceptions.HTTPError,  # what escapes botocore while an event stream is read
        )

    def _credential_secrets(self, *, loaded: bool) -> tuple[str | None, ...]:
        """The secrets to mask: the secret key and session token, and a Bedrock API key. Before
        a call (`loaded=False`) credentials that refresh (roles, SSO) are not read: reading
        them may fetch them; after a failed call (in its worker thread) they are."""
        from botocore.credentials import RefreshableCredentials

        secrets: list[str | None] = [os.environ.get("AWS_BEARER_TOKEN_BEDROCK")]
        getter = getattr(self.client, "_get_credentials", None)  # botocore has no public accessor
        try:
            credentials = getter() if getter is not None else None
            if credentials is not None and (loaded or not isinstance(credentials, RefreshableCredentials)):
                frozen = credentials.get_frozen_credentials()
                secrets += [frozen.secret_key, frozen.token]
        except Exception:  # noqa: BLE001 - no credentials (yet): nothing of theirs to mask
            return tuple(secrets)
        return tuple(secrets)

    async def _in_thread(self, call: Callable[[], T]) -> T:
        """`call` in a worker thread, abandoned if the caller is cancelled. A failure refreshes
        the secrets to mask (credentials may have rotated since the last call)."""

        def run() -> T:
            try:
                return call()
            except Exception:
                self._secrets = tuple(dict.fromkeys((*self._credential_secrets(loaded=True), *self._secrets)))
                raise

        return await anyio.to_thread.run_sync(run, abandon_on_cancel=True)

    def _answer_tool(self, request: ChatRequest) -> dict[str, Any] | None:
        if request.response_format is None or self.structured_output != "tool":
            return None
        spec = json.loads(request.response_format)
        return _tool_spec(spec["name"], "Give the final answer.", spec["schema"])

    def _arguments(self, request: ChatRequest) -> dict[str, Any]:
        if request.seed is not None:
            raise ConfigError(repr(self), "request.seed", "None (Bedrock's Converse API has no seed)", request.seed)
        system, turns = _conversation(request.messages)
        arguments: dict[str, Any] = {"modelId": self.model, "messages": turns}
        if system:
            arguments["system"] = system
        settings: dict[str, Any] = {}
        cap = self.reply_cap(request)
        if cap is not None:
            settings["maxTokens"] = cap
        if request.temperature is not None:
            settings["temperature"] = request.temperature
        if request.top_p is not None:
            settings["topP"] = request.top_p
        if request.stop:
            settings["stopSequences"] = list(request.stop)
        if settings:
            arguments["inferenceConfig"] = settings
        tools = [_tool_spec(t.name, t.description, json.loads(t.parameters)) for t in request.tools]
        config: dict[str, Any] = {}
        answer = self._answer_tool(request)
        if answer is not None:
            name = answer["toolSpec"]["name"]
            if any(t["toolSpec"]["name"] == name for t in tools):
                raise ConfigError(repr(self), "response_format", f"a name other than the tools' ({name!r} is a tool)", name)
            # with other tools the model may call them first; it must end by calling this one
            config["toolChoice"] = {"any": {}} if tools else {"tool": {"name": name}}
            tools.append(answer)
        elif request.response_format is not None:  # structured_output="json_schema"
            spec = json.loads(request.response_format)
            schema = {"schema": json.dumps(spec["schema"]), "name": spec["name"]}
            arguments["outputConfig"] = {"textFormat": {"type": "json_schema", "structure": {"jsonSchema": schema}}}
        if tools:
            arguments["toolConfig"] = {"tools": tools, **config}
        return arguments

    async def _send(self, arguments: dict[str, Any]) -> Decoded[ConverseResponseTypeDef]:
        response = await self._in_thread(lambda: self.client.converse(**arguments))
        return Decoded(response)  # botocore decodes the body inside the call (see _translated)

    async def _open(self, arguments: dict[str, Any]) -> ThreadedEvents[ConverseStreamOutputTypeDef]:
        opening = _Opening()
        try:
            stream = await self._in_thread(lambda: opening.deliver(self.client.converse_stream(**arguments)["stream"]))
        except BaseException:  # cancelled (the thread may still open it) or failed
            opening.abandon()
            raise
        return ThreadedEvents(iter(stream), stream.close)

    def _read(self, raw: ConverseResponseTypeDef, request: ChatRequest) -> ChatResponse:
        tool = self._answer_tool(request)
        answer = tool["toolSpec"]["name"] if tool is not None else None
        text: list[str] = []
        calls: list[ToolCall] = []
        answered = False
        for block in raw["output"]["message"]["content"]:  # a body of another shape fails here (malformed)
            if "text" in block:
                text.append(block["text"])
            elif "toolUse" in block and block["toolUse"]["name"] == answer:
                text, answered = [json.dumps(block["toolUse"]["input"])], True  # the answer is the tool's input alone
            elif "toolUse" in block:
                use = block["toolUse"]
                calls.append(ToolCall(use["toolUseId"], use["name"], json.dumps(use["input"])))
        usage = raw["usage"]
        finish = _finish_reason(raw["stopReason"], answered=answered, calls=len(calls))
        return ChatResponse("".join(text), self.model, usage["inputTokens"], usage["outputTokens"], tuple(calls), finish)

    def _assembler(self, request: ChatRequest) -> _Events:
        answer = self._answer_tool(request)
        return _Events(self.model, answer["toolSpec"]["name"] if answer is not None else None)

    def _translated(self, error: Exception) -> Exception | None:
        """botocore's errors read into the shared policy: a `ClientError` (an HTTP error, or an
        error event inside a stream: `EventStreamError`, with no status) by its status and AWS
        error code; transport errors; event frames botocore could not decode."""
        from botocore.eventstream import ParserError
        from botocore.exceptions import ClientError, EventStreamError

        if isinstance(error, ClientError):
            details = error.response.get("Error", {})
            code = details.get("Code") or ""
            message = f"{code}: {details.get('Message') or ''}".strip(": ") or str(error)
            metadata = error.response.get("ResponseMetadata", {})
            status = None if isinstance(error, EventStreamError) else metadata.get("HTTPStatusCode")
            headers = dict(metadata.get("HTTPHeaders") or {})
            return status_failure(
                provider=self.provider, model=self.model, status=status, message=message, headers=headers, kind=_kind(code), secrets=self._secrets
            )
        if isinstance(error, self.connection_errors):
            return transport_failure(error, provider=self.provider, model=self.model, secrets=self._secrets)
        if isinstance(error, ParserError):  # a frame's checksum or lengths wrong
            return malformed_failure(error, provider=self.provider, model=self.model, secrets=self._secrets)
        return None


def bedrock_client(
    *,
    region_name: str | None = None,
    endpoint_url: str | None = None,
    session: boto3.Session | None = None,
    config: botocore.config.Config | None = None,
) -> BedrockRuntimeClient:
    """A boto3 `bedrock-runtime` client as `BedrockChatModel` expects it: botocore's retries off
    (one HTTP request per call, whatever `config` says), and unless `config` sets them a 300 s
    read timeout and 40 pooled connections (`config`'s other settings kept). Credentials from `session` (default: boto3's
    usual chain); the region `region_name`, else `AWS_REGION`, `AWS_DEFAULT_REGION` or the
    session's config, else us-east-1; `endpoint_url` replaces the regional endpoint (a VPC
    endpoint, a proxy)."""
    import boto3
    import botocore.config

    session = session or boto3.Session()
    region = region_name or os.environ.get("AWS_REGION") or session.region_name or "us-east-1"
    defaults = botocore.config.Config(read_timeout=READ_TIMEOUT, max_pool_connections=POOL_SIZE)
    merged = (defaults.merge(config) if config is not None else defaults).merge(botocore.config.Config(retries=NO_RETRIES.copy()))
    return session.client("bedrock-runtime", region_name=region, endpoint_url=endpoint_url, config=merged)


def from_options(model: str, *, base_url: str | None, max_tokens: int | None) -> BedrockChatModel:
    """The client `--provider bedrock` names (`bedrock_client`): credentials from boto3's
    usual chain, the region from `AWS_REGION`, `AWS_DEFAULT_REGION` or the shared config
    (default us-east-1), retries off; `base_url` replaces the regional endpoint."""
    return BedrockChatModel(bedrock_client(endpoint_url=base_url), model, max_tokens=max_tokens)
