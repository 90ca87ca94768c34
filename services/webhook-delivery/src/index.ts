export { startWebhookDelivery, type WebhookDeliveryDeps, type WebhookDeliveryHandle } from './service';
export { loadWebhookConfig, webhookConfigSchema, type WebhookConfig } from './config';
export { WebhookApi, type DeliveryView, type EndpointView } from './endpoint_api/webhook_api';
export { webhookErrors, type WebhookErrorCode } from './errors';
export { webhookBody, type WebhookBody } from './payload/webhook_body';
