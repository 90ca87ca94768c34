from google.protobuf import field_mask_pb2 as _field_mask_pb2
from marketpulse.alerting.v1 import alerting_pb2 as _alerting_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class CreateRuleRequest(_message.Message):
    __slots__ = ("rule",)
    RULE_FIELD_NUMBER: _ClassVar[int]
    rule: _alerting_pb2.Rule
    def __init__(self, rule: _Optional[_Union[_alerting_pb2.Rule, _Mapping]] = ...) -> None: ...

class CreateRuleResponse(_message.Message):
    __slots__ = ("rule",)
    RULE_FIELD_NUMBER: _ClassVar[int]
    rule: _alerting_pb2.Rule
    def __init__(self, rule: _Optional[_Union[_alerting_pb2.Rule, _Mapping]] = ...) -> None: ...

class GetRuleRequest(_message.Message):
    __slots__ = ("id", "user_id")
    ID_FIELD_NUMBER: _ClassVar[int]
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    id: str
    user_id: str
    def __init__(self, id: _Optional[str] = ..., user_id: _Optional[str] = ...) -> None: ...

class GetRuleResponse(_message.Message):
    __slots__ = ("rule",)
    RULE_FIELD_NUMBER: _ClassVar[int]
    rule: _alerting_pb2.Rule
    def __init__(self, rule: _Optional[_Union[_alerting_pb2.Rule, _Mapping]] = ...) -> None: ...

class ListRulesRequest(_message.Message):
    __slots__ = ("user_id", "symbol", "include_system")
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    SYMBOL_FIELD_NUMBER: _ClassVar[int]
    INCLUDE_SYSTEM_FIELD_NUMBER: _ClassVar[int]
    user_id: str
    symbol: str
    include_system: bool
    def __init__(self, user_id: _Optional[str] = ..., symbol: _Optional[str] = ..., include_system: _Optional[bool] = ...) -> None: ...

class ListRulesResponse(_message.Message):
    __slots__ = ("rules",)
    RULES_FIELD_NUMBER: _ClassVar[int]
    rules: _containers.RepeatedCompositeFieldContainer[_alerting_pb2.Rule]
    def __init__(self, rules: _Optional[_Iterable[_Union[_alerting_pb2.Rule, _Mapping]]] = ...) -> None: ...

class UpdateRuleRequest(_message.Message):
    __slots__ = ("rule", "update_mask", "user_id")
    RULE_FIELD_NUMBER: _ClassVar[int]
    UPDATE_MASK_FIELD_NUMBER: _ClassVar[int]
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    rule: _alerting_pb2.Rule
    update_mask: _field_mask_pb2.FieldMask
    user_id: str
    def __init__(self, rule: _Optional[_Union[_alerting_pb2.Rule, _Mapping]] = ..., update_mask: _Optional[_Union[_field_mask_pb2.FieldMask, _Mapping]] = ..., user_id: _Optional[str] = ...) -> None: ...

class UpdateRuleResponse(_message.Message):
    __slots__ = ("rule",)
    RULE_FIELD_NUMBER: _ClassVar[int]
    rule: _alerting_pb2.Rule
    def __init__(self, rule: _Optional[_Union[_alerting_pb2.Rule, _Mapping]] = ...) -> None: ...

class DeleteRuleRequest(_message.Message):
    __slots__ = ("id", "user_id")
    ID_FIELD_NUMBER: _ClassVar[int]
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    id: str
    user_id: str
    def __init__(self, id: _Optional[str] = ..., user_id: _Optional[str] = ...) -> None: ...

class DeleteRuleResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ListAlertsRequest(_message.Message):
    __slots__ = ("acknowledged", "hours", "severity", "symbol", "user_id", "limit")
    ACKNOWLEDGED_FIELD_NUMBER: _ClassVar[int]
    HOURS_FIELD_NUMBER: _ClassVar[int]
    SEVERITY_FIELD_NUMBER: _ClassVar[int]
    SYMBOL_FIELD_NUMBER: _ClassVar[int]
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    acknowledged: bool
    hours: int
    severity: str
    symbol: str
    user_id: str
    limit: int
    def __init__(self, acknowledged: _Optional[bool] = ..., hours: _Optional[int] = ..., severity: _Optional[str] = ..., symbol: _Optional[str] = ..., user_id: _Optional[str] = ..., limit: _Optional[int] = ...) -> None: ...

class ListAlertsResponse(_message.Message):
    __slots__ = ("alerts",)
    ALERTS_FIELD_NUMBER: _ClassVar[int]
    alerts: _containers.RepeatedCompositeFieldContainer[_alerting_pb2.Alert]
    def __init__(self, alerts: _Optional[_Iterable[_Union[_alerting_pb2.Alert, _Mapping]]] = ...) -> None: ...

class AcknowledgeAlertRequest(_message.Message):
    __slots__ = ("id", "acknowledged_by", "user_id")
    ID_FIELD_NUMBER: _ClassVar[int]
    ACKNOWLEDGED_BY_FIELD_NUMBER: _ClassVar[int]
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    id: str
    acknowledged_by: str
    user_id: str
    def __init__(self, id: _Optional[str] = ..., acknowledged_by: _Optional[str] = ..., user_id: _Optional[str] = ...) -> None: ...

class AcknowledgeAlertResponse(_message.Message):
    __slots__ = ("alert",)
    ALERT_FIELD_NUMBER: _ClassVar[int]
    alert: _alerting_pb2.Alert
    def __init__(self, alert: _Optional[_Union[_alerting_pb2.Alert, _Mapping]] = ...) -> None: ...

class StreamAlertsRequest(_message.Message):
    __slots__ = ("user_id", "symbols", "include_system")
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    SYMBOLS_FIELD_NUMBER: _ClassVar[int]
    INCLUDE_SYSTEM_FIELD_NUMBER: _ClassVar[int]
    user_id: str
    symbols: _containers.RepeatedScalarFieldContainer[str]
    include_system: bool
    def __init__(self, user_id: _Optional[str] = ..., symbols: _Optional[_Iterable[str]] = ..., include_system: _Optional[bool] = ...) -> None: ...

class StreamAlertsResponse(_message.Message):
    __slots__ = ("alert",)
    ALERT_FIELD_NUMBER: _ClassVar[int]
    alert: _alerting_pb2.Alert
    def __init__(self, alert: _Optional[_Union[_alerting_pb2.Alert, _Mapping]] = ...) -> None: ...
