// The autoscaler's rule: up one replica after two readings above --lag, down one below --lag/4,
// never outside --min..--max; a reading in between holds and resets the streak.

import { Autoscaler, policyError } from '../src/autoscaler';

test('two high readings in a row add one replica; one high reading does not', () => {
  const a = new Autoscaler({ min: 1, max: 3, lag: 8 });
  expect(a.decide(9, 1)).toMatchObject({ action: 'hold', replicas: 1 });
  expect(a.decide(12, 1)).toMatchObject({ action: 'up', replicas: 2 });
  // the streak starts over after a scale
  expect(a.decide(12, 2)).toMatchObject({ action: 'hold', replicas: 2 });
  // a reading between L/4 and L breaks the streak
  expect(a.decide(5, 2)).toMatchObject({ action: 'hold', replicas: 2 });
  expect(a.decide(12, 2)).toMatchObject({ action: 'hold', replicas: 2 });
  expect(a.decide(12, 2)).toMatchObject({ action: 'up', replicas: 3 });
});

test('at --max it holds; below --lag/4 it removes one replica down to --min', () => {
  const a = new Autoscaler({ min: 1, max: 3, lag: 8 });
  a.decide(20, 3);
  expect(a.decide(20, 3)).toMatchObject({ action: 'hold', replicas: 3, reason: expect.stringContaining('--max') });
  expect(a.decide(1, 3)).toMatchObject({ action: 'down', replicas: 2 });
  expect(a.decide(2, 2)).toMatchObject({ action: 'hold', replicas: 2 }); // 2 is not < 8/4
  expect(a.decide(0, 2)).toMatchObject({ action: 'down', replicas: 1 });
  expect(a.decide(0, 1)).toMatchObject({ action: 'hold', replicas: 1 });
});

test('a service outside min..max is brought inside at once', () => {
  const a = new Autoscaler({ min: 2, max: 4, lag: 8 });
  expect(a.decide(0, 1)).toMatchObject({ action: 'up', replicas: 2 });
  expect(a.decide(100, 6)).toMatchObject({ action: 'down', replicas: 4 });
});

test('a bad policy names the flag', () => {
  expect(policyError({ min: 0, max: 3, lag: 8 })).toMatch(/^--min/);
  expect(policyError({ min: 2, max: 1, lag: 8 })).toMatch(/^--max/);
  expect(policyError({ min: 1, max: 3, lag: 0 })).toMatch(/^--lag/);
  expect(() => new Autoscaler({ min: 1, max: 1.5, lag: 8 })).toThrow(/--max/);
});
