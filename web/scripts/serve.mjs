// Serves the built page (web/dist) on loopback: npm --prefix web run serve [-- --port=8080]
// Options: --port=N (0 picks a free one), --host=127.0.0.1, --dir=web/dist.
// It sends the cross-origin isolation headers (COOP/COEP) that let the wasm backend use
// threads; any static server works too (python3 -m http.server -d web/dist), single-threaded.
import { createReadStream, existsSync, statSync } from 'node:fs';
import { createServer } from 'node:http';
import { dirname, extname, join, normalize, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const web = dirname(dirname(fileURLToPath(import.meta.url)));
const options = { port: '8080', host: '127.0.0.1', dir: join(web, 'dist') };
for (const arg of process.argv.slice(2)) {
  const match = /^--(port|host|dir)=(.*)$/.exec(arg);
  if (!match) {
    console.error(`error: unknown argument ${arg} (use --port=N, --host=H, --dir=D)`);
    process.exit(2);
  }
  options[match[1]] = match[2];
}
const port = Number(options.port);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(`error: --port must be an integer in 0..65535, got ${options.port}`);
  process.exit(2);
}
const root = resolve(options.dir);
if (!existsSync(join(root, 'index.html'))) {
  console.error(`error: ${root} has no index.html; run \`npm --prefix web run build\` first`);
  process.exit(1);
}

const TYPES = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8',
  '.json': 'application/json', '.wasm': 'application/wasm', '.bin': 'application/octet-stream',
  '.png': 'image/png', '.jpg': 'image/jpeg', '.svg': 'image/svg+xml',
};

/* The file a URL names inside the served folder, or null (missing, or outside it). */
function resolveRequest(url) {
  let path;
  try {
    path = normalize(join(root, decodeURIComponent(new URL(url, 'http://x').pathname)));
  } catch {
    return null;
  }
  if (path !== root && !path.startsWith(root + sep)) return null;
  if (existsSync(path) && statSync(path).isDirectory()) path = join(path, 'index.html');
  return existsSync(path) && statSync(path).isFile() ? path : null;
}

const server = createServer((request, response) => {
  const headers = {
    'Cross-Origin-Opener-Policy': 'same-origin',
    'Cross-Origin-Embedder-Policy': 'require-corp',
    'X-Content-Type-Options': 'nosniff',
    'Cache-Control': 'no-cache',
  };
  const path = resolveRequest(request.url);
  const status = !['GET', 'HEAD'].includes(request.method) ? 405 : (path ? 200 : 404);
  if (status !== 200) {
    response.writeHead(status, headers).end();
    return;
  }
  headers['Content-Type'] = TYPES[extname(path)] || 'application/octet-stream';
  headers['Content-Length'] = statSync(path).size;
  response.writeHead(200, headers);
  if (request.method === 'HEAD') response.end();
  else createReadStream(path).pipe(response);
});
server.on('error', (error) => {
  console.error(`error: ${error.message}`);
  process.exit(1);
});
server.listen(port, options.host, () => {
  const { address, port: actual } = server.address();
  console.log(`serving ${root} at http://${address}:${actual}/`);
});
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    server.close(() => process.exit(0));
    server.closeAllConnections();
  });
}
