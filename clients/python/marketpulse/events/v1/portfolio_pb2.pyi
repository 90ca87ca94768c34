from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from typing import ClassVar as _ClassVar, Optional as _Optional

DESCRIPTOR: _descriptor.FileDescriptor

class PositionUpdate(_message.Message):
    __slots__ = ("position_id", "symbol", "status", "spot_entry_price", "perp_entry_price", "spot_quantity", "perp_quantity", "unrealized_pnl", "funding_collected")
    POSITION_ID_FIELD_NUMBER: _ClassVar[int]
    SYMBOL_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    SPOT_ENTRY_PRICE_FIELD_NUMBER: _ClassVar[int]
    PERP_ENTRY_PRICE_FIELD_NUMBER: _ClassVar[int]
    SPOT_QUANTITY_FIELD_NUMBER: _ClassVar[int]
    PERP_QUANTITY_FIELD_NUMBER: _ClassVar[int]
    UNREALIZED_PNL_FIELD_NUMBER: _ClassVar[int]
    FUNDING_COLLECTED_FIELD_NUMBER: _ClassVar[int]
    position_id: str
    symbol: str
    status: str
    spot_entry_price: str
    perp_entry_price: str
    spot_quantity: str
    perp_quantity: str
    unrealized_pnl: str
    funding_collected: str
    def __init__(self, position_id: _Optional[str] = ..., symbol: _Optional[str] = ..., status: _Optional[str] = ..., spot_entry_price: _Optional[str] = ..., perp_entry_price: _Optional[str] = ..., spot_quantity: _Optional[str] = ..., perp_quantity: _Optional[str] = ..., unrealized_pnl: _Optional[str] = ..., funding_collected: _Optional[str] = ...) -> None: ...

class EquityUpdate(_message.Message):
    __slots__ = ("total_equity", "peak_equity", "current_equity")
    TOTAL_EQUITY_FIELD_NUMBER: _ClassVar[int]
    PEAK_EQUITY_FIELD_NUMBER: _ClassVar[int]
    CURRENT_EQUITY_FIELD_NUMBER: _ClassVar[int]
    total_equity: str
    peak_equity: str
    current_equity: str
    def __init__(self, total_equity: _Optional[str] = ..., peak_equity: _Optional[str] = ..., current_equity: _Optional[str] = ...) -> None: ...

class RiskStatusUpdate(_message.Message):
    __slots__ = ("status", "message", "drawdown_pct", "daily_loss_pct")
    STATUS_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    DRAWDOWN_PCT_FIELD_NUMBER: _ClassVar[int]
    DAILY_LOSS_PCT_FIELD_NUMBER: _ClassVar[int]
    status: str
    message: str
    drawdown_pct: str
    daily_loss_pct: str
    def __init__(self, status: _Optional[str] = ..., message: _Optional[str] = ..., drawdown_pct: _Optional[str] = ..., daily_loss_pct: _Optional[str] = ...) -> None: ...
