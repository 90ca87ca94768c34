import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from marketpulse.alerting.v1 import alerting_pb2 as _alerting_pb2
from marketpulse.events.v1 import portfolio_pb2 as _portfolio_pb2
from marketpulse.events.v1 import system_pb2 as _system_pb2
from marketpulse.market.v1 import market_pb2 as _market_pb2
from marketpulse.prediction.v1 import prediction_pb2 as _prediction_pb2
from marketpulse.providers.v1 import providers_pb2 as _providers_pb2
from marketpulse.webhooks.v1 import webhooks_pb2 as _webhooks_pb2
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class Event(_message.Message):
    __slots__ = ("id", "type", "source", "subject", "time", "owner", "market_data_update", "aggregation", "data_quality_issue", "prediction_complete", "model_trained", "model_deployed", "backtest_complete", "alert_triggered", "provider_status_change", "rate_limit_alert", "status_update", "system_log", "system_error", "position_update", "equity_update", "risk_status_update", "webhook_delivery")
    ID_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    SUBJECT_FIELD_NUMBER: _ClassVar[int]
    TIME_FIELD_NUMBER: _ClassVar[int]
    OWNER_FIELD_NUMBER: _ClassVar[int]
    MARKET_DATA_UPDATE_FIELD_NUMBER: _ClassVar[int]
    AGGREGATION_FIELD_NUMBER: _ClassVar[int]
    DATA_QUALITY_ISSUE_FIELD_NUMBER: _ClassVar[int]
    PREDICTION_COMPLETE_FIELD_NUMBER: _ClassVar[int]
    MODEL_TRAINED_FIELD_NUMBER: _ClassVar[int]
    MODEL_DEPLOYED_FIELD_NUMBER: _ClassVar[int]
    BACKTEST_COMPLETE_FIELD_NUMBER: _ClassVar[int]
    ALERT_TRIGGERED_FIELD_NUMBER: _ClassVar[int]
    PROVIDER_STATUS_CHANGE_FIELD_NUMBER: _ClassVar[int]
    RATE_LIMIT_ALERT_FIELD_NUMBER: _ClassVar[int]
    STATUS_UPDATE_FIELD_NUMBER: _ClassVar[int]
    SYSTEM_LOG_FIELD_NUMBER: _ClassVar[int]
    SYSTEM_ERROR_FIELD_NUMBER: _ClassVar[int]
    POSITION_UPDATE_FIELD_NUMBER: _ClassVar[int]
    EQUITY_UPDATE_FIELD_NUMBER: _ClassVar[int]
    RISK_STATUS_UPDATE_FIELD_NUMBER: _ClassVar[int]
    WEBHOOK_DELIVERY_FIELD_NUMBER: _ClassVar[int]
    id: str
    type: str
    source: str
    subject: str
    time: _timestamp_pb2.Timestamp
    owner: str
    market_data_update: _market_pb2.Tick
    aggregation: _market_pb2.Candle
    data_quality_issue: _market_pb2.DataQualityIssue
    prediction_complete: _prediction_pb2.Prediction
    model_trained: _prediction_pb2.ModelVersion
    model_deployed: _prediction_pb2.ModelDeployment
    backtest_complete: _prediction_pb2.Backtest
    alert_triggered: _alerting_pb2.Alert
    provider_status_change: _providers_pb2.ProviderStatusChange
    rate_limit_alert: _providers_pb2.RateLimitAlert
    status_update: _providers_pb2.StatusUpdate
    system_log: _system_pb2.SystemLog
    system_error: _system_pb2.SystemError
    position_update: _portfolio_pb2.PositionUpdate
    equity_update: _portfolio_pb2.EquityUpdate
    risk_status_update: _portfolio_pb2.RiskStatusUpdate
    webhook_delivery: _webhooks_pb2.DeliveryOutcome
    def __init__(self, id: _Optional[str] = ..., type: _Optional[str] = ..., source: _Optional[str] = ..., subject: _Optional[str] = ..., time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., owner: _Optional[str] = ..., market_data_update: _Optional[_Union[_market_pb2.Tick, _Mapping]] = ..., aggregation: _Optional[_Union[_market_pb2.Candle, _Mapping]] = ..., data_quality_issue: _Optional[_Union[_market_pb2.DataQualityIssue, _Mapping]] = ..., prediction_complete: _Optional[_Union[_prediction_pb2.Prediction, _Mapping]] = ..., model_trained: _Optional[_Union[_prediction_pb2.ModelVersion, _Mapping]] = ..., model_deployed: _Optional[_Union[_prediction_pb2.ModelDeployment, _Mapping]] = ..., backtest_complete: _Optional[_Union[_prediction_pb2.Backtest, _Mapping]] = ..., alert_triggered: _Optional[_Union[_alerting_pb2.Alert, _Mapping]] = ..., provider_status_change: _Optional[_Union[_providers_pb2.ProviderStatusChange, _Mapping]] = ..., rate_limit_alert: _Optional[_Union[_providers_pb2.RateLimitAlert, _Mapping]] = ..., status_update: _Optional[_Union[_providers_pb2.StatusUpdate, _Mapping]] = ..., system_log: _Optional[_Union[_system_pb2.SystemLog, _Mapping]] = ..., system_error: _Optional[_Union[_system_pb2.SystemError, _Mapping]] = ..., position_update: _Optional[_Union[_portfolio_pb2.PositionUpdate, _Mapping]] = ..., equity_update: _Optional[_Union[_portfolio_pb2.EquityUpdate, _Mapping]] = ..., risk_status_update: _Optional[_Union[_portfolio_pb2.RiskStatusUpdate, _Mapping]] = ..., webhook_delivery: _Optional[_Union[_webhooks_pb2.DeliveryOutcome, _Mapping]] = ...) -> None: ...
