#!/usr/bin/env node
// The `tf2jax` command. Committed (not built) so that `npm ci` links it before the first build;
// the CLI itself is compiled to dist/ by `npm run build`.
import "../dist/main.js"
