import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

import {
  fromSession,
  fromStatus,
  GatewayMonitor,
  GatewayState
} from './gateway';

const UP: GatewayState = {
  kind: 'signed-in',
  gatewayUrl: 'http://gw',
  user: null,
  source: 'unknown'
};
const DOWN = fromStatus({ gateway_url: 'http://gw', gateway_ok: false });

describe('session answers', () => {
  it('reads the session contract', () => {
    const base = { gateway_url: 'http://gw', gateway_ok: true, message: null };
    expect(
      fromSession({
        ...base,
        signed_in: true,
        user: { name: 'ana', role: 'analyst' },
        source: 'sign-in'
      })
    ).toEqual({
      kind: 'signed-in',
      gatewayUrl: 'http://gw',
      user: { name: 'ana', role: 'analyst' },
      source: 'sign-in'
    });
    expect(
      fromSession({ ...base, signed_in: false, user: null, source: null }).kind
    ).toBe('signed-out');
    // Unreachable wins over anything else: one state, no "connected" beside an error.
    expect(
      fromSession({
        ...base,
        gateway_ok: false,
        signed_in: true,
        user: null,
        source: 'operator'
      })
    ).toEqual({
      kind: 'unreachable',
      gatewayUrl: 'http://gw',
      message: 'no answer from http://gw'
    });
  });

  it('takes a server without sessions for the operator token, user unknown', () => {
    expect(fromStatus({ gateway_url: 'http://gw', gateway_ok: true })).toEqual(
      UP
    );
    expect(DOWN.kind).toBe('unreachable');
  });
});

describe('GatewayMonitor', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('re-checks with back-off while unreachable and recovers by itself', async () => {
    const answers: (GatewayState | Error)[] = [
      DOWN,
      new TypeError('Failed to fetch'),
      DOWN,
      UP
    ];
    const check = vi.fn(async () => {
      const next = answers.shift() ?? UP;
      if (next instanceof Error) {
        throw next;
      }
      return next;
    });
    const monitor = new GatewayMonitor({
      check,
      intervalSeconds: 60,
      backoff: { initialMs: 1000, maxMs: 30000 }
    });
    const kinds: string[] = [];
    monitor.onChange(state => kinds.push(state.kind));

    await monitor.refresh();
    expect(monitor.state.kind).toBe('unreachable');
    await vi.advanceTimersByTimeAsync(1000); // 1st retry after 1 s: the server itself fails
    expect(check).toHaveBeenCalledTimes(2);
    expect(monitor.state).toMatchObject({
      kind: 'unreachable',
      message: 'Failed to fetch'
    });
    await vi.advanceTimersByTimeAsync(1999); // 2nd retry waits 2 s
    expect(check).toHaveBeenCalledTimes(2);
    await vi.advanceTimersByTimeAsync(1);
    expect(check).toHaveBeenCalledTimes(3);
    await vi.advanceTimersByTimeAsync(4000); // 3rd after 4 s: the gateway is back
    expect(monitor.state).toEqual(UP);
    expect(kinds).toEqual([
      'unreachable',
      'unreachable',
      'unreachable',
      'signed-in'
    ]);
    // Back to the slow interval.
    await vi.advanceTimersByTimeAsync(59_000);
    expect(check).toHaveBeenCalledTimes(4);
    await vi.advanceTimersByTimeAsync(1000);
    expect(check).toHaveBeenCalledTimes(5);
    monitor.dispose();
  });

  it('lets a newer check decide over an older one still under way', async () => {
    let release: (state: GatewayState) => void = () => {};
    const slow = new Promise<GatewayState>(resolve => (release = resolve));
    const check = vi.fn().mockReturnValueOnce(slow).mockResolvedValue(UP);
    const monitor = new GatewayMonitor({ check, intervalSeconds: 60 });
    const first = monitor.refresh();
    await monitor.refresh();
    release(DOWN);
    await first;
    expect(monitor.state).toEqual(UP);
    monitor.dispose();
  });
});
