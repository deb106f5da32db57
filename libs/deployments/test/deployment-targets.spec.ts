import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { DEPLOYABLE_TASKS, deploymentTargetOf, taskAccepts } from '@switchyard/deployments';
import { BUILT_IN_ENDPOINTS } from '@switchyard/shared';

const APPS_DIR = join(__dirname, '..', '..', '..', 'apps');

describe('deploymentTargetOf', () => {
  it.each([
    ['text-to-image', 'generator', 'generator'],
    ['feature-extraction', 'embedder', 'embedder'],
    ['sentence-similarity', 'embedder', 'embedder'],
    ['zero-shot-image-classification', 'embedder', 'embedder'],
    ['text-classification', 'text-detector', 'detector-worker'],
    ['image-classification', 'spai', 'detector-worker'],
  ] as const)('sends %s to endpoint %s (worker app %s)', (task, endpoint, workerApp) => {
    expect(deploymentTargetOf(task)).toEqual({ task, endpoint, workerApp });
  });

  it('names only endpoints and worker apps that exist', () => {
    for (const task of DEPLOYABLE_TASKS) {
      const { endpoint, workerApp } = deploymentTargetOf(task);
      expect(BUILT_IN_ENDPOINTS[endpoint]).toBeDefined();
      expect(existsSync(join(APPS_DIR, workerApp, 'package.json'))).toBe(true);
    }
  });
});

describe('taskAccepts', () => {
  it('accepts a model of the same task, and embedding models for either embedding task', () => {
    expect(taskAccepts('text-to-image', 'text-to-image')).toBe(true);
    expect(taskAccepts('feature-extraction', 'sentence-similarity')).toBe(true);
    expect(taskAccepts('sentence-similarity', 'feature-extraction')).toBe(true);
    expect(taskAccepts('feature-extraction', 'zero-shot-image-classification')).toBe(true);
  });

  it('refuses a model made for something else, even on the same endpoint', () => {
    expect(taskAccepts('zero-shot-image-classification', 'sentence-similarity')).toBe(false);
    expect(taskAccepts('text-classification', 'image-classification')).toBe(false);
    expect(taskAccepts('text-to-image', 'text-to-video')).toBe(false);
  });
});
