// Settings: defaults, bounds and errors that name the key.

import { RecordOp, RecordView, WebServer, appendRecord, readRecord, webServerStage } from '../src';
import { Batch } from '@vnflab/core';

describe('settings', () => {
  test('defaults: one 64-byte /index.html, 8 KiB requests', () => {
    const ws = new WebServer();
    expect(ws.docroot.size).toBe(1);
    expect(ws.docroot.lookup('/index.html')?.body.length).toBe(64);
    expect(ws.maxRequestBytes).toBe(8192);
  });

  test('docroot gives every file its size', () => {
    const ws = new WebServer('lighttpd', { docroot: { '/a.txt': 3, '/big.bin': 1 << 20 } });
    expect(ws.docroot.lookup('/a.txt')?.head[1].toString()).toContain(
      'Content-Type: text/plain\r\nContent-Length: 3\r\n',
    );
    expect(ws.docroot.lookup('/big.bin')?.body.length).toBe(1 << 20);
    expect(ws.docroot.lookup('/index.html')).toBeUndefined();
  });

  test.each([
    [{ file_size: 1048577 }, /^web-server settings: file_size: /],
    [{ file_size: -1 }, /^web-server settings: file_size: /],
    [{ docroot: { 'index.html': 1 } }, /^web-server settings: docroot/],
    [{ docroot: { '/x': 1 }, file_size: 3 }, /^web-server settings: file_size: sizes the default document root only/],
    [{ max_request_bytes: 10 }, /^web-server settings: max_request_bytes: /],
    [{ keepalive: 1 }, /unknown key \(known: file_size, docroot/],
  ])('%j is refused with the key named', (settings, msg) => {
    expect(() => new WebServer('lighttpd', settings)).toThrow(msg);
  });

  test('an unknown variant is refused', () => {
    expect(() => new WebServer('nginx')).toThrow(/variant: "nginx" is not a web-server variant/);
  });

  test('the manifest: an element billed to app, its events, reasons and memory', () => {
    expect(webServerStage.role).toBe('element');
    expect(webServerStage.defaultCategory).toBe('app');
    expect(webServerStage.events).toEqual(['request', 'response_2xx', 'response_4xx']);
    expect(webServerStage.memoryBytes?.('lighttpd', { max_connections: 10 })).toEqual([
      expect.objectContaining({ key: 'max_connections', bytes: 10 * 8192 }),
    ]);
  });
});

describe('records codec', () => {
  test('header fields round-trip big-endian', () => {
    const b = Batch.allocate(2);
    const i = appendRecord(b, RecordOp.write_close, 0xbeef, 0xdeadbeef, Buffer.from('xyz'));
    const o = b.offset(i);
    expect([...b.buf.subarray(o, o + 11)]).toEqual([6, 0, 0xbe, 0xef, 0xde, 0xad, 0xbe, 0xef, 0x78, 0x79, 0x7a]);
    const v = new RecordView();
    expect(readRecord(b.buf, o, b.length(i), v)).toBeNull();
    expect([v.op, v.fd, v.conn, v.payloadLen]).toEqual([6, 0xbeef, 0xdeadbeef, 3]);
    appendRecord(b, RecordOp.close, 1, 2);
    expect(appendRecord(b, RecordOp.close, 1, 2)).toBe(-1); // full
  });
});
