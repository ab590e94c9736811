import { describe, expect, it } from 'vitest';

import { Backoff } from './backoff';

describe('Backoff', () => {
  it('doubles up to the cap and starts over after a success', () => {
    const backoff = new Backoff({ initialMs: 1000, maxMs: 5000 });
    expect([1, 2, 3, 4, 5].map(() => backoff.next())).toEqual([
      1000, 2000, 4000, 5000, 5000
    ]);
    expect(backoff.attempts).toBe(5);
    backoff.reset();
    expect(backoff.next()).toBe(1000);
  });
});
