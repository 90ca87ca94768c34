import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class Prediction(_message.Message):
    __slots__ = ("id", "symbol", "horizon_seconds", "predicted_price", "confidence", "interval", "model_version", "current_price", "timestamp", "target_time")
    ID_FIELD_NUMBER: _ClassVar[int]
    SYMBOL_FIELD_NUMBER: _ClassVar[int]
    HORIZON_SECONDS_FIELD_NUMBER: _ClassVar[int]
    PREDICTED_PRICE_FIELD_NUMBER: _ClassVar[int]
    CONFIDENCE_FIELD_NUMBER: _ClassVar[int]
    INTERVAL_FIELD_NUMBER: _ClassVar[int]
    MODEL_VERSION_FIELD_NUMBER: _ClassVar[int]
    CURRENT_PRICE_FIELD_NUMBER: _ClassVar[int]
    TIMESTAMP_FIELD_NUMBER: _ClassVar[int]
    TARGET_TIME_FIELD_NUMBER: _ClassVar[int]
    id: str
    symbol: str
    horizon_seconds: int
    predicted_price: float
    confidence: float
    interval: ConfidenceInterval
    model_version: str
    current_price: float
    timestamp: _timestamp_pb2.Timestamp
    target_time: _timestamp_pb2.Timestamp
    def __init__(self, id: _Optional[str] = ..., symbol: _Optional[str] = ..., horizon_seconds: _Optional[int] = ..., predicted_price: _Optional[float] = ..., confidence: _Optional[float] = ..., interval: _Optional[_Union[ConfidenceInterval, _Mapping]] = ..., model_version: _Optional[str] = ..., current_price: _Optional[float] = ..., timestamp: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., target_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class ConfidenceInterval(_message.Message):
    __slots__ = ("lower", "upper", "level")
    LOWER_FIELD_NUMBER: _ClassVar[int]
    UPPER_FIELD_NUMBER: _ClassVar[int]
    LEVEL_FIELD_NUMBER: _ClassVar[int]
    lower: float
    upper: float
    level: float
    def __init__(self, lower: _Optional[float] = ..., upper: _Optional[float] = ..., level: _Optional[float] = ...) -> None: ...

class ModelMetrics(_message.Message):
    __slots__ = ("mae", "rmse", "mape", "directional_accuracy", "interval_coverage", "samples")
    MAE_FIELD_NUMBER: _ClassVar[int]
    RMSE_FIELD_NUMBER: _ClassVar[int]
    MAPE_FIELD_NUMBER: _ClassVar[int]
    DIRECTIONAL_ACCURACY_FIELD_NUMBER: _ClassVar[int]
    INTERVAL_COVERAGE_FIELD_NUMBER: _ClassVar[int]
    SAMPLES_FIELD_NUMBER: _ClassVar[int]
    mae: float
    rmse: float
    mape: float
    directional_accuracy: float
    interval_coverage: float
    samples: int
    def __init__(self, mae: _Optional[float] = ..., rmse: _Optional[float] = ..., mape: _Optional[float] = ..., directional_accuracy: _Optional[float] = ..., interval_coverage: _Optional[float] = ..., samples: _Optional[int] = ...) -> None: ...

class ModelVersion(_message.Message):
    __slots__ = ("version", "symbol", "algorithm", "status", "metrics", "parameters", "description", "training_start", "training_end", "created_at", "trained_at", "deployed_at", "error")
    class ParametersEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    VERSION_FIELD_NUMBER: _ClassVar[int]
    SYMBOL_FIELD_NUMBER: _ClassVar[int]
    ALGORITHM_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    METRICS_FIELD_NUMBER: _ClassVar[int]
    PARAMETERS_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    TRAINING_START_FIELD_NUMBER: _ClassVar[int]
    TRAINING_END_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    TRAINED_AT_FIELD_NUMBER: _ClassVar[int]
    DEPLOYED_AT_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    version: str
    symbol: str
    algorithm: str
    status: str
    metrics: ModelMetrics
    parameters: _containers.ScalarMap[str, str]
    description: str
    training_start: _timestamp_pb2.Timestamp
    training_end: _timestamp_pb2.Timestamp
    created_at: _timestamp_pb2.Timestamp
    trained_at: _timestamp_pb2.Timestamp
    deployed_at: _timestamp_pb2.Timestamp
    error: str
    def __init__(self, version: _Optional[str] = ..., symbol: _Optional[str] = ..., algorithm: _Optional[str] = ..., status: _Optional[str] = ..., metrics: _Optional[_Union[ModelMetrics, _Mapping]] = ..., parameters: _Optional[_Mapping[str, str]] = ..., description: _Optional[str] = ..., training_start: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., training_end: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., trained_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., deployed_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., error: _Optional[str] = ...) -> None: ...

class ModelDeployment(_message.Message):
    __slots__ = ("model", "previous_version", "rollback", "deployed_by", "deployed_at")
    MODEL_FIELD_NUMBER: _ClassVar[int]
    PREVIOUS_VERSION_FIELD_NUMBER: _ClassVar[int]
    ROLLBACK_FIELD_NUMBER: _ClassVar[int]
    DEPLOYED_BY_FIELD_NUMBER: _ClassVar[int]
    DEPLOYED_AT_FIELD_NUMBER: _ClassVar[int]
    model: ModelVersion
    previous_version: str
    rollback: bool
    deployed_by: str
    deployed_at: _timestamp_pb2.Timestamp
    def __init__(self, model: _Optional[_Union[ModelVersion, _Mapping]] = ..., previous_version: _Optional[str] = ..., rollback: _Optional[bool] = ..., deployed_by: _Optional[str] = ..., deployed_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class Backtest(_message.Message):
    __slots__ = ("id", "symbol", "model_version", "horizon_seconds", "start_time", "end_time", "status", "metrics", "created_at", "completed_at", "error")
    ID_FIELD_NUMBER: _ClassVar[int]
    SYMBOL_FIELD_NUMBER: _ClassVar[int]
    MODEL_VERSION_FIELD_NUMBER: _ClassVar[int]
    HORIZON_SECONDS_FIELD_NUMBER: _ClassVar[int]
    START_TIME_FIELD_NUMBER: _ClassVar[int]
    END_TIME_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    METRICS_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    COMPLETED_AT_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    id: str
    symbol: str
    model_version: str
    horizon_seconds: int
    start_time: _timestamp_pb2.Timestamp
    end_time: _timestamp_pb2.Timestamp
    status: str
    metrics: ModelMetrics
    created_at: _timestamp_pb2.Timestamp
    completed_at: _timestamp_pb2.Timestamp
    error: str
    def __init__(self, id: _Optional[str] = ..., symbol: _Optional[str] = ..., model_version: _Optional[str] = ..., horizon_seconds: _Optional[int] = ..., start_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., end_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., status: _Optional[str] = ..., metrics: _Optional[_Union[ModelMetrics, _Mapping]] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., completed_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., error: _Optional[str] = ...) -> None: ...
