import { parentPort } from 'node:worker_threads';
import { resizeBicubicCrop } from './pillow-bicubic';
import type { ResizeReply, ResizeRequest } from './bicubic-resampler';

/** The resampling thread: resizes the images it is sent and hands the crops back (transferred, not copied). */
parentPort!.on('message', ({ id, image, width, height, crop }: ResizeRequest) => {
  try {
    const pixels = resizeBicubicCrop(image, width, height, crop);
    parentPort!.postMessage({ id, pixels } satisfies ResizeReply, [pixels.buffer as ArrayBuffer]);
  } catch (error) {
    parentPort!.postMessage({ id, error: error instanceof Error ? error.message : String(error) } satisfies ResizeReply);
  }
});
