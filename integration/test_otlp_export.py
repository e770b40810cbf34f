"""Spans leave the process over OTLP/HTTP and arrive intact.

An HTTP server on 127.0.0.1 receives what the real OTLP exporter sends and decodes it with the
OpenTelemetry protobuf definitions: this checks the wire format, batching and attributes end to
end. (A full collector or Phoenix is not started here: neither is in the registries this project
installs from without a large footprint.)
"""

from __future__ import annotations

import gzip
import http.server
import threading
from collections.abc import Iterator

import pytest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from tta_dev_primitives import RunContext, compile, node, parallel
from tta_dev_primitives.observability import configure_tracing

from servers import free_port


class _Receiver(http.server.BaseHTTPRequestHandler):
    received: list[ExportTraceServiceRequest] = []

    def do_POST(self) -> None:  # noqa: N802 - http.server's naming
        body = self.rfile.read(int(self.headers["Content-Length"]))
        if self.headers.get("Content-Encoding") == "gzip":
            body = gzip.decompress(body)
        request = ExportTraceServiceRequest()
        request.ParseFromString(body)
        self.received.append(request)
        self.send_response(200)
        self.send_header("Content-Type", "application/x-protobuf")
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def collector() -> Iterator[tuple[str, list[ExportTraceServiceRequest]]]:
    port = free_port()
    _Receiver.received = []
    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), _Receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{port}", _Receiver.received
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def test_spans_arrive_over_otlp_http(collector: tuple[str, list[ExportTraceServiceRequest]]) -> None:
    endpoint, received = collector
    hook = configure_tracing("otlp-integration", otlp_endpoint=endpoint, protocol="http", set_global=False, install=False)
    assert hook is not None
    plan = compile(node(lambda x: x, name="load") >> parallel(node(lambda x: x, name="left"), node(lambda x: x, name="right")), name="shipped").with_hooks(hook)
    plan.run_sync(1, context=RunContext(correlation_id="c-otlp", workflow_id="wf-otlp"))
    assert hook.flush(10.0)
    hook.shutdown()
    spans = [span for request in received for rs in request.resource_spans for ss in rs.scope_spans for span in ss.spans]
    services = {a.value.string_value for r in received for rs in r.resource_spans for a in rs.resource.attributes if a.key == "service.name"}
    assert services == {"otlp-integration"}
    names = {s.name for s in spans}
    assert {"load", "left", "right"} <= names and len({s.trace_id for s in spans}) == 1
    left = next(s for s in spans if s.name == "left")
    attributes = {a.key: a.value.string_value for a in left.attributes}
    assert attributes["workflow.correlation_id"] == "c-otlp" and attributes["workflow.id"] == "wf-otlp"
    assert attributes["primitive.name"] == "left"
