#!/usr/bin/env node
// The vnflab command. Runs the compiled CLI; `npm install` builds it (prepare), `npm run build` rebuilds.
try {
  require.resolve('../dist/main.js');
} catch {
  console.error('vnflab: not built yet; run `npm run build` in the repository root first');
  process.exit(1);
}
require('../dist/main.js')
  .main(process.argv.slice(2))
  .then(
    (code) => process.exit(code),
    (err) => {
      // an internal error, not a usage mistake: one line, the stack with VNFLAB_DEBUG=1
      console.error(`vnflab: ${err && err.message ? err.message : String(err)}`);
      if (process.env.VNFLAB_DEBUG) console.error(err && err.stack);
      process.exit(1);
    },
  );
