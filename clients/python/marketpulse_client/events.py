"""decode_event: a Kafka record's value as its events.v1.Event envelope and payload."""
from __future__ import annotations

from typing import Optional, Tuple

from google.protobuf.message import DecodeError, Message

from marketpulse.events.v1 import event_pb2


def decode_event(value: Optional[bytes]) -> Tuple[event_pb2.Event, Message]:
    """Decodes a Kafka record's value into the envelope and the payload case named like its type.

    Raises ``ValueError`` when the bytes are not an Event, the record has no value (a tombstone:
    ``message.value()`` is None), or the payload is missing or its case differs from the type. Its
    message quotes at most 64 characters of the event's id and type: they come from whoever
    produced the record.
    """
    if value is None:
        # Any producer can write a tombstone to a topic; it must not stop a consumer on TypeError.
        raise ValueError("the record has no value (a tombstone), so it is no marketpulse Event")
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
