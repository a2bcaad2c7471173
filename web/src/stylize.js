/* The TensorFlow.js side: picking a backend, loading a converted model and stylising.
 *
 * It mirrors kerastransfer/inference/stylize.py: the network is the SavedModel's serving_default
 * signature (uint8 in, uint8 out; int32 in tfjs), and strength and keep-colours are
 * applied afterwards to its rounded output, with the same YUV matrices as
 * tf.image.rgb_to_yuv, so the page and the Python CLI give the same pixels.
 * `tf` is the global from vendor/tf.min.js (copied from npm by scripts/build.mjs). */
/* global tf */

export const BACKENDS = ['webgl', 'wasm', 'cpu'];

// tf.image.rgb_to_yuv / yuv_to_rgb kernels (TensorFlow's image_ops_impl.py).
const RGB_TO_YUV = [[0.299, -0.14714119, 0.61497538],
                    [0.587, -0.28886916, -0.51496512],
                    [0.114, 0.43601035, -0.10001026]];
const YUV_TO_RGB = [[1, 1, 1],
                    [0, -0.394642334, 2.03206185],
                    [1.13988303, -0.58062185, 0]];

/* The renderer behind WebGL is software (SwiftShader, llvmpipe...) on machines without a
 * usable GPU; there WebGL is slower than wasm, so it is not chosen automatically. */
function hasHardwareWebGL() {
  const canvas = document.createElement('canvas');
  const gl = canvas.getContext('webgl2') || canvas.getContext('webgl');
  if (!gl) return false;
  const info = gl.getExtension('WEBGL_debug_renderer_info');
  const renderer = String(gl.getParameter(info ? info.UNMASKED_RENDERER_WEBGL : gl.RENDERER));
  return !/swiftshader|llvmpipe|softpipe|software|basic render/i.test(renderer);
}

/* Sets the tfjs backend: `requested` if given, else webgl on a real GPU, wasm otherwise,
 * cpu last. Returns the name of the backend in use. */
export async function chooseBackend(requested) {
  tf.wasm.setWasmPaths(new URL('vendor/', document.baseURI).href);
  const order = requested ? [requested]
    : (hasHardwareWebGL() ? ['webgl', 'wasm', 'cpu'] : ['wasm', 'cpu']);
  for (const name of order) {
    try {
      if (await tf.setBackend(name)) {
        await tf.ready();
        return tf.getBackend();
      }
    } catch (e) {
      console.warn(`backend ${name} unavailable:`, e);
    }
  }
  throw new Error(`no TensorFlow.js backend could start (tried ${order.join(', ')})`);
}

export function loadModel(url) {
  return tf.loadGraphModel(url);
}

/* Longer side capped at maxSize, rounded as kerastransfer.inference.stylize.limit_size does. */
export function fitWithin(width, height, maxSize) {
  const longer = Math.max(width, height);
  if (!maxSize || longer <= maxSize) return [width, height];
  const scale = maxSize / longer;
  return [Math.max(1, Math.round(width * scale)), Math.max(1, Math.round(height * scale))];
}

/* int32 [H, W, 3] photo → int32 [H, W, 3] stylised, in [0, 255]. */
export function stylize(model, content) {
  return tf.tidy(() => model.execute(content.expandDims(0)).squeeze([0]));
}

function colorTransform(image, matrix) {
  const [h, w] = image.shape;
  return image.reshape([h * w, 3]).matMul(tf.tensor2d(matrix)).reshape([h, w, 3]);
}

/* Luminance-only transfer: the styled image's Y with the photo's U and V. Float [0, 255]. */
function preserveColors(styled, content) {
  const styledYuv = colorTransform(styled.div(255), RGB_TO_YUV);
  const contentYuv = colorTransform(content.div(255), RGB_TO_YUV);
  const mixed = tf.concat([styledYuv.slice([0, 0, 0], [-1, -1, 1]),
                           contentYuv.slice([0, 0, 1], [-1, -1, 2])], 2);
  return colorTransform(mixed, YUV_TO_RGB).mul(255).clipByValue(0, 255);
}

/* The picture shown: the network's output, colours kept if asked, blended with the photo
 * by `strength` in [0, 1]. int32 [H, W, 3]; the caller disposes it. */
export function compose(styled, content, strength, keepColors) {
  if (strength === 1 && !keepColors) return styled.clone();
  return tf.tidy(() => {
    const photo = content.toFloat();
    let out = styled.toFloat();
    if (keepColors) out = preserveColors(out, photo);
    out = out.mul(strength).add(photo.mul(1 - strength));
    return out.round().clipByValue(0, 255).toInt();
  });
}
