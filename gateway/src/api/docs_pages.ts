import { createReadStream, statSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { dirname, join } from 'node:path';

// Swagger UI and ReDoc come from their npm packages and are served by the gateway itself, so the
// pages work on a machine with no internet access (no CDN).
const SWAGGER_DIR = dirname(require.resolve('swagger-ui-dist/package.json'));
const REDOC_BUNDLE = join(dirname(require.resolve('redoc/package.json')), 'bundles', 'redoc.standalone.js');

const ASSETS: Record<string, { file: string; type: string }> = {
  '/docs/assets/swagger-ui.css': { file: join(SWAGGER_DIR, 'swagger-ui.css'), type: 'text/css; charset=utf-8' },
  '/docs/assets/swagger-ui-bundle.js': { file: join(SWAGGER_DIR, 'swagger-ui-bundle.js'), type: 'text/javascript; charset=utf-8' },
  '/docs/assets/swagger-ui-standalone-preset.js': {
    file: join(SWAGGER_DIR, 'swagger-ui-standalone-preset.js'),
    type: 'text/javascript; charset=utf-8',
  },
  '/docs/assets/favicon-32x32.png': { file: join(SWAGGER_DIR, 'favicon-32x32.png'), type: 'image/png' },
  '/redoc/assets/redoc.standalone.js': { file: REDOC_BUNDLE, type: 'text/javascript; charset=utf-8' },
};

const SWAGGER_HTML = `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>Marketpulse API - Swagger UI</title>
  <link rel="stylesheet" href="/docs/assets/swagger-ui.css">
  <link rel="icon" type="image/png" href="/docs/assets/favicon-32x32.png">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="/docs/assets/swagger-ui-bundle.js"></script>
  <script src="/docs/assets/swagger-ui-standalone-preset.js"></script>
  <script src="/docs/assets/init.js"></script>
</body>
</html>
`;

// Inline scripts would need a CSP exception; a tiny served file does not.
const SWAGGER_INIT = `window.ui = SwaggerUIBundle({
  url: '/openapi.json',
  dom_id: '#swagger-ui',
  deepLinking: true,
  persistAuthorization: true,
  presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset],
  layout: 'StandaloneLayout'
});
`;

const REDOC_HTML = `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>Marketpulse API - ReDoc</title>
  <meta name="viewport" content="width=device-width, initial-scale=1">
</head>
<body>
  <redoc spec-url="/openapi.json"></redoc>
  <script src="/redoc/assets/redoc.standalone.js"></script>
</body>
</html>
`;

function sendText(res: ServerResponse, type: string, text: string): void {
  res.writeHead(200, { 'content-type': type, 'content-length': Buffer.byteLength(text), 'cache-control': 'no-cache' });
  res.end(text);
}

/** Serves /docs (Swagger UI), /redoc (ReDoc) and their assets; false for any other path. */
export function serveDocs(req: IncomingMessage, res: ServerResponse, path: string): boolean {
  if (req.method !== 'GET' && req.method !== 'HEAD') return false;
  if (path === '/docs' || path === '/docs/') {
    sendText(res, 'text/html; charset=utf-8', SWAGGER_HTML);
    return true;
  }
  if (path === '/docs/assets/init.js') {
    sendText(res, 'text/javascript; charset=utf-8', SWAGGER_INIT);
    return true;
  }
  if (path === '/redoc' || path === '/redoc/') {
    sendText(res, 'text/html; charset=utf-8', REDOC_HTML);
    return true;
  }
  const asset = ASSETS[path];
  if (!asset) return false;
  const size = statSync(asset.file).size;
  res.writeHead(200, { 'content-type': asset.type, 'content-length': size, 'cache-control': 'public, max-age=86400' });
  if (req.method === 'HEAD') res.end();
  else createReadStream(asset.file).pipe(res);
  return true;
}
