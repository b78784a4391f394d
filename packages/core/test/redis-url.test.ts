import { busUrlProblem, ioredisTarget, redactUrl, withBusPassword } from '../src/bus/redis-url';

describe('bus URLs', () => {
  test('a Unix socket URL becomes the socket path ioredis connects to, with its db', () => {
    expect(ioredisTarget('unix:///run/redis/redis.sock')).toBe('/run/redis/redis.sock');
    expect(ioredisTarget('unix:///tmp/a%20b.sock?db=2')).toBe('/tmp/a b.sock?db=2');
    expect(ioredisTarget('redis://:pw@10.0.0.1:6379/1')).toBe('redis://:pw@10.0.0.1:6379/1');
  });

  test('each malformed URL is refused with the reason', () => {
    expect(busUrlProblem('redis://127.0.0.1:6379')).toBeNull();
    expect(busUrlProblem('unix:///run/redis/redis.sock')).toBeNull();
    expect(busUrlProblem('redis+cluster://127.0.0.1:7000')).toBeNull();
    expect(busUrlProblem('127.0.0.1:6379')).toMatch(/not a redis:\/\/ URL|not a URL/);
    expect(busUrlProblem('http://127.0.0.1:6379')).toMatch(/not a redis:\/\/ URL \(nor redis\+cluster/);
    expect(busUrlProblem('redis+cluster://127.0.0.1:7000/2')).toMatch(/only database 0/);
    expect(busUrlProblem('unix://redis/redis.sock')).toMatch(/three slashes/);
    expect(busUrlProblem('unix:///')).toMatch(/no socket path/);
    expect(busUrlProblem('redis://')).toMatch(/no host/);
  });
});

describe('the bus password from the environment', () => {
  const env = { VNFLAB_BUS_PASSWORD: 's3cr:t' };
  test('goes into a URL that has none, for TCP, a cluster and a Unix socket', () => {
    expect(withBusPassword('redis://127.0.0.1:6379', env)).toBe('redis://:s3cr%3At@127.0.0.1:6379');
    expect(withBusPassword('redis+cluster://10.0.0.5:7000', env)).toBe('redis+cluster://:s3cr%3At@10.0.0.5:7000');
    expect(ioredisTarget(withBusPassword('unix:///run/redis.sock', env))).toBe('/run/redis.sock?password=s3cr%3At');
  });
  test("never replaces the URL's own password, and is not needed when unset", () => {
    expect(withBusPassword('redis://:mine@127.0.0.1:6379', env)).toBe('redis://:mine@127.0.0.1:6379');
    expect(withBusPassword('redis://127.0.0.1:6379', {})).toBe('redis://127.0.0.1:6379');
  });
  test('is masked in what is logged', () => {
    expect(redactUrl('redis://:s3cr%3At@127.0.0.1:6379')).toBe('redis://***@127.0.0.1:6379');
    expect(redactUrl('unix:///run/redis.sock?db=1&password=s3cr%3At')).toBe('unix:///run/redis.sock?db=1&password=***');
  });
});
