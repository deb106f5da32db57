import { estimatedCost } from '@switchyard/deployments';

const since = new Date('2026-01-01T00:00:00Z');
const twoHoursLater = new Date('2026-01-01T02:00:00Z');

describe('estimatedCost', () => {
  it('counts the worker-seconds RunPod reports at the per-second price', () => {
    // 0.72 $/h = 0.0002 $/s; 900 worker-seconds × 0.0002 = 0.18 $
    const cost = estimatedCost({ pricePerHourUsd: 0.72, since, until: twoHoursLater, maxWorkers: 3, activeWorkerSeconds: 900 });

    expect(cost).toMatchObject({ pricePerHourUsd: 0.72, elapsedSeconds: 7200, billedWorkerSeconds: 900, basis: 'active-worker-seconds' });
    expect(cost.costSoFarUsd).toBeCloseTo(0.18, 10);
    // 3 workers × 0.72 $/h
    expect(cost.maxHourlyUsd).toBeCloseTo(2.16, 10);
    // 3 workers × 2 h × 0.72 $/h
    expect(cost.ceilingSoFarUsd).toBeCloseTo(4.32, 10);
  });

  it('counts only the always-on workers when no worker-seconds are known', () => {
    // 1 min worker × 7200 s × 0.0002 $/s = 1.44 $
    const warm = estimatedCost({ pricePerHourUsd: 0.72, since, until: twoHoursLater, maxWorkers: 3, minWorkers: 1 });
    const scaleToZero = estimatedCost({ pricePerHourUsd: 0.72, since, until: twoHoursLater, maxWorkers: 3 });

    expect(warm).toMatchObject({ billedWorkerSeconds: 7200, basis: 'min-workers' });
    expect(warm.costSoFarUsd).toBeCloseTo(1.44, 10);
    expect(warm.minHourlyUsd).toBeCloseTo(0.72, 10);
    expect(scaleToZero).toMatchObject({ billedWorkerSeconds: 0, costSoFarUsd: 0, minHourlyUsd: 0 });
  });

  it('counts no time when the period ends before it starts', () => {
    expect(estimatedCost({ pricePerHourUsd: 1, since: twoHoursLater, until: since, maxWorkers: 1, minWorkers: 1 })).toMatchObject({
      elapsedSeconds: 0,
      costSoFarUsd: 0,
      ceilingSoFarUsd: 0,
    });
  });
});
