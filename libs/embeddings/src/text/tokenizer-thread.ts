import { parentPort, workerData } from 'node:worker_threads';
import { TextTokenizer, type TokenizerThreadData } from './text-tokenizer';

/** The tokenizer thread: encodes the texts it is sent with its own copy of the tokenizer. */
const { definition, maxLength } = workerData as TokenizerThreadData;
const tokenizer = new TextTokenizer(definition, maxLength);

parentPort!.on('message', ({ id, texts }: { id: number; texts: string[] }) => {
  try {
    parentPort!.postMessage({ id, encoded: texts.map((text) => tokenizer.encode(text)) });
  } catch (error) {
    parentPort!.postMessage({ id, error: error instanceof Error ? error.message : String(error) });
  }
});
