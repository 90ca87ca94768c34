import { forEachOpenApiProcedure, generateOpenApiDocument, type OpenAPIObject } from 'trpc-to-openapi';
import { SCOPES } from '../auth';
import { PAYLOAD_SCHEMAS } from '../events/publish_contracts';
import { appRouter } from './router';
import type { ApiMeta } from './trpc';

const ErrorBodySchema = {
  type: 'object',
  required: ['error'],
  properties: {
    error: {
      type: 'object',
      required: ['code', 'message'],
      properties: {
        code: {
          type: 'string',
          description:
            "Stable, machine-readable code, the reason of the service's google.rpc.Status ErrorInfo, or the gateway's own: e.g. INVALID_ARGUMENT, NOT_FOUND, SERVICE_UNAVAILABLE, BODY_TOO_LARGE, INTERNAL (see ERRORS.md).",
        },
        message: { type: 'string', description: 'What went wrong and what to do about it.' },
        details: {
          type: 'object',
          additionalProperties: true,
          description:
            'fields (each invalid input field: the google.rpc.Status BadRequest violations), service, error_id (INTERNAL: the log line to ask about), retry_after_seconds, required_scope, and the ErrorInfo metadata of the service.',
          properties: {
            fields: {
              type: 'array',
              items: {
                type: 'object',
                required: ['field', 'message'],
                properties: { field: { type: 'string' }, message: { type: 'string' } },
              },
            },
            error_id: { type: 'string' },
            service: { type: 'string' },
          },
        },
      },
    },
  },
} as const;

// The few OpenAPI object shapes touched here (trpc-to-openapi re-exports only the document type).
interface SchemaObject {
  properties?: Record<string, unknown>;
  required?: string[];
}
interface ParameterObject {
  in: string;
  name: string;
  required: boolean;
  schema: unknown;
}
interface OperationObject {
  parameters?: unknown[];
  requestBody?: unknown;
  responses?: Record<string, unknown>;
}
type ResponseObject = Record<string, unknown> & { description?: string };

const ERROR_CONTENT = { content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } };

// Statuses any procedure may answer with (auth, validation, ownership, limits, services down).
const ERROR_STATUSES: [string, string][] = [
  ['400', 'Invalid input: details.fields names each invalid field'],
  ['401', 'No valid credential'],
  ['403', 'The credential lacks the scope this needs, or may not read a channel it would reach (webhooks)'],
  ['404', 'Not found, or not yours'],
  ['409', 'Conflicts with the current state (already exists, changed meanwhile)'],
  ['412', 'A precondition the service checks does not hold (e.g. no trained model to deploy)'],
  ['413', 'The body exceeds HTTP_MAX_BODY_BYTES'],
  ['429', 'Rate limited; see the Retry-After header'],
  ['500', 'An unexpected failure; details.error_id names the log line'],
  [
    '503',
    'A service this needs is unavailable (details.service names it), or an earlier publish of the same event id has not finished (PUBLISH_IN_PROGRESS; see the Retry-After header)',
  ],
  ['504', 'A service this needs did not answer within the deadline'],
];

/** Seed paths that take their parameters from the query string although they are POSTs. */
const QUERY_ON_POST: Record<string, string[]> = { 'POST /api/v1/webhooks/test': ['webhook_id', 'event_type'] };

function moveBodyFieldsToQuery(op: OperationObject, names: string[]): void {
  const body = op.requestBody as { content?: Record<string, { schema?: SchemaObject }> } | undefined;
  const schema = body?.content?.['application/json']?.schema;
  if (!schema?.properties) return;
  const params: ParameterObject[] = names
    .filter((n) => schema.properties![n])
    .map((n) => ({ in: 'query', name: n, required: schema.required?.includes(n) ?? false, schema: schema.properties![n] as SchemaObject }));
  op.parameters = [...((op.parameters as ParameterObject[] | undefined) ?? []), ...params];
  const rest = Object.keys(schema.properties).filter((n) => !names.includes(n));
  if (rest.length === 0) delete op.requestBody;
}

/** The OpenAPI 3 document of every REST path, with one error shape and both credentials. */
export function buildOpenApiDocument(baseUrl: string, version: string): OpenAPIObject {
  const doc = generateOpenApiDocument(appRouter, {
    title: 'Marketpulse API',
    description:
      'REST face of the Marketpulse gateway (the same procedures are served as tRPC at /trpc). ' +
      'Authenticate with `Authorization: Bearer <JWT>` (HS256) or `X-API-Key: <key>`. Scopes: ' +
      Object.entries(SCOPES)
        .map(([s, d]) => `\`${s}\` (${d})`)
        .join('; ') +
      '. Every error answers `{"error": {"code", "message", "details"}}`; 429 carries Retry-After.',
    version,
    baseUrl,
    docsUrl: '/docs',
    securitySchemes: {
      Authorization: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' },
      ApiKey: { type: 'apiKey', in: 'header', name: 'X-API-Key' },
    },
    defs: PAYLOAD_SCHEMAS,
  });
  const schemas = Object.fromEntries(Object.entries(doc.components?.schemas ?? {}).filter(([name]) => !name.startsWith('error.')));
  doc.components = { ...doc.components, schemas: { ...schemas, Error: ErrorBodySchema as never } };
  forEachOpenApiProcedure(
    appRouter._def.procedures as never,
    ({ meta }: { meta: ApiMeta & { openapi: NonNullable<ApiMeta['openapi']> } }) => {
      const op = (doc.paths?.[meta.openapi.path] as Record<string, OperationObject> | undefined)?.[meta.openapi.method.toLowerCase()];
      if (!op) return;
      const success = op.responses?.['200'] as ResponseObject | undefined;
      const status = meta.successStatus ?? 200;
      op.responses = {
        [String(status)]:
          status === 204 ? { description: 'Done; no content' } : { ...success, description: success?.description ?? 'Successful response' },
        ...Object.fromEntries(ERROR_STATUSES.map(([code, description]) => [code, { description, ...ERROR_CONTENT }])),
      };
      const query = QUERY_ON_POST[`${meta.openapi.method} ${meta.openapi.path}`];
      if (query) moveBodyFieldsToQuery(op, query);
    },
  );
  return doc;
}
