from marketpulse.events.v1 import event_pb2 as _event_pb2
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class StreamData(_message.Message):
    __slots__ = ("subscription_id", "event", "pos", "trace_id")
    SUBSCRIPTION_ID_FIELD_NUMBER: _ClassVar[int]
    EVENT_FIELD_NUMBER: _ClassVar[int]
    POS_FIELD_NUMBER: _ClassVar[int]
    TRACE_ID_FIELD_NUMBER: _ClassVar[int]
    subscription_id: str
    event: _event_pb2.Event
    pos: str
    trace_id: str
    def __init__(self, subscription_id: _Optional[str] = ..., event: _Optional[_Union[_event_pb2.Event, _Mapping]] = ..., pos: _Optional[str] = ..., trace_id: _Optional[str] = ...) -> None: ...
