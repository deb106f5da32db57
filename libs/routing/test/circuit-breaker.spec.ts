import { CircuitBreaker, type CircuitPermit } from '@switchyard/routing';

describe('CircuitBreaker', () => {
  let clock: number;
  let breaker: CircuitBreaker;
  const acquire = (): CircuitPermit => {
    const permit = breaker.tryAcquire();
    if (!permit) throw new Error('expected the circuit to admit a request');
    return permit;
  };
  const failTimes = (times: number) => {
    for (let i = 0; i < times; i++) breaker.recordFailure(acquire());
  };

  beforeEach(() => {
    clock = 1_000;
    breaker = new CircuitBreaker({ failureThreshold: 3, coolDownMs: 10_000, now: () => clock });
  });

  it('starts closed and lets everything through', () => {
    expect(breaker.state()).toBe('closed');
    expect(breaker.canPass()).toBe(true);
    expect(acquire().isTrial).toBe(false);
    expect(acquire().isTrial).toBe(false);
    expect(breaker.retryInMs()).toBe(0);
  });

  it('opens after the threshold of consecutive failures', () => {
    failTimes(2);
    expect(breaker.state()).toBe('closed');
    failTimes(1);
    expect(breaker.state()).toBe('open');
    expect(breaker.canPass()).toBe(false);
    expect(breaker.tryAcquire()).toBeUndefined();
  });

  it('counts only consecutive failures: a success resets the count', () => {
    failTimes(2);
    breaker.recordSuccess(acquire());
    failTimes(2);
    expect(breaker.state()).toBe('closed');
  });

  it('counts 429s and 5xx as failures, other statuses as successes', () => {
    breaker.recordHttpStatus(acquire(), 429);
    breaker.recordHttpStatus(acquire(), 503);
    breaker.recordHttpStatus(acquire(), 400);
    expect(breaker.state()).toBe('closed');
    for (let i = 0; i < 3; i++) breaker.recordHttpStatus(acquire(), 429);
    expect(breaker.state()).toBe('open');
  });

  it('reports the time left while open, and half-opens once the cool-down passes', () => {
    failTimes(3);
    clock += 4_000;
    expect(breaker.retryInMs()).toBe(6_000);
    clock += 5_999;
    expect(breaker.state()).toBe('open');
    clock += 1;
    expect(breaker.state()).toBe('half-open');
    expect(breaker.retryInMs()).toBe(0);
  });

  it('admits exactly one trial while half-open', () => {
    failTimes(3);
    clock += 10_000;
    expect(breaker.canPass()).toBe(true);
    const trial = acquire();
    expect(trial.isTrial).toBe(true);
    expect(breaker.canPass()).toBe(false);
    expect(breaker.tryAcquire()).toBeUndefined();
    expect(breaker.tryAcquire()).toBeUndefined();
    expect(breaker.state()).toBe('half-open');
  });

  it('closes when the trial succeeds', () => {
    failTimes(3);
    clock += 10_000;
    breaker.recordSuccess(acquire());
    expect(breaker.state()).toBe('closed');
    failTimes(2);
    expect(breaker.state()).toBe('closed');
  });

  it('re-opens for a full cool-down when the trial fails', () => {
    failTimes(3);
    clock += 10_000;
    breaker.recordHttpStatus(acquire(), 429);
    expect(breaker.state()).toBe('open');
    expect(breaker.retryInMs()).toBe(10_000);
  });

  it('ignores outcomes of requests admitted before the circuit opened', () => {
    const late = [acquire(), acquire()];
    failTimes(3);
    breaker.recordSuccess(late[0]);
    expect(breaker.state()).toBe('open');
    clock += 10_000;
    const trial = acquire();
    breaker.recordSuccess(late[1]);
    expect(breaker.state()).toBe('half-open');
    expect(breaker.tryAcquire()).toBeUndefined();
    breaker.recordSuccess(trial);
    expect(breaker.state()).toBe('closed');
  });

  it('admits a new trial when one goes unreported past the trial timeout, and only the new one decides', () => {
    failTimes(3);
    clock += 10_000;
    const lost = acquire();
    clock += 10_000;
    const next = acquire();
    expect(next.isTrial).toBe(true);
    breaker.recordSuccess(lost);
    expect(breaker.state()).toBe('half-open');
    breaker.recordFailure(next);
    expect(breaker.state()).toBe('open');
  });

  it('refuses options that make no sense', () => {
    expect(() => new CircuitBreaker({ failureThreshold: 0, coolDownMs: 1 })).toThrow('failureThreshold');
    expect(() => new CircuitBreaker({ failureThreshold: 1, coolDownMs: -1 })).toThrow('coolDownMs');
  });
});
