"""read_error: what a service says about a failed call, from the google.rpc.Status it attaches."""
from __future__ import annotations

import dataclasses
from typing import Optional, Tuple

import grpc
from google.protobuf.message import DecodeError
from google.rpc import error_details_pb2, status_pb2
from grpc_status import rpc_status

# The services ask for at most a minute or two (API_RATE_LIMIT_PER_MINUTE, PUBLISH_ID_LEASE_SECONDS);
# a larger delay from whoever answered would park a retry loop for as long as it says.
MAX_RETRY_AFTER = 3600.0


@dataclasses.dataclass(frozen=True)
class FieldViolation:
    field: str
    description: str


@dataclasses.dataclass(frozen=True)
class ServiceError:
    """What a service says about a failed call. Branch on ``code`` and ``reason``, never ``message``.

    ``retry_after`` is the google.rpc.RetryInfo delay in seconds of a refusal the same call may get
    past later (RATE_LIMITED, PUBLISH_IN_PROGRESS): wait that long before trying again; None when
    the error carries none. It is read within 0 to ``MAX_RETRY_AFTER`` (3600) seconds.
    """

    code: grpc.StatusCode
    message: str
    reason: str = ""
    domain: str = ""
    metadata: dict = dataclasses.field(default_factory=dict)
    violations: Tuple[FieldViolation, ...] = ()
    retry_after: Optional[float] = None


def _status(error: grpc.RpcError) -> Optional[status_pb2.Status]:
    try:
        return rpc_status.from_call(error)
    except (DecodeError, ValueError):
        # Bytes that are no Status, or a Status whose code or message differ from the call's (a
        # proxy answered in between): neither describes this error, and the code still does.
        return None


def _seconds(delay) -> float:
    # Plain arithmetic: Duration.ToTimedelta() raises OverflowError past timedelta's range.
    return min(max(delay.seconds + delay.nanos / 1e9, 0.0), MAX_RETRY_AFTER)


def read_error(error: grpc.RpcError) -> ServiceError:
    """Reads the google.rpc.Status of the ``grpc-status-details-bin`` trailer (ErrorInfo, BadRequest, RetryInfo).

    Never raises for what the server sent: details it cannot decode are left out, and the error's
    code and message are still read.
    """
    status = _status(error)
    result = {"code": error.code(), "message": error.details() or ""}
    violations = []
    for detail in status.details if status else ():
        info = error_details_pb2.ErrorInfo()
        bad = error_details_pb2.BadRequest()
        retry = error_details_pb2.RetryInfo()
        try:
            if detail.Is(info.DESCRIPTOR):
                detail.Unpack(info)
                result.update(reason=info.reason, domain=info.domain, metadata=dict(info.metadata))
            elif detail.Is(retry.DESCRIPTOR):
                detail.Unpack(retry)
                result.update(retry_after=_seconds(retry.retry_delay))
            elif detail.Is(bad.DESCRIPTOR):
                detail.Unpack(bad)
                violations += [FieldViolation(v.field, v.description) for v in bad.field_violations]
        except DecodeError:
            continue
    return ServiceError(violations=tuple(violations), **result)
