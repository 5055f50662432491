/*
 * The runner's process (src/bridge/paths.ts starts it when the build's runner-bundle.cjs is fresh): that bundle,
 * through V8's code cache (load-bundle.cjs).
 */
'use strict';
const { join } = require('node:path');
const { load_bundle } = require('./load-bundle.cjs');

load_bundle(join(__dirname, '..', 'dist', 'src', 'bridge', 'runner-bundle.cjs'));
