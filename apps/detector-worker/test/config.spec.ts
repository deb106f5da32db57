import { ConfigError } from '@switchyard/shared';
import { DEFAULT_TEXT_MODEL_ID } from '@switchyard/text-detection';
import { loadDetectorWorkerConfig } from '../src/config';

describe('detector worker configuration of the text detector', () => {
  it('serves the built-in model at threshold 0.5 unless told', () => {
    const { textDetector } = loadDetectorWorkerConfig({});
    expect(textDetector.registry.ids).toEqual([DEFAULT_TEXT_MODEL_ID]);
    expect(textDetector.threshold).toBe(0.5);
    expect(textDetector.detector).toEqual({ maxBatchSize: 16, batchWaitMs: 2, maxQueuedWindows: 4096, maxWindowsPerText: 128 });
  });

  it('adds models, picks the default and sets the limits from TEXT_DETECTOR_*', () => {
    const { textDetector } = loadDetectorWorkerConfig({
      TEXT_DETECTOR_MODELS: JSON.stringify({ 'Hello-SimpleAI/chatgpt-detector-roberta': { repo: 'someone/chatgpt-detector-onnx', machineLabel: 'ChatGPT' } }),
      TEXT_DETECTOR_DEFAULT_MODEL: 'Hello-SimpleAI/chatgpt-detector-roberta',
      TEXT_DETECTOR_THRESHOLD: '0.7',
      TEXT_DETECTOR_MAX_WINDOWS: '8000',
      TEXT_DETECTOR_BATCH_SIZE: '32',
    });
    expect(textDetector.registry.ids).toEqual([DEFAULT_TEXT_MODEL_ID, 'Hello-SimpleAI/chatgpt-detector-roberta']);
    expect(textDetector.registry.defaultModel).toBe('Hello-SimpleAI/chatgpt-detector-roberta');
    expect(textDetector.threshold).toBe(0.7);
    // The longest text's windows must fit the queue of an idle worker.
    expect(textDetector.detector).toMatchObject({ maxBatchSize: 32, maxWindowsPerText: 8000, maxQueuedWindows: 8000 });
  });

  it('refuses a bad registry or setting at start-up, naming it', () => {
    expect(() => loadDetectorWorkerConfig({ TEXT_DETECTOR_MODELS: '{"m": {"repo": "a/b"}}' })).toThrow(/TEXT_DETECTOR_MODELS\["m"\]\["machineLabel"\]/);
    expect(() => loadDetectorWorkerConfig({ TEXT_DETECTOR_DEFAULT_MODEL: 'x/y' })).toThrow(/"x\/y" is not in the registry/);
    expect(() => loadDetectorWorkerConfig({ TEXT_DETECTOR_THRESHOLD: '1' })).toThrow(ConfigError);
    expect(() => loadDetectorWorkerConfig({ TEXT_DETECTOR_THRESHOLD: '1' })).toThrow(/TEXT_DETECTOR_THRESHOLD/);
  });
});
