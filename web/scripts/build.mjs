// Builds the served folder, web/dist: the page (src/), the converted models (models/),
// the sample photo the page opens with (examples/chelsea.jpg, as sample.jpg), each style's
// painting (styles/, from its SavedModel's assets/, under its record's name) and TensorFlow.js with its wasm
// binaries copied from node_modules, so nothing is fetched from a CDN at run time.
// Run after `npm ci`: npm --prefix web run build
// (`-- --out=DIR` builds elsewhere; the end-to-end test builds into its own folder).
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const web = dirname(dirname(fileURLToPath(import.meta.url)));
const outArg = process.argv.slice(2).find((arg) => arg.startsWith('--out='));
const dist = resolve(outArg ? outArg.slice('--out='.length) : join(web, 'dist'));
const modules = join(web, 'node_modules', '@tensorflow');
const vendor = {
  'tf.min.js': join(modules, 'tfjs', 'dist', 'tf.es2017.min.js'),
  'tf-backend-wasm.min.js': join(modules, 'tfjs-backend-wasm', 'dist',
                                'tf-backend-wasm.es2017.min.js'),
};
for (const wasm of ['tfjs-backend-wasm.wasm', 'tfjs-backend-wasm-simd.wasm',
                    'tfjs-backend-wasm-threaded-simd.wasm']) {
  vendor[wasm] = join(modules, 'tfjs-backend-wasm', 'dist', wasm);
}

const missing = Object.values(vendor).filter((path) => !existsSync(path));
if (missing.length) {
  console.error(`error: ${missing[0]} is missing; run \`npm --prefix web ci\` first`);
  process.exit(1);
}
if (!existsSync(join(web, 'models', 'models.json'))) {
  console.error('error: web/models/models.json is missing; run python tools/export_tfjs.py');
  process.exit(1);
}
const repo = dirname(web);
const sample = join(repo, 'examples', 'chelsea.jpg');
if (!existsSync(sample)) {
  console.error(`error: ${sample} is missing (the photo the page opens with)`);
  process.exit(1);
}
// Each style's painting, as its SavedModel carries it (assets/, named by its record).
const paintings = {};
for (const model of JSON.parse(readFileSync(join(web, 'models', 'models.json'))).models) {
  const painting = join(repo, model.saved_model, 'assets', model.style_image || '');
  if (!model.style_image || !existsSync(painting)) {
    console.error(`error: ${painting} is missing (the painting of ${model.name})`);
    process.exit(1);
  }
  paintings[model.name] = painting;
}

// Replace only an earlier build (or nothing): never wipe a folder this script did not make.
if (existsSync(dist) && readdirSync(dist).length && !existsSync(join(dist, 'vendor', 'tf.min.js'))) {
  console.error(`error: ${dist} exists and is not an earlier build; choose another --out`);
  process.exit(1);
}
rmSync(dist, { recursive: true, force: true });
cpSync(join(web, 'src'), dist, { recursive: true });
cpSync(join(web, 'models'), join(dist, 'models'), { recursive: true });
cpSync(sample, join(dist, 'sample.jpg'));
mkdirSync(join(dist, 'styles'));
for (const [name, painting] of Object.entries(paintings)) {
  cpSync(painting, join(dist, 'styles', basename(painting)));
}
mkdirSync(join(dist, 'vendor'));
for (const [name, source] of Object.entries(vendor)) cpSync(source, join(dist, 'vendor', name));
console.log(`built ${dist}`);
