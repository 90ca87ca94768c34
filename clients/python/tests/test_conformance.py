"""The Python conformance suite: every RPC of every service called with a valid request through the
generated stubs and marketpulse_client, the reason and field violations of an invalid request, and
one Kafka event decoded by its type. It runs against a running suite whose addresses are in the
environment (tests/contract/conformance.test.ts starts one and runs pytest with them): the same
MP_* variables as clients/go/conformance.
"""
import datetime
import os
import time
import uuid

import grpc
import pytest
from confluent_kafka import Consumer
from google.protobuf import field_mask_pb2, timestamp_pb2
from grpc_health.v1 import health_pb2, health_pb2_grpc

from marketpulse.alerting.v1 import alerting_pb2, alerting_service_pb2 as alerting, alerting_service_pb2_grpc
from marketpulse.events.v1 import event_pb2, portfolio_pb2
from marketpulse.market.v1 import market_pb2, market_service_pb2 as market, market_service_pb2_grpc
from marketpulse.prediction.v1 import prediction_service_pb2 as prediction, prediction_service_pb2_grpc
from marketpulse.providers.v1 import providers_service_pb2 as providers, providers_service_pb2_grpc
from marketpulse.realtime.v1 import publish_service_pb2 as publish, publish_service_pb2_grpc
from marketpulse.webhooks.v1 import webhooks_pb2, webhooks_service_pb2 as webhooks, webhooks_service_pb2_grpc
from marketpulse_client import decode_event, dial, read_error

USER = f"conformance-py-{uuid.uuid4().hex[:12]}"
ADDRESS_VARS = ["MP_MARKET_DATA_ADDR", "MP_PREDICTION_ADDR", "MP_ALERTING_ADDR", "MP_WEBHOOK_ADDR", "MP_PROVIDER_MONITOR_ADDR", "MP_PUBLISH_ADDR"]


def env(name):
    value = os.environ.get(name)
    if not value:
        pytest.skip(f"{name} is not set: run through tests/contract/conformance.test.ts, which starts the suite")
    return value


def channel(address_var, **kwargs):
    return dial(env(address_var), **kwargs)


def eventually(what, fn, timeout=60.0):
    deadline = time.monotonic() + timeout
    while True:
        result = fn()
        if result:
            return result
        if time.monotonic() > deadline:
            pytest.fail(f"gave up waiting for {what}")
        time.sleep(0.25)


def quietly(call):
    """The call's answer, or None when it failed (for polling)."""
    try:
        return call()
    except grpc.RpcError:
        return None


def timestamp(delta_seconds):
    ts = timestamp_pb2.Timestamp()
    ts.FromDatetime(datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=delta_seconds))
    return ts


def test_health_on_every_port():
    for var in ADDRESS_VARS:
        stub = health_pb2_grpc.HealthStub(channel(var))
        assert stub.Check(health_pb2.HealthCheckRequest()).status == health_pb2.HealthCheckResponse.SERVING, var


def test_market_data_service():
    stub = market_service_pb2_grpc.MarketDataServiceStub(channel("MP_MARKET_DATA_ADDR"))
    symbols = stub.ListSymbols(market.ListSymbolsRequest()).symbols
    assert symbols, "ListSymbols: no symbols"
    symbol = symbols[0].symbol

    quote = eventually(f"a quote of {symbol}", lambda: quietly(lambda: stub.GetQuote(market.GetQuoteRequest(symbol=symbol)))).quote
    assert quote.symbol == symbol and quote.price > 0

    candles = stub.GetCandles(market.GetCandlesRequest(symbol=symbol, interval="1m", start_time=timestamp(-3600))).candles
    assert all(c.symbol == symbol and c.interval == "1m" and c.high >= c.low for c in candles)

    stream = stub.StreamTicks(market.StreamTicksRequest(symbols=[symbol]), timeout=30)
    tick = next(stream).tick
    stream.cancel()
    assert isinstance(tick, market_pb2.Tick) and tick.symbol == symbol and tick.price > 0

    assert stub.GetProviderStats(market.GetProviderStatsRequest()).providers, "GetProviderStats: no provider"
    stub.ListDataQualityIssues(market.ListDataQualityIssuesRequest(symbol=symbol, limit=10))


def test_prediction_service():
    stub = prediction_service_pb2_grpc.PredictionServiceStub(channel("MP_PREDICTION_ADDR", call_timeout=60))
    symbol = "AAPL"
    p = eventually("a prediction", lambda: quietly(lambda: stub.GetPrediction(prediction.GetPredictionRequest(symbol=symbol, horizon_seconds=60)))).prediction
    assert p.symbol == symbol and p.horizon_seconds == 60 and p.predicted_price > 0
    assert p.interval.lower <= p.predicted_price <= p.interval.upper

    stream = stub.StreamPredictions(prediction.StreamPredictionsRequest(symbols=[symbol]), timeout=60)
    assert next(stream).prediction.symbol == symbol
    stream.cancel()

    # Training needs a few ticks of the symbol; a suite that just started may not have them yet.
    def train():
        try:
            return stub.TrainModel(prediction.TrainModelRequest(symbol=symbol, description="python conformance")).model
        except grpc.RpcError as error:
            if read_error(error).reason != "NOT_ENOUGH_DATA":
                raise
            return None

    model = eventually("enough ticks to train on", train)
    assert model.status == "trained" and model.version
    deployment = stub.DeployModel(prediction.DeployModelRequest(symbol=symbol, version=model.version, requested_by=USER)).deployment
    assert deployment.model.version == model.version
    versions = stub.ListModelVersions(prediction.ListModelVersionsRequest(symbol=symbol)).models
    assert len(versions) >= 2 and versions[0].version == model.version
    rolled = stub.RollbackModel(prediction.RollbackModelRequest(symbol=symbol, requested_by=USER)).deployment
    assert rolled.model.version != model.version

    backtest = stub.RunBacktest(prediction.RunBacktestRequest(symbol=symbol, horizon_seconds=60)).backtest
    assert backtest.id
    got = stub.GetBacktest(prediction.GetBacktestRequest(id=backtest.id)).backtest
    assert got.id == backtest.id and got.symbol == symbol


def test_alerting_service():
    stub = alerting_service_pb2_grpc.AlertingServiceStub(channel("MP_ALERTING_ADDR"))
    # Opened first, so the alert the rule below raises is streamed to it.
    stream = stub.StreamAlerts(alerting.StreamAlertsRequest(user_id=USER), timeout=60)

    # A move of 0.0001 % within a minute: the simulated feed makes one within seconds.
    rule = alerting_pb2.Rule(
        user_id=USER, name="python conformance", symbol="AAPL", severity="info", enabled=True, cooldown_seconds=3600,
        condition=alerting_pb2.RuleCondition(percent_move=alerting_pb2.PercentMoveCondition(percent=0.0001, window_seconds=60)),
    )
    created = stub.CreateRule(alerting.CreateRuleRequest(rule=rule)).rule
    assert created.id and created.user_id == USER and created.condition.WhichOneof("kind") == "percent_move"
    assert stub.GetRule(alerting.GetRuleRequest(id=created.id, user_id=USER)).rule.name == "python conformance"
    assert [r.id for r in stub.ListRules(alerting.ListRulesRequest(user_id=USER)).rules] == [created.id]

    alert = next(stream).alert
    stream.cancel()
    assert alert.rule_id == created.id and alert.user_id == USER

    alerts = eventually("the alert in the history", lambda: stub.ListAlerts(alerting.ListAlertsRequest(user_id=USER, hours=1)).alerts)
    acked = stub.AcknowledgeAlert(alerting.AcknowledgeAlertRequest(id=alerts[0].id, acknowledged_by=USER, user_id=USER)).alert
    assert acked.acknowledged and acked.acknowledged_by == USER

    updated = stub.UpdateRule(alerting.UpdateRuleRequest(rule=alerting_pb2.Rule(id=created.id, enabled=False), update_mask=field_mask_pb2.FieldMask(paths=["enabled"]), user_id=USER)).rule
    assert not updated.enabled and updated.name == "python conformance"

    stub.DeleteRule(alerting.DeleteRuleRequest(id=created.id, user_id=USER))
    with pytest.raises(grpc.RpcError) as gone:
        stub.GetRule(alerting.GetRuleRequest(id=created.id, user_id=USER))
    assert gone.value.code() == grpc.StatusCode.NOT_FOUND


def test_webhook_service():
    stub = webhooks_service_pb2_grpc.WebhookServiceStub(channel("MP_WEBHOOK_ADDR"))
    url = env("MP_WEBHOOK_URL")
    start = timestamp(-60)

    # Subscribed to a type no part of this run publishes for the user: the test event is its only delivery.
    endpoint = stub.CreateEndpoint(webhooks.CreateEndpointRequest(endpoint=webhooks_pb2.Endpoint(user_id=USER, url=url, events=["equity_update"], active=True))).endpoint
    assert endpoint.id and endpoint.secret and endpoint.url == url
    assert [e.id for e in stub.ListEndpoints(webhooks.ListEndpointsRequest(user_id=USER)).endpoints] == [endpoint.id]
    assert stub.GetEndpoint(webhooks.GetEndpointRequest(id=endpoint.id, user_id=USER)).endpoint.url == url

    updated = stub.UpdateEndpoint(webhooks.UpdateEndpointRequest(
        endpoint=webhooks_pb2.Endpoint(id=endpoint.id, description="python conformance"), update_mask=field_mask_pb2.FieldMask(paths=["description"]), user_id=USER,
    )).endpoint
    assert updated.description == "python conformance" and updated.url == url

    delivery = stub.SendTestEvent(webhooks.SendTestEventRequest(endpoint_id=endpoint.id, user_id=USER)).delivery
    assert delivery.endpoint_id == endpoint.id and delivery.status == "delivered" and len(delivery.attempts) == 1
    assert [d.id for d in stub.ListDeliveries(webhooks.ListDeliveriesRequest(endpoint_id=endpoint.id, user_id=USER)).deliveries] == [delivery.id]
    replayed = stub.ReplayDelivery(webhooks.ReplayDeliveryRequest(delivery_id=delivery.id, user_id=USER)).delivery
    assert replayed.id == delivery.id and len(replayed.attempts) == 2
    # Every delivery succeeded, so there is nothing to replay.
    assert stub.ReplayFailed(webhooks.ReplayFailedRequest(endpoint_id=endpoint.id, user_id=USER, start_time=start)).replayed_count == 0

    rotated = stub.RotateSecret(webhooks.RotateSecretRequest(endpoint_id=endpoint.id, user_id=USER, overlap_seconds=60))
    assert rotated.endpoint.secret and rotated.endpoint.secret != endpoint.secret and rotated.HasField("previous_secret_expires_at")
    stats = stub.GetEndpointStats(webhooks.GetEndpointStatsRequest(endpoint_id=endpoint.id, user_id=USER, hours=1)).stats
    assert stats.endpoint_id == endpoint.id and stats.delivered >= 1

    stub.DeleteEndpoint(webhooks.DeleteEndpointRequest(id=endpoint.id, user_id=USER))
    with pytest.raises(grpc.RpcError) as gone:
        stub.GetEndpoint(webhooks.GetEndpointRequest(id=endpoint.id, user_id=USER))
    assert gone.value.code() == grpc.StatusCode.NOT_FOUND


def test_provider_monitor_service():
    stub = providers_service_pb2_grpc.ProviderMonitorServiceStub(channel("MP_PROVIDER_MONITOR_ADDR"))
    name = env("MP_PROVIDER")

    def online():
        found = stub.ListProviders(providers.ListProvidersRequest(search=name)).providers
        return len(found) == 1 and found[0].name == name and found[0].status == "online"

    eventually(f"{name} checked and online", online)
    assert stub.GetProvider(providers.GetProviderRequest(name=name)).provider.name == name
    stats = stub.GetProviderStats(providers.GetProviderStatsRequest(name=name, hours=1)).stats
    assert stats.provider == name and stats.total_requests >= 1
    status = stub.GetStatus(providers.GetStatusRequest())
    assert status.total_apis >= 1 and status.online >= 1
    stub.GetMetricsHistory(providers.GetMetricsHistoryRequest(hours=1))
    limits = stub.ListRateLimits(providers.ListRateLimitsRequest()).rate_limits
    assert any(l.provider == name and l.limit_value == 600 for l in limits)
    assert stub.GetRateLimit(providers.GetRateLimitRequest(provider=name)).rate_limit.provider == name
    logs = stub.ListLogs(providers.ListLogsRequest(log_type="connection", hours=1, limit=10))
    assert logs.log_type == "connection" and len(logs.logs) >= 1
    scheduler = stub.GetSchedulerStatus(providers.GetSchedulerStatusRequest())
    assert scheduler.running and scheduler.jobs
    assert stub.TriggerJob(providers.TriggerJobRequest(job_id=scheduler.jobs[0].id)).status == "triggered"
    db_stats = stub.GetDatabaseStats(providers.GetDatabaseStatsRequest())
    assert db_stats.tables and db_stats.engine == "postgres"
    assert stub.GetDatabaseHealth(providers.GetDatabaseHealthRequest()).status == "healthy"
    assert stub.GetFailureAnalytics(providers.GetFailureAnalyticsRequest(hours=1)).hours == 1
    assert stub.GetConfigStats(providers.GetConfigStatsRequest()).total_providers >= 1


def position_event(subject):
    return event_pb2.Event(type="position_update", subject=subject, position_update=portfolio_pb2.PositionUpdate(
        position_id=subject, symbol="BTC/USDT", status="open", spot_quantity="1", spot_entry_price="100",
        perp_quantity="-1", perp_entry_price="101", funding_collected="0.5", unrealized_pnl="1.5",
    ))


def test_publish_service():
    stub = publish_service_pb2_grpc.PublishServiceStub(channel("MP_PUBLISH_ADDR", token=env("MP_PUBLISH_TOKEN")))
    published = stub.Publish(publish.PublishRequest(event=position_event("py-pos-1"))).event
    assert published.id and published.HasField("time") and published.position_update.symbol == "BTC/USDT"
    batch = stub.PublishBatch(publish.PublishBatchRequest(events=[position_event("py-pos-2"), position_event("py-pos-3")])).events
    assert [e.subject for e in batch] == ["py-pos-2", "py-pos-3"]

    # Without the token the gateway refuses, and says why.
    anonymous = publish_service_pb2_grpc.PublishServiceStub(channel("MP_PUBLISH_ADDR"))
    with pytest.raises(grpc.RpcError) as refused:
        anonymous.Publish(publish.PublishRequest(event=position_event("py-pos-4")))
    assert refused.value.code() == grpc.StatusCode.UNAUTHENTICATED


def test_invalid_request_carries_reason_and_field_violations():
    stub = alerting_service_pb2_grpc.AlertingServiceStub(channel("MP_ALERTING_ADDR"))
    with pytest.raises(grpc.RpcError) as invalid:
        stub.CreateRule(alerting.CreateRuleRequest(rule=alerting_pb2.Rule(user_id=USER, symbol="AAPL")))
    error = read_error(invalid.value)
    assert error.code == grpc.StatusCode.INVALID_ARGUMENT
    assert error.reason and error.domain, f"no google.rpc.ErrorInfo in the status details: {error}"
    assert "rule.name" in [v.field for v in error.violations], f"no google.rpc.BadRequest violation of rule.name: {error}"
    assert all(v.description for v in error.violations)
    print(f"invalid CreateRule: {error.code.name} reason={error.reason} domain={error.domain} violations={error.violations}")


def test_kafka_event_decodes_by_type():
    topic = env("MP_KAFKA_TOPIC_PREFIX") + "market_data_update"
    consumer = Consumer({
        "bootstrap.servers": env("MP_KAFKA_BROKERS"),
        "group.id": f"{env('MP_KAFKA_TOPIC_PREFIX')}conformance-py-{uuid.uuid4().hex[:8]}",
        "auto.offset.reset": "earliest",
        "enable.auto.commit": False,
    })
    try:
        consumer.subscribe([topic])
        deadline = time.monotonic() + 60
        record = None
        while record is None and time.monotonic() < deadline:
            message = consumer.poll(1.0)
            if message is not None and message.error() is None:
                record = message
        assert record is not None, f"no record on {topic}"
        event, payload = decode_event(record.value())
        assert event.type == "market_data_update" and isinstance(payload, market_pb2.Tick)
        assert record.key().decode() == event.subject == payload.symbol and payload.price > 0
        print(f"decoded {event.type} {event.id} from {topic}: {payload.symbol} at {payload.price}")
    finally:
        consumer.close()
