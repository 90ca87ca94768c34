import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class SystemLog(_message.Message):
    __slots__ = ("level", "module", "message", "timestamp", "service", "trace_id")
    LEVEL_FIELD_NUMBER: _ClassVar[int]
    MODULE_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    TIMESTAMP_FIELD_NUMBER: _ClassVar[int]
    SERVICE_FIELD_NUMBER: _ClassVar[int]
    TRACE_ID_FIELD_NUMBER: _ClassVar[int]
    level: str
    module: str
    message: str
    timestamp: _timestamp_pb2.Timestamp
    service: str
    trace_id: str
    def __init__(self, level: _Optional[str] = ..., module: _Optional[str] = ..., message: _Optional[str] = ..., timestamp: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., service: _Optional[str] = ..., trace_id: _Optional[str] = ...) -> None: ...

class SystemError(_message.Message):
    __slots__ = ("service", "module", "code", "message", "detail", "timestamp", "trace_id")
    SERVICE_FIELD_NUMBER: _ClassVar[int]
    MODULE_FIELD_NUMBER: _ClassVar[int]
    CODE_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    DETAIL_FIELD_NUMBER: _ClassVar[int]
    TIMESTAMP_FIELD_NUMBER: _ClassVar[int]
    TRACE_ID_FIELD_NUMBER: _ClassVar[int]
    service: str
    module: str
    code: str
    message: str
    detail: str
    timestamp: _timestamp_pb2.Timestamp
    trace_id: str
    def __init__(self, service: _Optional[str] = ..., module: _Optional[str] = ..., code: _Optional[str] = ..., message: _Optional[str] = ..., detail: _Optional[str] = ..., timestamp: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., trace_id: _Optional[str] = ...) -> None: ...
