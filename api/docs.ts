// The interactive API reference at /docs: Swagger UI (the npm package swagger-ui-dist, maintained by SmartBear),
// rendering /openapi.json in the browser. Everything loads from this origin: the page, Swagger UI's script and
// stylesheet from node_modules (a fixed list of files under /docs/assets), and the initializer below; no CDN, no
// validator badge (validatorUrl null), no telemetry. "Try it out" sends requests to this origin (the document's
// servers entry is "/"); the Authorize button takes an API key for the bearer scheme.
import fs from 'node:fs';
import path from 'node:path';
import { Router, type Response } from 'express';

const swaggerUiDir = (require('swagger-ui-dist') as { getAbsoluteFSPath: () => string }).getAbsoluteFSPath();

/** The only files served from swagger-ui-dist, with their content types. */
const assets: Record<string, string> = {
  'swagger-ui.css': 'text/css; charset=utf-8',
  'swagger-ui-bundle.js': 'text/javascript; charset=utf-8',
  'favicon-32x32.png': 'image/png',
  'favicon-16x16.png': 'image/png',
};

/** Swagger UI's configuration: an own file, so that the page needs no inline script. */
const initializer = `window.addEventListener('load', function () {
  window.ui = SwaggerUIBundle({
    url: '/openapi.json',
    dom_id: '#swagger-ui',
    deepLinking: true,
    docExpansion: 'list',
    filter: true,
    validatorUrl: null,
    persistAuthorization: false,
    displayRequestDuration: true,
    supportedSubmitMethods: ['get', 'post', 'put', 'delete'],
    presets: [SwaggerUIBundle.presets.apis],
    layout: 'BaseLayout'
  });
});
`;

export const docsHtml = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Rights casework API</title>
<link rel="stylesheet" href="/docs/assets/swagger-ui.css">
<link rel="icon" type="image/png" href="/docs/assets/favicon-32x32.png" sizes="32x32">
<style>body { margin: 0; } .swagger-ui .topbar { display: none; }</style>
</head>
<body>
<div id="swagger-ui"></div>
<script src="/docs/assets/swagger-ui-bundle.js"></script>
<script src="/docs/assets/init.js"></script>
</body>
</html>
`;

/**
 * Scripts, styles, images and API calls from this origin only. Swagger UI sets style attributes (hence
 * 'unsafe-inline' for styles only) and shows data: images (its icons).
 */
export const docsContentSecurityPolicy =
  "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self'; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

function setDocHeaders(res: Response) {
  res.setHeader('Content-Security-Policy', docsContentSecurityPolicy);
  res.setHeader('X-Content-Type-Options', 'nosniff');
}

/**
 * GET /docs/assets/<file>: Swagger UI's own files and the initializer; anything else is 404 (next). Static files of
 * the page, not operations of the API: a middleware, not a declared route.
 */
export function docsAssets(): Router {
  const r = Router();
  const cache = new Map<string, Buffer>();
  r.use('/docs/assets', (req, res, next) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') return next();
    const file = req.path.replace(/^\//, '');
    setDocHeaders(res);
    if (file === 'init.js') return void res.type('text/javascript; charset=utf-8').send(initializer);
    const type = assets[file];
    if (!type) return next();
    let body = cache.get(file);
    if (!body) cache.set(file, (body = fs.readFileSync(path.join(swaggerUiDir, file))));
    res.setHeader('Cache-Control', 'public, max-age=3600');
    res.type(type).send(body);
  });
  return r;
}

export { setDocHeaders };
