// Preload for running the ADL LRS conformance suite on Node 19 or later (docs/conformance.md):
//   NODE_OPTIONS="--require /absolute/path/to/tests/conformance/no-keepalive.js" node bin/console_runner.js ...
//
// Since Node 19 the default HTTP agents reuse connections (keep-alive). The suite predates that:
// when the server closes a reused connection, its request helper can wait on the dead socket
// forever and the run stalls. Agents without keep-alive open one connection per request, which
// is what the suite was written against.
'use strict';

const http = require('node:http');
const https = require('node:https');

http.globalAgent = new http.Agent({ keepAlive: false });
https.globalAgent = new https.Agent({ keepAlive: false });
