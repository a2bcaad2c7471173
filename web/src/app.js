/* The page: controls in, pictures out. The TensorFlow.js work is in stylize.js.
 *
 * The page opens with the sample photo (sample.jpg) already stylised, and shows each
 * style as a thumbnail of its painting (styles/, from the models' assets) to click.
 *
 * Query parameters (also what the end-to-end test and the benchmark use):
 *   ?backend=webgl|wasm|cpu  force a backend (default: chosen for this device)
 *   ?model=NAME              the style selected first
 * #status carries data-state (loading, ready, busy, done, error) and, after each frame,
 * data-ms (milliseconds from the decoded picture to the result drawn) and data-frames;
 * data-renders counts every redraw of the result (a strength or keep-colours change too). */
/* global tf */
import { chooseBackend, compose, fitWithin, loadModel, stylize } from './stylize.js';

const $ = (id) => document.getElementById(id);
const MIN_SIDE = 32;  // the networks need at least 32×32

const state = {
  backend: null, models: [], model: null, modelName: null,
  file: null, content: null, styled: null, frames: 0, renders: 0, live: null,
};

function setStatus(kind, text) {
  $('status').dataset.state = kind;
  $('status').textContent = text;
}

function showError(error) {
  console.error(error);
  setStatus('error', `Error: ${error.message || error}`);
}

function entry(name) {
  return state.models.find((m) => m.name === name);
}

async function selectModel(name) {
  const model = entry(name);
  setStatus('loading', `Loading ${model.title}…`);
  const loaded = await loadModel(new URL(`models/${model.path}`, document.baseURI).href);
  if (state.model) state.model.dispose();
  state.model = loaded;
  state.modelName = name;
  const steps = model.steps ? `, ${model.steps} training steps` : '';
  $('result-caption').textContent = `${model.title}${steps}`;
  $('model').value = name;
  for (const button of $('styles').querySelectorAll('button')) {
    button.setAttribute('aria-pressed', String(button.dataset.model === name));
  }
}

/* One button per style: a thumbnail of its painting and its title. */
function addStyleButtons() {
  for (const model of state.models) {
    const button = document.createElement('button');
    button.type = 'button';
    button.dataset.model = model.name;
    button.title = `Style of ${model.title}`;
    button.setAttribute('aria-pressed', 'false');
    if (model.style_image) {
      const image = document.createElement('img');
      image.src = `styles/${encodeURIComponent(model.style_image)}`;
      image.alt = model.title;
      button.append(image);
    }
    const caption = document.createElement('span');
    caption.textContent = model.title;
    button.append(caption);
    $('styles').append(button);
  }
}

/* The photo the page opens with, stylised before the user does anything. */
async function loadSample() {
  const response = await fetch('sample.jpg');
  if (!response.ok) throw new Error(`sample.jpg: HTTP ${response.status}`);
  state.file = new File([await response.blob()], 'sample.jpg', { type: 'image/jpeg' });
  await stylizePhoto();
  $('status').textContent += ' · a sample photo: choose a style, your own photo or the webcam';
}

/* Runs the network on one decoded picture and draws photo and result. */
async function processFrame(bitmap) {
  if (bitmap.width < MIN_SIDE || bitmap.height < MIN_SIDE) {
    throw new Error(`the picture is ${bitmap.width}×${bitmap.height} at this max size; ` +
                    `at least ${MIN_SIDE}×${MIN_SIDE} is needed`);
  }
  const start = performance.now();
  const content = tf.browser.fromPixels(bitmap);
  const styled = stylize(state.model, content);
  tf.dispose([state.content, state.styled]);
  state.content = content;
  state.styled = styled;
  await render();
  const ms = performance.now() - start;
  state.frames += 1;
  const status = $('status');
  status.dataset.ms = ms.toFixed(1);
  status.dataset.frames = String(state.frames);
  await tf.browser.toPixels(content, $('content-view'));
  setStatus(state.live ? 'busy' : 'done',
            `${state.backend} backend · ${bitmap.width}×${bitmap.height} · ` +
            `${ms.toFixed(0)} ms per frame`);
  $('download').disabled = false;
}

/* Strength and keep-colours only recombine the last result: no network run. */
async function render() {
  if (!state.styled) return;
  const strength = Number($('strength').value) / 100;
  const shown = compose(state.styled, state.content, strength, $('keep-colors').checked);
  try {
    await tf.browser.toPixels(shown, $('result'));
    state.renders += 1;
    $('status').dataset.renders = String(state.renders);
  } finally {
    shown.dispose();
  }
}

/* Decodes the photo with its longer side capped, so a large photo never becomes a large
 * tensor; the browser's high-quality resampling does the downscale. */
async function decodePhoto(file) {
  const maxSize = Number($('max-size').value);
  const options = { colorSpaceConversion: 'none', premultiplyAlpha: 'none' };
  const full = await createImageBitmap(file, options);
  const [width, height] = fitWithin(full.width, full.height, maxSize);
  if (width === full.width && height === full.height) return full;
  try {
    return await createImageBitmap(full, { ...options, resizeWidth: width,
                                           resizeHeight: height, resizeQuality: 'high' });
  } finally {
    full.close();
  }
}

async function stylizePhoto() {
  if (!state.file || !state.model) return;
  setStatus('busy', `Stylising on ${state.backend}…`);
  const bitmap = await decodePhoto(state.file);
  try {
    await processFrame(bitmap);
  } finally {
    bitmap.close();
  }
}

async function startCamera() {
  const stream = await navigator.mediaDevices.getUserMedia({ video: true, audio: false });
  const video = $('video');
  video.srcObject = stream;
  await video.play();
  state.live = stream;
  $('camera').textContent = 'Stop webcam';
  while (state.live === stream) {
    const [width, height] = fitWithin(video.videoWidth, video.videoHeight,
                                      Number($('max-size').value));
    const frame = await createImageBitmap(video, { resizeWidth: width, resizeHeight: height });
    try {
      if (state.live === stream) await exclusive(() => processFrame(frame));
    } finally {
      frame.close();
    }
    await tf.nextFrame();
  }
}

function stopCamera() {
  if (!state.live) return;
  state.live.getTracks().forEach((track) => track.stop());
  state.live = null;
  $('camera').textContent = 'Start webcam';
  setStatus('done', `${state.backend} backend · webcam stopped`);
}

function download() {
  const stem = state.live ? 'webcam' : (state.file?.name || 'photo').replace(/\.[^.]*$/, '');
  $('result').toBlob((blob) => {
    const link = document.createElement('a');
    link.href = URL.createObjectURL(blob);
    link.download = `${stem}-${state.modelName}.png`;
    link.click();
    setTimeout(() => URL.revokeObjectURL(link.href), 10000);
  }, 'image/png');
}

/* One task at a time: a new photo, a slider move and a webcam frame never interleave, so
 * no tensor is disposed while another task still reads it. */
let queue = Promise.resolve();
function exclusive(task) {
  const run = queue.then(task);
  queue = run.catch(() => {});
  return run;
}

/* An event handler, run exclusively, whose failure is shown on the page. */
function guarded(handler) {
  return (event) => exclusive(() => handler(event)).catch(showError);
}

function wireControls() {
  $('photo').addEventListener('change', guarded(async (event) => {
    stopCamera();
    state.file = event.target.files[0] || null;
    await stylizePhoto();
  }));
  const chooseStyle = guarded(async (name) => {
    await selectModel(name);
    if (!state.live) await (state.file ? stylizePhoto() : setStatus('ready', 'Ready'));
  });
  $('model').addEventListener('change', (event) => chooseStyle(event.target.value));
  $('styles').addEventListener('click', (event) => {
    const button = event.target.closest('button[data-model]');
    if (button && button.dataset.model !== state.modelName) chooseStyle(button.dataset.model);
  });
  $('max-size').addEventListener('change', guarded(stylizePhoto));
  $('strength').addEventListener('input', guarded(async () => {
    $('strength-value').textContent = `${$('strength').value}%`;
    await render();
  }));
  $('keep-colors').addEventListener('change', guarded(render));
  $('camera').addEventListener('click', () => {  // the webcam loop queues each frame itself
    (state.live ? exclusive(stopCamera) : startCamera()).catch((error) => {
      stopCamera();
      showError(error);
    });
  });
  $('download').addEventListener('click', download);
  $('backend').addEventListener('change', (event) => {
    const params = new URLSearchParams(location.search);
    if (event.target.value) params.set('backend', event.target.value);
    else params.delete('backend');
    location.search = params.toString();  // a backend holds the model: start afresh
  });
}

async function main() {
  const params = new URLSearchParams(location.search);
  $('backend').value = params.get('backend') || '';
  state.backend = await chooseBackend(params.get('backend'));
  const response = await fetch('models/models.json');
  if (!response.ok) throw new Error(`models/models.json: HTTP ${response.status}`);
  state.models = (await response.json()).models;
  if (!state.models.length) throw new Error('models/models.json lists no models');
  for (const model of state.models) {
    $('model').add(new Option(`${model.title} (${(model.bytes / 1e6).toFixed(1)} MB)`, model.name));
  }
  const first = entry(params.get('model')) ? params.get('model') : state.models[0].name;
  addStyleButtons();
  await selectModel(first);
  wireControls();
  await exclusive(loadSample);  // the first screen: the sample photo, already stylised
}

main().catch(showError);
