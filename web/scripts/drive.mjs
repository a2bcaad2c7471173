// Drives the page in headless Chromium as a person would, and prints one JSON report.
// Used by tests/test_web.py and tools/benchmark_web.py.
//
//   node scripts/drive.mjs --url=http://127.0.0.1:8080/?backend=wasm --out=DIR \
//       (--image=photo.png [--repeat=N] [--strength=0..100] [--keep-colors] | --webcam=FRAMES
//        | --first-screen [--click-style=NAME])
//       [--max-size=512] [--chromium=/usr/bin/chromium] [--timeout=300]
//
// Every mode first waits for the first screen (the sample photo stylised, no upload) and
// saves DIR/first-screen.png; the report's first_screen has its status line, the style
// selected, how many style thumbnails loaded and the result's size. First-screen mode
// then downloads that result (DIR/first.png) and, with --click-style, clicks that style's
// thumbnail and downloads the re-stylised sample (DIR/clicked.png).
// Photo mode uploads the photo N times (#photo), downloads the result (DIR/result.png)
// and, with --strength or --keep-colors, moves those controls and downloads again
// (DIR/adjusted.png). Webcam mode runs live mode on Chromium's fake camera for FRAMES
// frames. Both save DIR/screenshot.png. The report has the backend, milliseconds per
// frame (#status data-ms), every console error, and every request that left the page's
// origin (there should be none).
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { chromium } from 'playwright-core';

const OPTIONS = ['url', 'out', 'image', 'repeat', 'strength', 'keep-colors', 'webcam',
                 'first-screen', 'click-style', 'max-size', 'chromium', 'timeout'];
const args = { 'max-size': '512', repeat: '1', chromium: '/usr/bin/chromium', timeout: '300' };
for (const arg of process.argv.slice(2)) {
  const match = /^--([a-z-]+)(?:=(.*))?$/.exec(arg);
  if (!match || !OPTIONS.includes(match[1])) {
    console.error(`error: unknown argument ${arg}`);
    process.exit(2);
  }
  args[match[1]] = match[2] ?? 'true';
}
if (!args.url || !args.out || !(args.image || args.webcam || args['first-screen'])) {
  console.error('error: --url, --out and one of --image, --webcam or --first-screen are required');
  process.exit(2);
}
const timeout = Number(args.timeout) * 1000;

const browser = await chromium.launch({
  executablePath: args.chromium,
  headless: true,
  // Offline and reproducible; the fake camera and auto-accepted prompt are for live mode.
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
         '--disable-background-networking', '--disable-component-update', '--disable-sync',
         '--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream'],
});
const report = { backend: null, ms: [], console_errors: [], remote_requests: [], status: null };
try {
  const context = await browser.newContext({ acceptDownloads: true,
                                             viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  page.setDefaultTimeout(timeout);
  const origin = new URL(args.url).origin;
  page.on('console', (message) => {
    if (message.type() === 'error') report.console_errors.push(message.text());
  });
  page.on('pageerror', (error) => report.console_errors.push(`pageerror: ${error.message}`));
  page.on('request', (request) => {
    const url = request.url();
    if (!url.startsWith(`${origin}/`) && !/^(blob|data):/.test(url)) report.remote_requests.push(url);
  });
  const status = page.locator('#status');
  const dataset = () => status.evaluate((el) => ({ ...el.dataset }));

  // Waits until #status satisfies want = {state, frames (at least), renders (at least)},
  // or the page reports an error.
  const waitFor = async (want) => {
    await page.waitForFunction((w) => {
      const d = document.getElementById('status').dataset;
      if (d.state === 'error') return true;
      return (!w.state || d.state === w.state) && Number(d.frames || 0) >= (w.frames || 0)
        && Number(d.renders || 0) >= (w.renders || 0);
    }, want, { timeout });
    const d = await dataset();
    if (d.state === 'error') throw new Error(`page error: ${await status.textContent()}`);
    return d;
  };
  const download = async (name) => {
    const [file] = await Promise.all([page.waitForEvent('download'), page.click('#download')]);
    report.download_name = file.suggestedFilename();
    await file.saveAs(join(args.out, name));
  };

  mkdirSync(args.out, { recursive: true });
  await page.goto(args.url);
  // The first screen: the sample photo stylised without any upload, thumbnails loaded.
  let frames = Number((await waitFor({ state: 'done', frames: 1 })).frames);
  await page.waitForFunction(() => [...document.querySelectorAll('#styles img')]
    .every((image) => image.complete));
  report.first_screen = await page.evaluate(() => ({
    status: document.getElementById('status').textContent,
    model: document.getElementById('model').value,
    pressed: [...document.querySelectorAll('#styles button[aria-pressed="true"]')]
      .map((button) => button.dataset.model),
    thumbnails: [...document.querySelectorAll('#styles img')]
      .filter((image) => image.naturalWidth > 0).length,
    result: [document.getElementById('result').width, document.getElementById('result').height],
  }));
  await page.screenshot({ path: join(args.out, 'first-screen.png'), fullPage: true });
  report.backend = await page.evaluate(() => tf.getBackend());  // eslint-disable-line no-undef
  if (await page.locator('#max-size').inputValue() !== args['max-size']) {
    await page.selectOption('#max-size', args['max-size']);  // the sample is stylised again
    frames = Number((await waitFor({ state: 'done', frames: frames + 1 })).frames);
  }
  if (args['first-screen']) {
    await download('first.png');
    if (args['click-style']) {
      await page.click(`#styles button[data-model="${args['click-style']}"]`);
      frames = Number((await waitFor({ state: 'done', frames: frames + 1 })).frames);
      report.caption = await page.locator('#result-caption').textContent();
      report.selected = await page.locator('#model').inputValue();
      await download('clicked.png');
    }
  } else if (args.webcam) {
    await page.click('#camera');
    for (let n = 1; n <= Number(args.webcam); n += 1) {
      report.ms.push(Number((await waitFor({ frames: frames + n })).ms));
    }
    await page.click('#camera');
    await waitFor({ state: 'done' });
  } else {
    for (let n = 1; n <= Number(args.repeat); n += 1) {
      await page.setInputFiles('#photo', []);  // else choosing the same file again is no change
      await page.setInputFiles('#photo', resolve(args.image));
      report.ms.push(Number((await waitFor({ state: 'done', frames: frames + n })).ms));
    }
    await download('result.png');
    if (args.strength || args['keep-colors']) {
      let renders = Number((await dataset()).renders);
      if (args['keep-colors']) {
        await page.check('#keep-colors');
        await waitFor({ renders: ++renders });
      }
      if (args.strength) {
        await page.fill('#strength', args.strength);
        await waitFor({ renders: ++renders });
      }
      await download('adjusted.png');
    }
  }
  report.status = await status.textContent();
  await page.screenshot({ path: join(args.out, 'screenshot.png'), fullPage: true });
} catch (error) {
  report.error = error.message.split('\n')[0];
} finally {
  await browser.close();
}
console.log(JSON.stringify(report));
process.exit(report.error ? 1 : 0);
