import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class Rule(_message.Message):
    __slots__ = ("id", "user_id", "name", "description", "symbol", "severity", "enabled", "system", "condition", "cooldown_seconds", "created_at", "updated_at", "last_triggered_at")
    ID_FIELD_NUMBER: _ClassVar[int]
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    SYMBOL_FIELD_NUMBER: _ClassVar[int]
    SEVERITY_FIELD_NUMBER: _ClassVar[int]
    ENABLED_FIELD_NUMBER: _ClassVar[int]
    SYSTEM_FIELD_NUMBER: _ClassVar[int]
    CONDITION_FIELD_NUMBER: _ClassVar[int]
    COOLDOWN_SECONDS_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    UPDATED_AT_FIELD_NUMBER: _ClassVar[int]
    LAST_TRIGGERED_AT_FIELD_NUMBER: _ClassVar[int]
    id: str
    user_id: str
    name: str
    description: str
    symbol: str
    severity: str
    enabled: bool
    system: bool
    condition: RuleCondition
    cooldown_seconds: int
    created_at: _timestamp_pb2.Timestamp
    updated_at: _timestamp_pb2.Timestamp
    last_triggered_at: _timestamp_pb2.Timestamp
    def __init__(self, id: _Optional[str] = ..., user_id: _Optional[str] = ..., name: _Optional[str] = ..., description: _Optional[str] = ..., symbol: _Optional[str] = ..., severity: _Optional[str] = ..., enabled: _Optional[bool] = ..., system: _Optional[bool] = ..., condition: _Optional[_Union[RuleCondition, _Mapping]] = ..., cooldown_seconds: _Optional[int] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., updated_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., last_triggered_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class RuleCondition(_message.Message):
    __slots__ = ("price_above", "price_below", "percent_move", "prediction_crossing", "prediction_interval_exit", "risk_threshold", "risk_status", "rate_limit", "provider_status_change", "data_quality_issue", "system_error")
    PRICE_ABOVE_FIELD_NUMBER: _ClassVar[int]
    PRICE_BELOW_FIELD_NUMBER: _ClassVar[int]
    PERCENT_MOVE_FIELD_NUMBER: _ClassVar[int]
    PREDICTION_CROSSING_FIELD_NUMBER: _ClassVar[int]
    PREDICTION_INTERVAL_EXIT_FIELD_NUMBER: _ClassVar[int]
    RISK_THRESHOLD_FIELD_NUMBER: _ClassVar[int]
    RISK_STATUS_FIELD_NUMBER: _ClassVar[int]
    RATE_LIMIT_FIELD_NUMBER: _ClassVar[int]
    PROVIDER_STATUS_CHANGE_FIELD_NUMBER: _ClassVar[int]
    DATA_QUALITY_ISSUE_FIELD_NUMBER: _ClassVar[int]
    SYSTEM_ERROR_FIELD_NUMBER: _ClassVar[int]
    price_above: PriceThreshold
    price_below: PriceThreshold
    percent_move: PercentMoveCondition
    prediction_crossing: PredictionCrossingCondition
    prediction_interval_exit: PredictionIntervalCondition
    risk_threshold: RiskThresholdCondition
    risk_status: RiskStatusCondition
    rate_limit: RateLimitCondition
    provider_status_change: ProviderStatusCondition
    data_quality_issue: DataQualityCondition
    system_error: SystemErrorCondition
    def __init__(self, price_above: _Optional[_Union[PriceThreshold, _Mapping]] = ..., price_below: _Optional[_Union[PriceThreshold, _Mapping]] = ..., percent_move: _Optional[_Union[PercentMoveCondition, _Mapping]] = ..., prediction_crossing: _Optional[_Union[PredictionCrossingCondition, _Mapping]] = ..., prediction_interval_exit: _Optional[_Union[PredictionIntervalCondition, _Mapping]] = ..., risk_threshold: _Optional[_Union[RiskThresholdCondition, _Mapping]] = ..., risk_status: _Optional[_Union[RiskStatusCondition, _Mapping]] = ..., rate_limit: _Optional[_Union[RateLimitCondition, _Mapping]] = ..., provider_status_change: _Optional[_Union[ProviderStatusCondition, _Mapping]] = ..., data_quality_issue: _Optional[_Union[DataQualityCondition, _Mapping]] = ..., system_error: _Optional[_Union[SystemErrorCondition, _Mapping]] = ...) -> None: ...

class PriceThreshold(_message.Message):
    __slots__ = ("price",)
    PRICE_FIELD_NUMBER: _ClassVar[int]
    price: float
    def __init__(self, price: _Optional[float] = ...) -> None: ...

class PercentMoveCondition(_message.Message):
    __slots__ = ("percent", "window_seconds", "direction")
    PERCENT_FIELD_NUMBER: _ClassVar[int]
    WINDOW_SECONDS_FIELD_NUMBER: _ClassVar[int]
    DIRECTION_FIELD_NUMBER: _ClassVar[int]
    percent: float
    window_seconds: int
    direction: str
    def __init__(self, percent: _Optional[float] = ..., window_seconds: _Optional[int] = ..., direction: _Optional[str] = ...) -> None: ...

class PredictionCrossingCondition(_message.Message):
    __slots__ = ("level", "direction", "horizon_seconds")
    LEVEL_FIELD_NUMBER: _ClassVar[int]
    DIRECTION_FIELD_NUMBER: _ClassVar[int]
    HORIZON_SECONDS_FIELD_NUMBER: _ClassVar[int]
    level: float
    direction: str
    horizon_seconds: int
    def __init__(self, level: _Optional[float] = ..., direction: _Optional[str] = ..., horizon_seconds: _Optional[int] = ...) -> None: ...

class PredictionIntervalCondition(_message.Message):
    __slots__ = ("horizon_seconds",)
    HORIZON_SECONDS_FIELD_NUMBER: _ClassVar[int]
    horizon_seconds: int
    def __init__(self, horizon_seconds: _Optional[int] = ...) -> None: ...

class RiskThresholdCondition(_message.Message):
    __slots__ = ("drawdown_soft_pause", "drawdown_hard_stop", "daily_loss_soft_pause", "daily_loss_hard_stop")
    DRAWDOWN_SOFT_PAUSE_FIELD_NUMBER: _ClassVar[int]
    DRAWDOWN_HARD_STOP_FIELD_NUMBER: _ClassVar[int]
    DAILY_LOSS_SOFT_PAUSE_FIELD_NUMBER: _ClassVar[int]
    DAILY_LOSS_HARD_STOP_FIELD_NUMBER: _ClassVar[int]
    drawdown_soft_pause: float
    drawdown_hard_stop: float
    daily_loss_soft_pause: float
    daily_loss_hard_stop: float
    def __init__(self, drawdown_soft_pause: _Optional[float] = ..., drawdown_hard_stop: _Optional[float] = ..., daily_loss_soft_pause: _Optional[float] = ..., daily_loss_hard_stop: _Optional[float] = ...) -> None: ...

class RiskStatusCondition(_message.Message):
    __slots__ = ("statuses",)
    STATUSES_FIELD_NUMBER: _ClassVar[int]
    statuses: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, statuses: _Optional[_Iterable[str]] = ...) -> None: ...

class RateLimitCondition(_message.Message):
    __slots__ = ("percentage", "provider")
    PERCENTAGE_FIELD_NUMBER: _ClassVar[int]
    PROVIDER_FIELD_NUMBER: _ClassVar[int]
    percentage: float
    provider: str
    def __init__(self, percentage: _Optional[float] = ..., provider: _Optional[str] = ...) -> None: ...

class ProviderStatusCondition(_message.Message):
    __slots__ = ("provider", "new_statuses")
    PROVIDER_FIELD_NUMBER: _ClassVar[int]
    NEW_STATUSES_FIELD_NUMBER: _ClassVar[int]
    provider: str
    new_statuses: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, provider: _Optional[str] = ..., new_statuses: _Optional[_Iterable[str]] = ...) -> None: ...

class DataQualityCondition(_message.Message):
    __slots__ = ("kind",)
    KIND_FIELD_NUMBER: _ClassVar[int]
    kind: str
    def __init__(self, kind: _Optional[str] = ...) -> None: ...

class SystemErrorCondition(_message.Message):
    __slots__ = ("service",)
    SERVICE_FIELD_NUMBER: _ClassVar[int]
    service: str
    def __init__(self, service: _Optional[str] = ...) -> None: ...

class Alert(_message.Message):
    __slots__ = ("id", "rule_id", "rule_name", "user_id", "alert_type", "condition", "severity", "symbol", "provider", "message", "values", "timestamp", "acknowledged", "acknowledged_by", "acknowledged_at", "source_event_id")
    class ValuesEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: float
        def __init__(self, key: _Optional[str] = ..., value: _Optional[float] = ...) -> None: ...
    ID_FIELD_NUMBER: _ClassVar[int]
    RULE_ID_FIELD_NUMBER: _ClassVar[int]
    RULE_NAME_FIELD_NUMBER: _ClassVar[int]
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    ALERT_TYPE_FIELD_NUMBER: _ClassVar[int]
    CONDITION_FIELD_NUMBER: _ClassVar[int]
    SEVERITY_FIELD_NUMBER: _ClassVar[int]
    SYMBOL_FIELD_NUMBER: _ClassVar[int]
    PROVIDER_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    VALUES_FIELD_NUMBER: _ClassVar[int]
    TIMESTAMP_FIELD_NUMBER: _ClassVar[int]
    ACKNOWLEDGED_FIELD_NUMBER: _ClassVar[int]
    ACKNOWLEDGED_BY_FIELD_NUMBER: _ClassVar[int]
    ACKNOWLEDGED_AT_FIELD_NUMBER: _ClassVar[int]
    SOURCE_EVENT_ID_FIELD_NUMBER: _ClassVar[int]
    id: str
    rule_id: str
    rule_name: str
    user_id: str
    alert_type: str
    condition: str
    severity: str
    symbol: str
    provider: str
    message: str
    values: _containers.ScalarMap[str, float]
    timestamp: _timestamp_pb2.Timestamp
    acknowledged: bool
    acknowledged_by: str
    acknowledged_at: _timestamp_pb2.Timestamp
    source_event_id: str
    def __init__(self, id: _Optional[str] = ..., rule_id: _Optional[str] = ..., rule_name: _Optional[str] = ..., user_id: _Optional[str] = ..., alert_type: _Optional[str] = ..., condition: _Optional[str] = ..., severity: _Optional[str] = ..., symbol: _Optional[str] = ..., provider: _Optional[str] = ..., message: _Optional[str] = ..., values: _Optional[_Mapping[str, float]] = ..., timestamp: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., acknowledged: _Optional[bool] = ..., acknowledged_by: _Optional[str] = ..., acknowledged_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., source_event_id: _Optional[str] = ...) -> None: ...
