"""dial: a channel to one Marketpulse service, with retries, a default deadline and keepalive."""
from __future__ import annotations

import json
import re
from typing import Optional

import grpc

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


# What one header value may hold: visible ASCII (a JWT's or an API key's characters all are).
_HEADER_TEXT = re.compile(r"[\x21-\x7e]+")


def _keepalive_options(keepalive: Optional[float]) -> list:
    # A stream has no deadline, so a server that stops answering (crashed host, dropped route,
    # frozen process) left it blocked forever: TCP alone never notices. Pings while a call is open
    # notice. grpc-core times a keepalive ping out after grpc.http2.ping_timeout_ms (60 s by
    # default), not keepalive_timeout_ms, so both are set; max_pings_without_data=0 because a
    # server stream's client never sends data, and with the default of 2 it stops pinging after
    # the second ping of a quiet stream.
    if not keepalive:
        return []
    ms = max(1, int(keepalive * 1000))
    return [
        ("grpc.keepalive_time_ms", ms),
        ("grpc.keepalive_timeout_ms", ms),
        ("grpc.http2.ping_timeout_ms", ms),
        ("grpc.http2.max_pings_without_data", 0),
    ]


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
        # Streams run until the caller cancels: no default deadline (keepalive ends a dead one).
        return continuation(self._details(details, unary=False), request)


def dial(
    address: str,
    *,
    token: Optional[str] = None,
    root_certificates: Optional[bytes] = None,
    secure: bool = False,
    call_timeout: float = 10.0,
    ready_timeout: float = 30.0,
    keepalive: Optional[float] = 30.0,
) -> grpc.Channel:
    """Opens a channel to ``address`` ("127.0.0.1:50051") and waits until it is ready.

    A service that is still starting is waited for (gRPC reconnects with backoff) up to
    ``ready_timeout`` seconds; then ``ConnectionError`` names the address. ``token`` (a JWT or
    API key of the gateway) travels as ``authorization: Bearer`` on every call; one with other than
    visible ASCII (a newline read from a file) raises ``ValueError`` before anything is sent. ``secure`` or
    ``root_certificates`` encrypt the channel with TLS; plaintext is for loopback or a mesh.
    Unary calls without a timeout get ``call_timeout`` seconds. While a call is open, a connection
    that has brought nothing for ``keepalive`` seconds is pinged, and one whose ping goes
    unanswered for ``keepalive`` seconds more ends its calls with ``UNAVAILABLE``: a stream from a
    server that went silent ends within about twice ``keepalive``. ``None`` turns it off.
    """
    if token and not _HEADER_TEXT.fullmatch(token):
        # gRPC would refuse every call with INTERNAL "Invalid metadata", naming neither the token
        # nor why; a token read from a file usually keeps its trailing newline.
        raise ValueError(
            "marketpulse_client: the token has characters a header cannot carry "
            "(only visible ASCII: a newline read from a file?); strip it first"
        )
    options = [("grpc.service_config", _SERVICE_CONFIG), ("grpc.enable_retries", 1)]
    options += _keepalive_options(keepalive)
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
