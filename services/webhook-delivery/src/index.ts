export { startWebhookDelivery, type WebhookDeliveryDeps, type WebhookDeliveryHandle } from './service';
export { loadConfig, webhookDeliveryConfigSchema, type WebhookDeliveryConfig } from './config';
export { WebhookApi, type DeliveryView, type EndpointView } from './endpoint_api/webhook_api';
export { webhookDeliveryErrors, type WebhookDeliveryReason } from './errors';
export { webhookBody, type WebhookBody } from './payload/webhook_body';
export { AddressGuard } from './address_guard/address_guard';
export { classifyAddress } from './address_guard/address_ranges';
