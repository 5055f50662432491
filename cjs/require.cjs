/*
 * `require('dmashim')` lands here: the package is ES modules only, and a clear
 * message beats Node's ERR_PACKAGE_PATH_NOT_EXPORTED / ERR_REQUIRE_ESM.
 */
'use strict';

const err = new Error("dmashim is an ES module: use import (or await import('dmashim') from CommonJS)");
err.code = 'ERR_REQUIRE_ESM';
throw err;
