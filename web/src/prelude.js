/* Loaded before TensorFlow.js. Its bundled regenerator-runtime assigns the global
 * `regeneratorRuntime` and, if that throws (strict mode, no such global), falls back to
 * `Function(...)`, which this page's Content-Security-Policy forbids. Declaring the
 * global first keeps the bundle working without allowing 'unsafe-eval'. */
globalThis.regeneratorRuntime = undefined;
