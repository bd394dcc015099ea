// Swagger UI for the contract, served from the local swagger-ui-dist package: no CDN, so the
// page works in a cluster without egress.
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import express, { type Router } from 'express';

const require = createRequire(import.meta.url);

/** Folder of the installed swagger-ui-dist package. */
function swaggerUiDir(): string {
  return dirname(require.resolve('swagger-ui-dist/package.json'));
}

const PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>event-sidecar API</title>
<link rel="stylesheet" href="/docs/swagger-ui.css">
<link rel="icon" type="image/png" href="/docs/favicon-32x32.png">
</head>
<body>
<div id="swagger-ui"></div>
<script src="/docs/swagger-ui-bundle.js"></script>
<script src="/docs/docs-init.js"></script>
</body>
</html>
`;

const INIT = `window.ui = SwaggerUIBundle({ url: '/openapi.json', dom_id: '#swagger-ui', deepLinking: true });\n`;

const ASSETS = new Set(['swagger-ui.css', 'swagger-ui-bundle.js', 'favicon-32x32.png', 'favicon-16x16.png']);

export function docsRouter(): Router {
  const router = express.Router({ strict: true });
  const page = (_req: express.Request, res: express.Response) => {
    res.type('html').send(PAGE);
  };
  router.get('/docs', page);
  router.get('/docs/', page);
  router.get('/docs/docs-init.js', (_req, res) => {
    res.type('js').send(INIT);
  });
  const files = express.static(swaggerUiDir(), { index: false, fallthrough: true, maxAge: '1h' });
  router.use('/docs', (req, res, next) => {
    if (!ASSETS.has(req.path.slice(1))) return next();
    files(req, res, next);
  });
  return router;
}
