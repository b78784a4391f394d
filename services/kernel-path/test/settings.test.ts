// Bad settings give a clear error naming the key; presets are only names for toggle sets.

import { StageRegistry, neighbourValues, validateChain } from '@vnflab/core';
import { backendsStage } from '@vnflab/backends';
import { trafficGenStage } from '@vnflab/traffic-gen';
import { KernelPath, PRESETS, formatToggles, kernelPathStage, resolve, settingsFromFlags } from '../src';
import { batchOf, ctxFor, frames } from './helpers';

describe('settings', () => {
  it.each([
    [{ irq: 'napi:0' }, /settings\.irq: budget 0 must be an integer 1\.\.1024/],
    [{ irq: 'interrupts' }, /settings\.irq: .*per-packet/],
    [{ irq: 'poll:5000' }, /settings\.irq: burst 5000/],
    [{ syscall: 'batch:x' }, /settings\.syscall/],
    [{ syscall: 'batch:0' }, /settings\.syscall: batch 0/],
    [{ copies: 'some' }, /settings\.copies/],
    [{ alloc: 'slab' }, /settings\.alloc/],
    [{ stack: 'udp' }, /settings\.stack/],
    [{ ring_size: 100 }, /settings\.ring_size: 100 must be a power of two/],
    [{ sockets: [80, 80] }, /settings\.sockets: a port is listed twice/],
    [{ sockets: [0] }, /settings\.sockets\[0\]/], // the one schema-error format (packages/core/src/chain/schema-errors.ts)
    [{ socket_queue: 0 }, /settings\.socket_queue/],
    [{ irqs: 'poll' }, /settings\.irqs: unknown key \(known: irq, alloc/],
  ])('%j is rejected naming its key', (s, re) => {
    expect(() => new KernelPath('kernel', s)).toThrow(re);
  });

  it('an unknown variant names the known ones', () => {
    expect(() => new KernelPath('dpdk')).toThrow(
      /variant "dpdk" is unknown \(known: kernel, bypass, linux, user-tcp\)/,
    );
  });

  it('a chain file error points at the stage and key', () => {
    const reg = new StageRegistry().register(kernelPathStage);
    reg
      .register({ ...kernelPathStage, stage: 'traffic-gen', role: 'source' })
      .register({ ...kernelPathStage, stage: 'backends', role: 'sink' });
    const chain = (settings: Record<string, unknown>) => ({
      name: 't',
      stages: [
        { stage: 'traffic-gen', variant: 'kernel' },
        { stage: 'kernel-path', settings },
        { stage: 'backends', variant: 'kernel' },
      ],
    });
    expect(() => validateChain(chain({ irq: 'sometimes' }), reg)).toThrow(/stages\[1\]\.settings\.irq/);
    expect(() => validateChain(chain({ copy: 'none' }), reg)).toThrow(/stages\[1\]\.settings\.copy: unknown key/);
    expect(validateChain(chain({ irq: 'napi:64', copies: 'none' }), reg).stages[1].variant).toBe('kernel');
  });

  it('configure() checks at once and applies at the next batch', () => {
    const el = new KernelPath('kernel');
    expect(() => el.configure({ irq: 'napi:-1' })).toThrow(/settings\.irq/);
    el.configure({ irq: 'poll', copies: 'none' });
    expect(formatToggles(el.toggles).irq).toBe('napi:64');
    const r = el.process(batchOf(frames(2)), ctxFor());
    expect(r).toBeUndefined();
    expect(formatToggles(el.toggles)).toEqual({
      irq: 'poll:32',
      alloc: 'per-packet',
      copies: 'none',
      syscall: 'per-packet',
      stack: 'full',
    });
  });
});

describe('presets', () => {
  it('kernel and bypass are toggle sets; a setting overrides one toggle', () => {
    expect(formatToggles(resolve('kernel', {}).toggles)).toEqual({
      irq: 'napi:64',
      alloc: 'per-packet',
      copies: 'both',
      syscall: 'per-packet',
      stack: 'full',
    });
    expect(formatToggles(resolve('bypass', {}).toggles)).toEqual({
      irq: 'poll:32',
      alloc: 'pool',
      copies: 'none',
      syscall: 'none',
      stack: 'none',
    });
    expect(formatToggles(resolve('kernel', { alloc: 'pool' }).toggles).alloc).toBe('pool');
    expect(Object.keys(PRESETS)).toEqual([...kernelPathStage.variants]);
  });

  it('the stage takes its default socket from the traffic generator destination port', () => {
    const reg = new StageRegistry().register(trafficGenStage).register(kernelPathStage).register(backendsStage);
    const stages = [
      { stage: 'traffic-gen', settings: { dst: '10.0.0.1:8080' } },
      { stage: 'kernel-path', settings: {} },
      { stage: 'backends', settings: {} },
    ];
    const el = kernelPathStage.create(
      'kernel',
      {},
      { costs: ctxFor().costs, chain: 't', provided: neighbourValues(reg, stages, 1) },
    ) as KernelPath;
    expect((el.describe().sockets as { port: number }[]).map((s) => s.port)).toEqual([8080]);
  });
});

describe('settingsFromFlags', () => {
  it('turns toggle flags into settings and names the flag in errors', () => {
    expect(settingsFromFlags({ irq: 'napi:64', copies: 'none', alloc: undefined })).toEqual({
      irq: 'napi:64',
      copies: 'none',
    });
    expect(() => settingsFromFlags({ irq: 'napi:0' })).toThrow(
      /^--irq: "napi:0": budget 0 must be an integer 1\.\.1024$/,
    );
    expect(() => settingsFromFlags({ stack: 'udp' })).toThrow(/^--stack: "udp": /);
    expect(() => settingsFromFlags({ syscall: 'sometimes' })).toThrow(/^--syscall: "sometimes": /);
  });
});
