#!/usr/bin/env node
// The vnflab command. Runs the compiled CLI; `npm install` builds it (prepare), `npm run build` rebuilds.
try {
  require.resolve('../dist/main.js');
} catch {
  console.error('vnflab: not built yet; run `npm run build` in the repository root first');
  process.exit(1);
}
require('../dist/main.js').main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err) => {
    console.error(`vnflab: ${err && err.message ? err.message : String(err)}`);
    process.exit(1);
  },
);
