// The Go conformance suite: every RPC of every service called with a valid request through the
// generated client and mpclient, the reason and field violations of an invalid request, and one
// Kafka event decoded by its type. It runs against a running suite whose addresses are in the
// environment (tests/contract/conformance.test.ts starts one and runs `go test` with them):
//
//	MP_MARKET_DATA_ADDR MP_PREDICTION_ADDR MP_ALERTING_ADDR MP_WEBHOOK_ADDR
//	MP_PROVIDER_MONITOR_ADDR MP_PUBLISH_ADDR MP_PUBLISH_TOKEN MP_KAFKA_BROKERS
//	MP_KAFKA_TOPIC_PREFIX MP_WEBHOOK_URL MP_PROVIDER
package conformance

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/protobuf/types/known/fieldmaskpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	alertingv1 "marketpulse.dev/clients/go/marketpulse/alerting/v1"
	eventsv1 "marketpulse.dev/clients/go/marketpulse/events/v1"
	marketv1 "marketpulse.dev/clients/go/marketpulse/market/v1"
	predictionv1 "marketpulse.dev/clients/go/marketpulse/prediction/v1"
	providersv1 "marketpulse.dev/clients/go/marketpulse/providers/v1"
	realtimev1 "marketpulse.dev/clients/go/marketpulse/realtime/v1"
	webhooksv1 "marketpulse.dev/clients/go/marketpulse/webhooks/v1"
	"marketpulse.dev/clients/go/mpclient"
)

// user owns what this suite creates, apart from any other client of the same suite.
var user = fmt.Sprintf("conformance-go-%d", time.Now().UnixNano())

func env(t *testing.T, name string) string {
	t.Helper()
	v := os.Getenv(name)
	if v == "" {
		t.Skipf("%s is not set: run through tests/contract/conformance.test.ts, which starts the suite", name)
	}
	return v
}

func dial(t *testing.T, addrVar string, opts mpclient.Options) *grpc.ClientConn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := mpclient.Dial(ctx, env(t, addrVar), opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}

func ok(t *testing.T, what string, err error) {
	t.Helper()
	if err != nil {
		e, _ := mpclient.ReadError(err)
		t.Fatalf("%s: %v (reason %q, violations %v)", what, err, e.Reason, e.Violations)
	}
}

func check(t *testing.T, cond bool, format string, args ...any) {
	t.Helper()
	if !cond {
		t.Fatalf(format, args...)
	}
}

// eventually retries fn until it returns true or 60 s pass (events travel through Kafka).
func eventually(t *testing.T, what string, fn func() bool) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for !fn() {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting for %s", what)
		}
		time.Sleep(250 * time.Millisecond)
	}
}

func TestHealthOnEveryPort(t *testing.T) {
	for _, addrVar := range []string{"MP_MARKET_DATA_ADDR", "MP_PREDICTION_ADDR", "MP_ALERTING_ADDR", "MP_WEBHOOK_ADDR", "MP_PROVIDER_MONITOR_ADDR", "MP_PUBLISH_ADDR"} {
		res, err := healthpb.NewHealthClient(dial(t, addrVar, mpclient.Options{})).Check(context.Background(), &healthpb.HealthCheckRequest{})
		ok(t, addrVar+" Health/Check", err)
		check(t, res.GetStatus() == healthpb.HealthCheckResponse_SERVING, "%s: %s", addrVar, res.GetStatus())
	}
}

func TestMarketDataService(t *testing.T) {
	c := marketv1.NewMarketDataServiceClient(dial(t, "MP_MARKET_DATA_ADDR", mpclient.Options{}))
	ctx := context.Background()

	symbols, err := c.ListSymbols(ctx, &marketv1.ListSymbolsRequest{})
	ok(t, "ListSymbols", err)
	check(t, len(symbols.GetSymbols()) > 0, "ListSymbols: no symbols")
	symbol := symbols.GetSymbols()[0].GetSymbol()

	var quote *marketv1.GetQuoteResponse
	eventually(t, "a quote of "+symbol, func() bool {
		quote, err = c.GetQuote(ctx, &marketv1.GetQuoteRequest{Symbol: symbol})
		return err == nil && quote.GetQuote().GetPrice() > 0
	})
	check(t, quote.GetQuote().GetSymbol() == symbol, "GetQuote: symbol %q", quote.GetQuote().GetSymbol())

	candles, err := c.GetCandles(ctx, &marketv1.GetCandlesRequest{Symbol: symbol, Interval: "1m", StartTime: timestamppb.New(time.Now().Add(-time.Hour))})
	ok(t, "GetCandles", err)
	for _, candle := range candles.GetCandles() {
		check(t, candle.GetSymbol() == symbol && candle.GetInterval() == "1m" && candle.GetHigh() >= candle.GetLow(), "GetCandles: %v", candle)
	}

	streamCtx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	stream, err := c.StreamTicks(streamCtx, &marketv1.StreamTicksRequest{Symbols: []string{symbol}})
	ok(t, "StreamTicks", err)
	tick, err := stream.Recv()
	ok(t, "StreamTicks.Recv", err)
	check(t, tick.GetTick().GetSymbol() == symbol && tick.GetTick().GetPrice() > 0, "StreamTicks: %v", tick)
	cancel()

	stats, err := c.GetProviderStats(ctx, &marketv1.GetProviderStatsRequest{})
	ok(t, "GetProviderStats", err)
	check(t, len(stats.GetProviders()) > 0, "GetProviderStats: no provider")

	_, err = c.ListDataQualityIssues(ctx, &marketv1.ListDataQualityIssuesRequest{Symbol: symbol, Limit: 10})
	ok(t, "ListDataQualityIssues", err)
}

func TestPredictionService(t *testing.T) {
	c := predictionv1.NewPredictionServiceClient(dial(t, "MP_PREDICTION_ADDR", mpclient.Options{CallTimeout: 60 * time.Second}))
	ctx := context.Background()
	const symbol = "AAPL"

	var prediction *predictionv1.GetPredictionResponse
	var err error
	eventually(t, "a prediction of "+symbol, func() bool {
		prediction, err = c.GetPrediction(ctx, &predictionv1.GetPredictionRequest{Symbol: symbol, HorizonSeconds: 60})
		return err == nil
	})
	p := prediction.GetPrediction()
	check(t, p.GetSymbol() == symbol && p.GetHorizonSeconds() == 60 && p.GetPredictedPrice() > 0, "GetPrediction: %v", p)
	check(t, p.GetInterval().GetLower() <= p.GetPredictedPrice() && p.GetPredictedPrice() <= p.GetInterval().GetUpper(), "GetPrediction: price outside its interval: %v", p)

	streamCtx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	stream, err := c.StreamPredictions(streamCtx, &predictionv1.StreamPredictionsRequest{Symbols: []string{symbol}})
	ok(t, "StreamPredictions", err)
	streamed, err := stream.Recv()
	ok(t, "StreamPredictions.Recv", err)
	check(t, streamed.GetPrediction().GetSymbol() == symbol, "StreamPredictions: %v", streamed)
	cancel()

	// Training needs a few ticks of the symbol; a suite that just started may not have them yet.
	var trained *predictionv1.TrainModelResponse
	eventually(t, "enough ticks to train on", func() bool {
		trained, err = c.TrainModel(ctx, &predictionv1.TrainModelRequest{Symbol: symbol, Description: "go conformance"})
		e, _ := mpclient.ReadError(err)
		if err != nil && e.Reason != "NOT_ENOUGH_DATA" {
			ok(t, "TrainModel", err)
		}
		return err == nil
	})
	version := trained.GetModel().GetVersion()
	check(t, trained.GetModel().GetStatus() == "trained" && version != "", "TrainModel: %v", trained.GetModel())

	deployed, err := c.DeployModel(ctx, &predictionv1.DeployModelRequest{Symbol: symbol, Version: version, RequestedBy: user})
	ok(t, "DeployModel", err)
	check(t, deployed.GetDeployment().GetModel().GetVersion() == version, "DeployModel: %v", deployed.GetDeployment())

	versions, err := c.ListModelVersions(ctx, &predictionv1.ListModelVersionsRequest{Symbol: symbol})
	ok(t, "ListModelVersions", err)
	check(t, len(versions.GetModels()) >= 2 && versions.GetModels()[0].GetVersion() == version, "ListModelVersions: newest is not %s: %v", version, versions.GetModels())

	rolled, err := c.RollbackModel(ctx, &predictionv1.RollbackModelRequest{Symbol: symbol, RequestedBy: user})
	ok(t, "RollbackModel", err)
	check(t, rolled.GetDeployment().GetModel().GetVersion() != version, "RollbackModel kept %s deployed", version)

	backtest, err := c.RunBacktest(ctx, &predictionv1.RunBacktestRequest{Symbol: symbol, HorizonSeconds: 60})
	ok(t, "RunBacktest", err)
	check(t, backtest.GetBacktest().GetId() != "", "RunBacktest: no id")

	got, err := c.GetBacktest(ctx, &predictionv1.GetBacktestRequest{Id: backtest.GetBacktest().GetId()})
	ok(t, "GetBacktest", err)
	check(t, got.GetBacktest().GetId() == backtest.GetBacktest().GetId() && got.GetBacktest().GetSymbol() == symbol, "GetBacktest: %v", got.GetBacktest())
}

func TestAlertingService(t *testing.T) {
	c := alertingv1.NewAlertingServiceClient(dial(t, "MP_ALERTING_ADDR", mpclient.Options{}))
	ctx := context.Background()

	// Opened first, so the alert the rule below raises is streamed to it.
	streamCtx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	stream, err := c.StreamAlerts(streamCtx, &alertingv1.StreamAlertsRequest{UserId: user})
	ok(t, "StreamAlerts", err)

	// A move of 0.0001 % within a minute: the simulated feed makes one within seconds.
	created, err := c.CreateRule(ctx, &alertingv1.CreateRuleRequest{Rule: &alertingv1.Rule{
		UserId: user, Name: "go conformance", Symbol: "AAPL", Severity: "info", Enabled: true, CooldownSeconds: 3600,
		Condition: &alertingv1.RuleCondition{Kind: &alertingv1.RuleCondition_PercentMove{PercentMove: &alertingv1.PercentMoveCondition{Percent: 0.0001, WindowSeconds: 60}}},
	}})
	ok(t, "CreateRule", err)
	rule := created.GetRule()
	check(t, rule.GetId() != "" && rule.GetUserId() == user && rule.GetCondition().GetPercentMove() != nil, "CreateRule: %v", rule)

	got, err := c.GetRule(ctx, &alertingv1.GetRuleRequest{Id: rule.GetId(), UserId: user})
	ok(t, "GetRule", err)
	check(t, got.GetRule().GetName() == "go conformance", "GetRule: %v", got.GetRule())

	listed, err := c.ListRules(ctx, &alertingv1.ListRulesRequest{UserId: user})
	ok(t, "ListRules", err)
	check(t, len(listed.GetRules()) == 1 && listed.GetRules()[0].GetId() == rule.GetId(), "ListRules: %v", listed.GetRules())

	alert, err := stream.Recv()
	ok(t, "StreamAlerts.Recv", err)
	check(t, alert.GetAlert().GetRuleId() == rule.GetId() && alert.GetAlert().GetUserId() == user, "StreamAlerts: %v", alert.GetAlert())
	cancel()

	var alerts *alertingv1.ListAlertsResponse
	eventually(t, "the alert in the history", func() bool {
		alerts, err = c.ListAlerts(ctx, &alertingv1.ListAlertsRequest{UserId: user, Hours: 1})
		return err == nil && len(alerts.GetAlerts()) > 0
	})
	acked, err := c.AcknowledgeAlert(ctx, &alertingv1.AcknowledgeAlertRequest{Id: alerts.GetAlerts()[0].GetId(), AcknowledgedBy: user, UserId: user})
	ok(t, "AcknowledgeAlert", err)
	check(t, acked.GetAlert().GetAcknowledged() && acked.GetAlert().GetAcknowledgedBy() == user, "AcknowledgeAlert: %v", acked.GetAlert())

	updated, err := c.UpdateRule(ctx, &alertingv1.UpdateRuleRequest{Rule: &alertingv1.Rule{Id: rule.GetId(), Enabled: false}, UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"enabled"}}, UserId: user})
	ok(t, "UpdateRule", err)
	check(t, !updated.GetRule().GetEnabled() && updated.GetRule().GetName() == "go conformance", "UpdateRule: %v", updated.GetRule())

	_, err = c.DeleteRule(ctx, &alertingv1.DeleteRuleRequest{Id: rule.GetId(), UserId: user})
	ok(t, "DeleteRule", err)
	_, err = c.GetRule(ctx, &alertingv1.GetRuleRequest{Id: rule.GetId(), UserId: user})
	e, _ := mpclient.ReadError(err)
	check(t, e.Code == codes.NotFound, "GetRule after DeleteRule: %v", err)
}

func TestWebhookService(t *testing.T) {
	c := webhooksv1.NewWebhookServiceClient(dial(t, "MP_WEBHOOK_ADDR", mpclient.Options{}))
	ctx := context.Background()
	url := env(t, "MP_WEBHOOK_URL")
	start := timestamppb.New(time.Now().Add(-time.Minute))

	// Subscribed to a type no part of this run publishes for the user: the test event is its only delivery.
	created, err := c.CreateEndpoint(ctx, &webhooksv1.CreateEndpointRequest{Endpoint: &webhooksv1.Endpoint{UserId: user, Url: url, Events: []string{"equity_update"}, Active: true}})
	ok(t, "CreateEndpoint", err)
	endpoint := created.GetEndpoint()
	check(t, endpoint.GetId() != "" && endpoint.GetSecret() != "" && endpoint.GetUrl() == url, "CreateEndpoint: %v", endpoint)
	id := endpoint.GetId()

	listed, err := c.ListEndpoints(ctx, &webhooksv1.ListEndpointsRequest{UserId: user})
	ok(t, "ListEndpoints", err)
	check(t, len(listed.GetEndpoints()) == 1 && listed.GetEndpoints()[0].GetId() == id, "ListEndpoints: %v", listed.GetEndpoints())

	got, err := c.GetEndpoint(ctx, &webhooksv1.GetEndpointRequest{Id: id, UserId: user})
	ok(t, "GetEndpoint", err)
	check(t, got.GetEndpoint().GetUrl() == url, "GetEndpoint: %v", got.GetEndpoint())

	updated, err := c.UpdateEndpoint(ctx, &webhooksv1.UpdateEndpointRequest{Endpoint: &webhooksv1.Endpoint{Id: id, Description: "go conformance"}, UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"description"}}, UserId: user})
	ok(t, "UpdateEndpoint", err)
	check(t, updated.GetEndpoint().GetDescription() == "go conformance" && updated.GetEndpoint().GetUrl() == url, "UpdateEndpoint: %v", updated.GetEndpoint())

	sent, err := c.SendTestEvent(ctx, &webhooksv1.SendTestEventRequest{EndpointId: id, UserId: user})
	ok(t, "SendTestEvent", err)
	delivery := sent.GetDelivery()
	check(t, delivery.GetEndpointId() == id && delivery.GetStatus() == "delivered" && len(delivery.GetAttempts()) == 1, "SendTestEvent: %v", delivery)

	deliveries, err := c.ListDeliveries(ctx, &webhooksv1.ListDeliveriesRequest{EndpointId: id, UserId: user})
	ok(t, "ListDeliveries", err)
	check(t, len(deliveries.GetDeliveries()) == 1 && deliveries.GetDeliveries()[0].GetId() == delivery.GetId(), "ListDeliveries: %v", deliveries.GetDeliveries())

	replayed, err := c.ReplayDelivery(ctx, &webhooksv1.ReplayDeliveryRequest{DeliveryId: delivery.GetId(), UserId: user})
	ok(t, "ReplayDelivery", err)
	check(t, replayed.GetDelivery().GetId() == delivery.GetId() && len(replayed.GetDelivery().GetAttempts()) == 2, "ReplayDelivery: %v", replayed.GetDelivery())

	// Every delivery succeeded, so there is nothing to replay.
	failed, err := c.ReplayFailed(ctx, &webhooksv1.ReplayFailedRequest{EndpointId: id, UserId: user, StartTime: start})
	ok(t, "ReplayFailed", err)
	check(t, failed.GetReplayedCount() == 0, "ReplayFailed: %v", failed)

	rotated, err := c.RotateSecret(ctx, &webhooksv1.RotateSecretRequest{EndpointId: id, UserId: user, OverlapSeconds: 60})
	ok(t, "RotateSecret", err)
	check(t, rotated.GetEndpoint().GetSecret() != "" && rotated.GetEndpoint().GetSecret() != endpoint.GetSecret() && rotated.GetPreviousSecretExpiresAt() != nil, "RotateSecret: %v", rotated)

	stats, err := c.GetEndpointStats(ctx, &webhooksv1.GetEndpointStatsRequest{EndpointId: id, UserId: user, Hours: 1})
	ok(t, "GetEndpointStats", err)
	check(t, stats.GetStats().GetEndpointId() == id && stats.GetStats().GetDelivered() >= 1, "GetEndpointStats: %v", stats.GetStats())

	_, err = c.DeleteEndpoint(ctx, &webhooksv1.DeleteEndpointRequest{Id: id, UserId: user})
	ok(t, "DeleteEndpoint", err)
	_, err = c.GetEndpoint(ctx, &webhooksv1.GetEndpointRequest{Id: id, UserId: user})
	e, _ := mpclient.ReadError(err)
	check(t, e.Code == codes.NotFound, "GetEndpoint after DeleteEndpoint: %v", err)
}

func TestProviderMonitorService(t *testing.T) {
	c := providersv1.NewProviderMonitorServiceClient(dial(t, "MP_PROVIDER_MONITOR_ADDR", mpclient.Options{}))
	ctx := context.Background()
	name := env(t, "MP_PROVIDER")

	eventually(t, name+" checked and online", func() bool {
		providers, err := c.ListProviders(ctx, &providersv1.ListProvidersRequest{Search: name})
		return err == nil && len(providers.GetProviders()) == 1 && providers.GetProviders()[0].GetName() == name && providers.GetProviders()[0].GetStatus() == "online"
	})

	provider, err := c.GetProvider(ctx, &providersv1.GetProviderRequest{Name: name})
	ok(t, "GetProvider", err)
	check(t, provider.GetProvider().GetName() == name, "GetProvider: %v", provider.GetProvider())

	stats, err := c.GetProviderStats(ctx, &providersv1.GetProviderStatsRequest{Name: name, Hours: 1})
	ok(t, "GetProviderStats", err)
	check(t, stats.GetStats().GetProvider() == name && stats.GetStats().GetTotalRequests() >= 1, "GetProviderStats: %v", stats.GetStats())

	status, err := c.GetStatus(ctx, &providersv1.GetStatusRequest{})
	ok(t, "GetStatus", err)
	check(t, status.GetTotalApis() >= 1 && status.GetOnline() >= 1, "GetStatus: %v", status)

	_, err = c.GetMetricsHistory(ctx, &providersv1.GetMetricsHistoryRequest{Hours: 1})
	ok(t, "GetMetricsHistory", err)

	limits, err := c.ListRateLimits(ctx, &providersv1.ListRateLimitsRequest{})
	ok(t, "ListRateLimits", err)
	found := false
	for _, l := range limits.GetRateLimits() {
		found = found || (l.GetProvider() == name && l.GetLimitValue() == 600)
	}
	check(t, found, "ListRateLimits: no 600/minute limit of %s: %v", name, limits.GetRateLimits())

	limit, err := c.GetRateLimit(ctx, &providersv1.GetRateLimitRequest{Provider: name})
	ok(t, "GetRateLimit", err)
	check(t, limit.GetRateLimit().GetProvider() == name, "GetRateLimit: %v", limit.GetRateLimit())

	logs, err := c.ListLogs(ctx, &providersv1.ListLogsRequest{LogType: "connection", Hours: 1, Limit: 10})
	ok(t, "ListLogs", err)
	check(t, logs.GetLogType() == "connection" && len(logs.GetLogs()) >= 1, "ListLogs: %v", logs)

	scheduler, err := c.GetSchedulerStatus(ctx, &providersv1.GetSchedulerStatusRequest{})
	ok(t, "GetSchedulerStatus", err)
	check(t, scheduler.GetRunning() && len(scheduler.GetJobs()) > 0, "GetSchedulerStatus: %v", scheduler)

	triggered, err := c.TriggerJob(ctx, &providersv1.TriggerJobRequest{JobId: scheduler.GetJobs()[0].GetId()})
	ok(t, "TriggerJob", err)
	check(t, triggered.GetStatus() == "triggered", "TriggerJob: %v", triggered)

	dbStats, err := c.GetDatabaseStats(ctx, &providersv1.GetDatabaseStatsRequest{})
	ok(t, "GetDatabaseStats", err)
	check(t, len(dbStats.GetTables()) > 0 && dbStats.GetEngine() == "postgres", "GetDatabaseStats: %v", dbStats)

	dbHealth, err := c.GetDatabaseHealth(ctx, &providersv1.GetDatabaseHealthRequest{})
	ok(t, "GetDatabaseHealth", err)
	check(t, dbHealth.GetStatus() == "healthy", "GetDatabaseHealth: %v", dbHealth)

	failures, err := c.GetFailureAnalytics(ctx, &providersv1.GetFailureAnalyticsRequest{Hours: 1})
	ok(t, "GetFailureAnalytics", err)
	check(t, failures.GetHours() == 1, "GetFailureAnalytics: %v", failures)

	config, err := c.GetConfigStats(ctx, &providersv1.GetConfigStatsRequest{})
	ok(t, "GetConfigStats", err)
	check(t, config.GetTotalProviders() >= 1, "GetConfigStats: %v", config)
}

func positionEvent(subject string) *eventsv1.Event {
	return &eventsv1.Event{Type: "position_update", Subject: subject, Payload: &eventsv1.Event_PositionUpdate{PositionUpdate: &eventsv1.PositionUpdate{
		PositionId: subject, Symbol: "BTC/USDT", Status: "open", SpotQuantity: "1", SpotEntryPrice: "100", PerpQuantity: "-1", PerpEntryPrice: "101", FundingCollected: "0.5", UnrealizedPnl: "1.5",
	}}}
}

func TestPublishService(t *testing.T) {
	c := realtimev1.NewPublishServiceClient(dial(t, "MP_PUBLISH_ADDR", mpclient.Options{Token: env(t, "MP_PUBLISH_TOKEN")}))
	ctx := context.Background()

	published, err := c.Publish(ctx, &realtimev1.PublishRequest{Event: positionEvent("go-pos-1")})
	ok(t, "Publish", err)
	check(t, published.GetEvent().GetId() != "" && published.GetEvent().GetTime() != nil && published.GetEvent().GetPositionUpdate().GetSymbol() == "BTC/USDT", "Publish: %v", published.GetEvent())

	batch, err := c.PublishBatch(ctx, &realtimev1.PublishBatchRequest{Events: []*eventsv1.Event{positionEvent("go-pos-2"), positionEvent("go-pos-3")}})
	ok(t, "PublishBatch", err)
	check(t, len(batch.GetEvents()) == 2 && batch.GetEvents()[1].GetSubject() == "go-pos-3", "PublishBatch: %v", batch.GetEvents())

	// Without the token the gateway refuses, and says why.
	anonymous := realtimev1.NewPublishServiceClient(dial(t, "MP_PUBLISH_ADDR", mpclient.Options{}))
	_, err = anonymous.Publish(ctx, &realtimev1.PublishRequest{Event: positionEvent("go-pos-4")})
	e, _ := mpclient.ReadError(err)
	check(t, e.Code == codes.Unauthenticated, "Publish without a token: %v", err)
}

func TestInvalidRequestCarriesReasonAndFieldViolations(t *testing.T) {
	c := alertingv1.NewAlertingServiceClient(dial(t, "MP_ALERTING_ADDR", mpclient.Options{}))
	_, err := c.CreateRule(context.Background(), &alertingv1.CreateRuleRequest{Rule: &alertingv1.Rule{UserId: user, Symbol: "AAPL"}})
	e, isStatus := mpclient.ReadError(err)
	check(t, isStatus && e.Code == codes.InvalidArgument, "CreateRule without a name: %v", err)
	check(t, e.Reason != "" && e.Domain != "", "no google.rpc.ErrorInfo in the status details: %+v", e)
	fields := []string{}
	for _, v := range e.Violations {
		fields = append(fields, v.Field)
		check(t, v.Description != "", "violation of %s has no description", v.Field)
	}
	check(t, strings.Contains(strings.Join(fields, ","), "rule.name"), "no google.rpc.BadRequest violation of rule.name: %+v", e)
	t.Logf("invalid CreateRule: code %s, reason %s, domain %s, violations %v", e.Code, e.Reason, e.Domain, e.Violations)
}

func TestKafkaEventDecodesByType(t *testing.T) {
	topic := env(t, "MP_KAFKA_TOPIC_PREFIX") + "market_data_update"
	client, err := kgo.NewClient(
		kgo.SeedBrokers(strings.Split(env(t, "MP_KAFKA_BROKERS"), ",")...),
		kgo.ConsumeTopics(topic),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
	)
	ok(t, "kafka client", err)
	defer client.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	for {
		fetches := client.PollRecords(ctx, 1)
		if ctx.Err() != nil {
			t.Fatalf("no record on %s: %v", topic, ctx.Err())
		}
		if errs := fetches.Errors(); len(errs) > 0 {
			t.Logf("fetch: %v (retrying)", errs)
			continue
		}
		records := fetches.Records()
		if len(records) == 0 {
			continue
		}
		record := records[0]
		event, payload, err := mpclient.DecodeEvent(record.Value)
		ok(t, "DecodeEvent", err)
		tick, isTick := payload.(*marketv1.Tick)
		check(t, event.GetType() == "market_data_update" && isTick, "type %q, payload %T", event.GetType(), payload)
		check(t, string(record.Key) == event.GetSubject() && tick.GetSymbol() == event.GetSubject() && tick.GetPrice() > 0, "record key %q, event %v", record.Key, event)
		t.Logf("decoded %s %s from %s: %s at %v", event.GetType(), event.GetId(), topic, tick.GetSymbol(), tick.GetPrice())
		return
	}
}
