"""Connect to Marketpulse's gRPC services from Python.

``dial`` opens a channel with retries and a default deadline, ``read_error`` reads the reason and
field violations a service puts in the google.rpc.Status details of an error, and ``decode_event``
decodes a Kafka record into its events.v1.Event envelope and the payload named by its type. The
generated modules are ``marketpulse.<area>.v1.<file>_pb2`` and ``..._pb2_grpc``.
"""
from __future__ import annotations

import dataclasses
import json
from typing import Optional, Tuple

import grpc
from google.protobuf.message import DecodeError, Message
from google.rpc import error_details_pb2
from grpc_status import rpc_status

from marketpulse.events.v1 import event_pb2

__all__ = ["dial", "read_error", "decode_event", "ServiceError", "FieldViolation"]

# Retry every method on UNAVAILABLE (the server did not get the call), with backoff; gRPC never
# retries a call the server answered.
_SERVICE_CONFIG = json.dumps(
    {
        "methodConfig": [
            {
                "name": [{}],
                "retryPolicy": {
                    "maxAttempts": 4,
                    "initialBackoff": "0.1s",
                    "maxBackoff": "2s",
                    "backoffMultiplier": 2,
                    "retryableStatusCodes": ["UNAVAILABLE"],
                },
            }
        ]
    }
)


class _Defaults(grpc.UnaryUnaryClientInterceptor, grpc.UnaryStreamClientInterceptor):
    """Adds the bearer token to every call and a deadline to unary calls that have none."""

    def __init__(self, token: Optional[str], call_timeout: float):
        self._metadata = (("authorization", f"Bearer {token}"),) if token else ()
        self._call_timeout = call_timeout

    def _details(self, details, unary: bool):
        metadata = tuple(details.metadata or ()) + self._metadata
        timeout = details.timeout if details.timeout is not None or not unary else self._call_timeout
        return details._replace(metadata=metadata, timeout=timeout)

    def intercept_unary_unary(self, continuation, details, request):
        return continuation(self._details(details, unary=True), request)

    def intercept_unary_stream(self, continuation, details, request):
        # Streams run until the caller cancels: no default deadline.
        return continuation(self._details(details, unary=False), request)


def dial(
    address: str,
    *,
    token: Optional[str] = None,
    root_certificates: Optional[bytes] = None,
    secure: bool = False,
    call_timeout: float = 10.0,
    ready_timeout: float = 30.0,
) -> grpc.Channel:
    """Opens a channel to ``address`` ("127.0.0.1:50051") and waits until it is ready.

    A service that is still starting is waited for (gRPC reconnects with backoff) up to
    ``ready_timeout`` seconds; then ``ConnectionError`` names the address. ``token`` (a JWT or
    API key of the gateway) travels as ``authorization: Bearer`` on every call. ``secure`` or
    ``root_certificates`` encrypt the channel with TLS; plaintext is for loopback or a mesh.
    Unary calls without a timeout get ``call_timeout`` seconds.
    """
    options = [("grpc.service_config", _SERVICE_CONFIG), ("grpc.enable_retries", 1)]
    if secure or root_certificates:
        channel = grpc.secure_channel(address, grpc.ssl_channel_credentials(root_certificates), options=options)
    else:
        channel = grpc.insecure_channel(address, options=options)
    try:
        grpc.channel_ready_future(channel).result(timeout=ready_timeout)
    except grpc.FutureTimeoutError:
        channel.close()
        raise ConnectionError(f"marketpulse_client: {address} not ready after {ready_timeout} s") from None
    return grpc.intercept_channel(channel, _Defaults(token, call_timeout))


@dataclasses.dataclass(frozen=True)
class FieldViolation:
    field: str
    description: str


@dataclasses.dataclass(frozen=True)
class ServiceError:
    """What a service says about a failed call. Branch on ``code`` and ``reason``, never ``message``.

    ``retry_after`` is the google.rpc.RetryInfo delay in seconds of a refusal the same call may get
    past later (RATE_LIMITED, PUBLISH_IN_PROGRESS): wait that long before trying again; None when
    the error carries none.
    """

    code: grpc.StatusCode
    message: str
    reason: str = ""
    domain: str = ""
    metadata: dict = dataclasses.field(default_factory=dict)
    violations: Tuple[FieldViolation, ...] = ()
    retry_after: Optional[float] = None


def read_error(error: grpc.RpcError) -> ServiceError:
    """Reads the google.rpc.Status of the ``grpc-status-details-bin`` trailer (ErrorInfo, BadRequest, RetryInfo)."""
    status = rpc_status.from_call(error)
    result = {"code": error.code(), "message": error.details() or ""}
    violations = []
    for detail in status.details if status else ():
        info = error_details_pb2.ErrorInfo()
        bad = error_details_pb2.BadRequest()
        retry = error_details_pb2.RetryInfo()
        if detail.Is(info.DESCRIPTOR):
            detail.Unpack(info)
            result.update(reason=info.reason, domain=info.domain, metadata=dict(info.metadata))
        elif detail.Is(retry.DESCRIPTOR):
            detail.Unpack(retry)
            result.update(retry_after=retry.retry_delay.ToTimedelta().total_seconds())
        elif detail.Is(bad.DESCRIPTOR):
            detail.Unpack(bad)
            violations += [FieldViolation(v.field, v.description) for v in bad.field_violations]
    return ServiceError(violations=tuple(violations), **result)


def decode_event(value: bytes) -> Tuple[event_pb2.Event, Message]:
    """Decodes a Kafka record's value into the envelope and the payload case named like its type.

    Raises ``ValueError`` when the bytes are not an Event, or the payload is missing or its case
    differs from the type. Its message quotes at most 64 characters of the event's id and type:
    they come from whoever produced the record.
    """
    try:
        event = event_pb2.Event.FromString(value)
    except DecodeError as err:
        raise ValueError(f"the record is not a marketpulse Event: {err}") from err
    case = event.WhichOneof("payload")
    ident, kind = repr(event.id[:64]), repr(event.type[:64])
    if case is None:
        raise ValueError(f"event {ident} of type {kind} has no payload")
    if case != event.type:
        raise ValueError(f"event {ident} has type {kind} but a {case} payload")
    return event, getattr(event, case)
