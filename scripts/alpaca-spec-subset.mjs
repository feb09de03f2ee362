// Cuts Alpaca's published OpenAPI specs down to the operations kobe calls, plus every component they
// reference (transitively), for the Prism mock test (test/contract/alpaca-prism.test.ts). The full
// specs are not ours to copy wholesale; the subset and the licence go to test/fixtures/alpaca/.
//
//   node scripts/alpaca-spec-subset.mjs <dir with trading-api.json and market-data-api.json> [out dir]
//
// When the adapter (src/core/broker/alpaca/, src/core/data/alpaca/) starts calling another
// endpoint, add it to OPERATIONS and re-run.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The operations kobe calls, per spec: path -> methods. */
const OPERATIONS = {
  'trading-api.json': {
    '/v2/account': ['get'],
    '/v2/positions': ['get'],
    '/v2/orders': ['get', 'post', 'delete'],
    '/v2/orders/{order_id}': ['get', 'patch', 'delete'],
    '/v2/orders:by_client_order_id': ['get'],
    '/v2/clock': ['get'],
    '/v2/calendar': ['get'],
  },
  'market-data-api.json': {
    '/v2/stocks/quotes/latest': ['get'],
    '/v2/stocks/bars': ['get'],
    '/v1/corporate-actions': ['get'],
  },
};
const LICENCE = 'LICENSE.alpaca-mcp-server.txt';
const METHODS = new Set(['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace']);

const [refDir, outDir = fileURLToPath(new URL('../test/fixtures/alpaca/', import.meta.url))] = process.argv.slice(2);
if (!refDir) {
  console.error('usage: node scripts/alpaca-spec-subset.mjs <reference dir> [out dir]');
  process.exit(2);
}

/** The value at a local JSON pointer ("#/components/schemas/Order"). */
function resolve(doc, ref) {
  let v = doc;
  for (const raw of ref.slice(2).split('/')) {
    const k = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (v === null || typeof v !== 'object' || !(k in v)) throw new Error(`unresolvable $ref ${ref}`);
    v = v[k];
  }
  return v;
}

/** Every local $ref reachable from `node`, followed through the components it names. */
function collectRefs(doc, node, seen) {
  if (Array.isArray(node)) return node.forEach((n) => collectRefs(doc, n, seen));
  if (node === null || typeof node !== 'object') return;
  for (const [k, v] of Object.entries(node)) {
    if (k === '$ref' && typeof v === 'string') {
      if (!v.startsWith('#/')) throw new Error(`external $ref ${v} is not supported`);
      if (!seen.has(v)) {
        seen.add(v);
        collectRefs(doc, resolve(doc, v), seen);
      }
    } else collectRefs(doc, v, seen);
  }
}

function subset(doc, operations) {
  const paths = {};
  for (const [p, methods] of Object.entries(operations)) {
    const item = doc.paths[p];
    if (!item) throw new Error(`${p} is not in the spec`);
    const kept = Object.fromEntries(Object.entries(item).filter(([k]) => !METHODS.has(k) || methods.includes(k)));
    for (const m of methods) if (!kept[m]) throw new Error(`${m.toUpperCase()} ${p} is not in the spec`);
    paths[p] = kept;
  }
  const refs = new Set();
  collectRefs(doc, paths, refs);
  // Components keep the source's order, so a re-run over the same spec gives the same file.
  const components = {};
  for (const [section, entries] of Object.entries(doc.components ?? {})) {
    if (section === 'securitySchemes') continue;
    for (const name of Object.keys(entries)) {
      const ref = `#/components/${section}/${name.replace(/~/g, '~0').replace(/\//g, '~1')}`;
      if (refs.has(ref)) (components[section] ??= {})[name] = entries[name];
    }
  }
  // The security requirements name their schemes without a $ref: keep the ones in use.
  const used = new Set();
  for (const req of [doc.security ?? [], ...Object.values(paths).flatMap((i) => Object.values(i).map((op) => op?.security ?? []))].flat()) {
    for (const name of Object.keys(req)) used.add(name);
  }
  const schemes = Object.fromEntries(Object.entries(doc.components?.securitySchemes ?? {}).filter(([n]) => used.has(n)));
  if (Object.keys(schemes).length) components.securitySchemes = schemes;
  const out = { openapi: doc.openapi, info: doc.info, servers: doc.servers, security: doc.security, paths, components };
  return Object.fromEntries(Object.entries(out).filter(([, v]) => v !== undefined));
}

fs.mkdirSync(outDir, { recursive: true });
for (const [file, operations] of Object.entries(OPERATIONS)) {
  const doc = JSON.parse(fs.readFileSync(path.join(refDir, file), 'utf8'));
  const out = subset(doc, operations);
  const target = path.join(outDir, file.replace(/\.json$/, '.subset.json'));
  fs.writeFileSync(target, `${JSON.stringify(out, null, 2)}\n`);
  const n = Object.values(out.components).reduce((s, c) => s + Object.keys(c).length, 0);
  console.log(`${path.relative(process.cwd(), target)}: ${Object.keys(out.paths).length} paths, ${n} components`);
}
// Written, not copied: the reference files may be read-only, the fixtures must not be.
fs.writeFileSync(path.join(outDir, LICENCE), fs.readFileSync(path.join(refDir, LICENCE)));
