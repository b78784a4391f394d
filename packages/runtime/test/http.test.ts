// The HTTP plumbing every vnflab API shares: the bearer guard, the TypeBox validator and the
// error answer, through a real fastify app (inject).

import { Type } from '@sinclair/typebox';
import Fastify from 'fastify';
import { bearerAuth, createHttpApp, mountControlRoutes, type HttpApp } from '@vnflab/runtime';

const TOKEN = 'a-token-for-tests';
const messages = { missing: 'needs the token', invalid: 'wrong token' };

class Refused extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

async function app(token: string | undefined): Promise<{ app: HttpApp; changed: () => number }> {
  let changes = 0;
  const a = createHttpApp({
    serverError: (e) =>
      /ECONNREFUSED/.test(e.message) ? { status: 503, body: { error: 'down', message: e.message } } : undefined,
  });
  await a.register(bearerAuth, {
    token,
    messages,
    routes: async (r) => {
      r.get('/thing', async () => ({ changes }));
      r.put(
        '/thing',
        { schema: { body: Type.Object({ size: Type.Integer({ minimum: 1 }) }, { additionalProperties: false }) } },
        async (req) => {
          changes += req.body.size;
          return { changes };
        },
      );
      r.post('/refuse', async () => {
        throw new Refused(409, 'busy', 'one at a time');
      });
      r.post('/down', async () => {
        throw new Error('connect ECONNREFUSED /var/run/docker.sock');
      });
      r.post('/bug', async () => {
        throw new Error('oops');
      });
    },
  });
  await a.ready();
  return { app: a, changed: () => changes };
}

describe('bearerAuth', () => {
  test('reads are open; a write without the token, or with a wrong one, is 401 and changes nothing', async () => {
    const { app: a, changed } = await app(TOKEN);
    expect((await a.inject({ method: 'GET', url: '/thing' })).statusCode).toBe(200);
    const none = await a.inject({ method: 'PUT', url: '/thing', payload: { size: 3 } });
    expect(none.statusCode).toBe(401);
    expect(none.headers['www-authenticate']).toBe('Bearer');
    expect(none.json()).toEqual({ error: 'unauthorized', message: 'needs the token' });
    const wrong = await a.inject({
      method: 'PUT',
      url: '/thing',
      payload: { size: 3 },
      headers: { authorization: 'Bearer not-it' },
    });
    expect(wrong.statusCode).toBe(401);
    expect(wrong.headers['www-authenticate']).toBe('Bearer error="invalid_token"');
    expect(wrong.json()).toEqual({ error: 'unauthorized', message: 'wrong token' });
    const basic = await a.inject({
      method: 'PUT',
      url: '/thing',
      payload: { size: 3 },
      headers: { authorization: `Basic ${TOKEN}` },
    });
    expect(basic.statusCode).toBe(401);
    // the token is checked before the body: a bad body without it is 401, not 400
    expect((await a.inject({ method: 'PUT', url: '/thing', payload: { size: -1 } })).statusCode).toBe(401);
    expect(changed()).toBe(0);
    const ok = await a.inject({
      method: 'PUT',
      url: '/thing',
      payload: { size: 3 },
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    expect(ok.statusCode).toBe(200);
    expect(changed()).toBe(3);
    await a.close();
  });

  test('no token configured: writes are off (403), reads still open', async () => {
    const { app: a, changed } = await app(undefined);
    const r = await a.inject({
      method: 'PUT',
      url: '/thing',
      payload: { size: 3 },
      headers: { authorization: 'Bearer anything-at-all' },
    });
    expect(r.statusCode).toBe(403);
    expect(r.json().error).toBe('control_disabled');
    expect((await a.inject({ method: 'GET', url: '/thing' })).statusCode).toBe(200);
    expect(changed()).toBe(0);
    await a.close();
  });

  test('an empty token is refused at registration: writes are never open', async () => {
    const a = Fastify();
    const mount = { prefix: '/x', routes: async () => {}, auth: messages };
    await expect(mountControlRoutes(a, mount, '').then(() => a.ready())).rejects.toThrow(/token/);
    await a.close();
  });
});

describe('TypeBox validation and the error answer', () => {
  const auth = { authorization: `Bearer ${TOKEN}` };

  test('a body the schema refuses is 400 naming the field; nothing is coerced or removed', async () => {
    const { app: a, changed } = await app(TOKEN);
    const cases: [unknown, RegExp][] = [
      [{ size: 0 }, /^body\.size: expected integer to be greater or equal to 1$/],
      [{ size: '3' }, /^body\.size: expected integer$/],
      [{ size: 3, colour: 'blue' }, /^body\.colour: unknown key \(known: size\)$/],
      [{}, /^body\.size: is required$/],
      [undefined, /^body: a JSON body is required$/],
    ];
    for (const [payload, msg] of cases) {
      const r = await a.inject({ method: 'PUT', url: '/thing', payload: payload as never, headers: auth });
      expect({ payload, status: r.statusCode }).toEqual({ payload, status: 400 });
      expect(r.json().error).toBe('bad_request');
      expect(r.json().message).toMatch(msg);
    }
    expect(changed()).toBe(0);
    await a.close();
  });

  test('errors carry their own status and code; others are 500, or what serverError maps them to', async () => {
    const { app: a } = await app(TOKEN);
    const refused = await a.inject({ method: 'POST', url: '/refuse', headers: auth });
    expect(refused.statusCode).toBe(409);
    expect(refused.json()).toEqual({ error: 'busy', message: 'one at a time' });
    const down = await a.inject({ method: 'POST', url: '/down', headers: auth });
    expect(down.statusCode).toBe(503);
    expect(down.json().error).toBe('down');
    const bug = await a.inject({ method: 'POST', url: '/bug', headers: auth });
    expect(bug.statusCode).toBe(500);
    expect(bug.json()).toEqual({ error: 'internal', message: 'oops' });
    await a.close();
  });
});
