import { join, resolve } from 'node:path';
import { Worker } from 'node:worker_threads';
import { resizeBicubicCrop, resizeWork, type PixelRect, type RgbImage } from './pillow-bicubic';

/**
 * Resizes below this many multiply-adds run on the calling thread: about a millisecond here
 * (an image near 224×224). Above it, the thread's round trip costs less than the stall would:
 * a 640×480 photo takes some 7 ms, a 12-megapixel one 150–250 ms (docs/embedder.md).
 */
const INLINE_MAX_WORK = 500_000;

// A worker thread cannot load TypeScript: where this module runs from its source (under Jest), the
// thread runs the built file, which `npm test` builds first.
const THREAD_ENTRY = __filename.endsWith('.ts') ? resolve(__dirname, '../../dist/clip/bicubic-thread.js') : join(__dirname, 'bicubic-thread.js');

export interface ResizeRequest {
  id: number;
  image: RgbImage;
  width: number;
  height: number;
  crop: PixelRect;
}

export type ResizeReply = { id: number; pixels: Uint8Array } | { id: number; error: string };

/**
 * Pillow's bicubic resize (see pillow-bicubic.ts) off the event loop: small resizes run inline,
 * larger ones in one worker thread of its own, started on first use, which keeps the process
 * alive only while it has work.
 */
export class BicubicResampler {
  private thread?: Worker;
  private readonly pending = new Map<number, { resolve: (pixels: Uint8Array) => void; reject: (error: Error) => void }>();
  private nextId = 0;

  constructor(private readonly inlineMaxWork = INLINE_MAX_WORK) {}

  /** The `crop` of `image` resized to `width`×`height`, as 8-bit RGB. */
  resize(image: RgbImage, width: number, height: number, crop: PixelRect): Promise<Uint8Array> {
    if (resizeWork(image, width, height, crop) <= this.inlineMaxWork) {
      try {
        return Promise.resolve(resizeBicubicCrop(image, width, height, crop));
      } catch (error) {
        return Promise.reject(error as Error);
      }
    }
    const thread = this.threadStarted();
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      thread.ref();
      // sharp's buffers cannot be transferred (external memory): the pixels are copied, a memcpy (36 MB for 12 megapixels).
      thread.postMessage({ id, image, width, height, crop } satisfies ResizeRequest);
    });
  }

  /** Ends the thread, if one started. */
  async close(): Promise<void> {
    const thread = this.thread;
    this.thread = undefined;
    if (!thread) return;
    thread.removeAllListeners('exit');
    await thread.terminate();
    this.failPending(new Error('The image resampler is closed'));
  }

  private threadStarted(): Worker {
    if (this.thread) return this.thread;
    const thread = new Worker(THREAD_ENTRY, { name: 'clip-resample' });
    thread.on('message', (reply: ResizeReply) => {
      const pending = this.pending.get(reply.id);
      this.pending.delete(reply.id);
      if (this.pending.size === 0) thread.unref();
      if ('error' in reply) pending?.reject(new Error(reply.error));
      else pending?.resolve(reply.pixels);
    });
    thread.on('error', () => undefined);
    thread.on('exit', (code) => {
      if (this.thread === thread) this.thread = undefined;
      this.failPending(new Error(`The image resampling thread exited with code ${code}`));
    });
    thread.unref();
    this.thread = thread;
    return thread;
  }

  private failPending(error: Error): void {
    for (const { reject } of this.pending.values()) reject(error);
    this.pending.clear();
  }
}
