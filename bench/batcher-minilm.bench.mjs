// MicroBatcher on the full-size all-MiniLM-L6-v2 replica: N concurrent single-text calls through
// the batcher, against the same N texts as one direct session.run, and against N sequential
// unbatched runs. Every mode runs the same embedding pipeline (tokenize, pad the batch to its
// longest text, run, mean-pool, L2-normalise), so the ratios measure batching alone.
//
//   npm run bench -- minilm        (builds, generates the full tier, runs this file)
//   node bench/batcher-minilm.bench.mjs   (after a build and `generate --tier full`)
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Tokenizer } from '@huggingface/tokenizers';
import runtime from '@switchyard/model-runtime';
import ort from 'onnxruntime-node';
import { seededRandom } from './support/harness.mjs';

// Both packages are CommonJS with exports Node cannot name statically.
const { MicroBatcher, ModelSessions } = runtime;
const { Tensor } = ort;

const N = 256;
const ROUNDS = 7;
const MAX_BATCH_SIZE = 32;
const MAX_WAIT_MS = 5;
// Batches choose among every queued text: in this burst, all of them.
const LOOKAHEAD = N;
const HIDDEN = 384;

const MODEL_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', 'models', 'full', 'sentence-transformers', 'all-MiniLM-L6-v2');

// Sentences of the kinds an embedding endpoint receives: search queries, titles, product and
// support texts, paragraphs of documentation. Texts are made of one to four of them.
const SENTENCES = [
  'How do I reset my password?',
  'cheap flights to lisbon in march',
  'Best practices for indexing large PostgreSQL tables',
  'The quarterly report shows revenue grew by twelve percent, driven mostly by subscriptions in Europe.',
  'Wireless noise-cancelling headphones with 30-hour battery life and a foldable design.',
  'Our support team is available Monday to Friday, from nine in the morning until six in the evening.',
  'A red fox jumped over the fence and disappeared into the woods behind the old barn.',
  'Kubernetes restarts a container when its liveness probe fails three times in a row.',
  'What is the difference between a process and a thread?',
  'Store the dough in the fridge overnight, then let it rest for an hour at room temperature before baking.',
  'The museum reopens on Saturday after a two-year renovation of its east wing and the sculpture garden.',
  'Invoice #4821 is overdue; please arrange payment within seven days to avoid a late fee.',
  'Mean pooling averages the token embeddings, weighted by the attention mask, into one vector per sentence.',
  'side effects of ibuprofen',
  'The train to Zürich was delayed by forty minutes because of a signal failure near Basel.',
  'Photosynthesis converts light energy into chemical energy stored in glucose.',
  'Please find attached the signed contract and the updated project timeline for your review.',
  'I ordered the blue one but received a green jacket, and the sleeves are too short.',
  'The model was trained on one billion sentence pairs with a contrastive objective.',
  'When the queue is full, the gateway answers 429 so that clients back off instead of piling up requests.',
  'Rainfall this autumn was well below average, and farmers in the south expect a smaller harvest.',
  'How many calories are in a banana?',
  'The committee postponed its decision on the new stadium until the environmental review is complete.',
  'Vector databases index embeddings so that nearest neighbours can be found in milliseconds among millions of items.',
  'She learned to play the cello at the age of forty and now performs with a local orchestra every spring.',
  'Error: connection refused while connecting to 127.0.0.1:6379',
  'This apartment has two bedrooms, a sunny balcony facing the park, and is five minutes from the metro.',
  'The patch fixes a race condition in which two workers could claim the same job after a network partition.',
  'Is it safe to travel to Iceland in winter?',
  'Researchers found that short walks after meals lower blood sugar more than a single long walk in the morning.',
  'The library lends laptops, cameras and even sewing machines to anyone with a membership card.',
  'Gradient checkpointing trades compute for memory by recomputing activations during the backward pass.',
];

function makeTexts(count) {
  const random = seededRandom(42);
  // Mostly single sentences, some short paragraphs.
  const sentenceCounts = [1, 1, 1, 1, 2, 2, 3, 4];
  return Array.from({ length: count }, () => {
    const parts = sentenceCounts[Math.floor(random() * sentenceCounts.length)];
    return Array.from({ length: parts }, () => SENTENCES[Math.floor(random() * SENTENCES.length)]).join(' ');
  });
}

async function loadTokenizer() {
  const read = async (file) => JSON.parse(await readFile(join(MODEL_DIR, file), 'utf8'));
  const definition = await read('tokenizer.json');
  // tokenizers.js applies neither truncation nor padding: truncate here, pad per batch below.
  return { tokenizer: new Tokenizer(definition, await read('tokenizer_config.json')), maxLength: definition.truncation.max_length };
}

/** Token ids of one text with [CLS] and [SEP], cut to the model's maximum length (keeping [SEP]). */
function tokenize({ tokenizer, maxLength }, text) {
  const { ids } = tokenizer.encode(text);
  return ids.length <= maxLength ? ids : [...ids.slice(0, maxLength - 1), ids[ids.length - 1]];
}

/** Pads a batch to its longest item; returns the feeds and the number of token slots it holds. */
function feedsOf(batch) {
  const length = Math.max(...batch.map((ids) => ids.length));
  const size = batch.length * length;
  const inputIds = new BigInt64Array(size);
  const attentionMask = new BigInt64Array(size);
  batch.forEach((ids, row) => {
    for (let column = 0; column < ids.length; column++) {
      inputIds[row * length + column] = BigInt(ids[column]);
      attentionMask[row * length + column] = 1n;
    }
  });
  const dims = [batch.length, length];
  return {
    feeds: {
      input_ids: new Tensor('int64', inputIds, dims),
      attention_mask: new Tensor('int64', attentionMask, dims),
      token_type_ids: new Tensor('int64', new BigInt64Array(size), dims),
    },
    slots: size,
  };
}

/** Mean of the hidden states over each item's real tokens, L2-normalised. */
function meanPool(hidden, batch) {
  const length = hidden.dims[1];
  return batch.map((ids, row) => {
    const vector = new Float32Array(HIDDEN);
    for (let token = 0; token < ids.length; token++) {
      const offset = (row * length + token) * HIDDEN;
      for (let i = 0; i < HIDDEN; i++) vector[i] += hidden.data[offset + i];
    }
    let norm = 0;
    for (let i = 0; i < HIDDEN; i++) norm += vector[i] * vector[i];
    norm = Math.sqrt(norm) || 1;
    for (let i = 0; i < HIDDEN; i++) vector[i] /= norm;
    return vector;
  });
}

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
};

function maxAbsDifference(left, right) {
  let max = 0;
  left.forEach((vector, item) => {
    for (let i = 0; i < HIDDEN; i++) max = Math.max(max, Math.abs(vector[i] - right[item][i]));
  });
  return max;
}

async function main() {
  const tokenizer = await loadTokenizer();
  const sessions = new ModelSessions({ executionProviders: ['cpu'] });
  const session = await sessions.load(join(MODEL_DIR, 'onnx', 'model.onnx'), { name: 'all-MiniLM-L6-v2 (full replica)' });
  const texts = makeTexts(N);
  const lengths = texts.map((text) => tokenize(tokenizer, text).length);
  const realTokens = lengths.reduce((sum, length) => sum + length, 0);

  let runs = { batches: 0, slots: 0 };
  /** The pipeline every mode uses: the token ids of a batch in, one embedding per item out. */
  async function embed(batch) {
    const { feeds, slots } = feedsOf(batch);
    runs.batches += 1;
    runs.slots += slots;
    const { last_hidden_state: hidden } = await session.run(feeds);
    return meanPool(hidden, batch);
  }

  /** N callers at once, each tokenizing its own text and submitting it alone, as concurrent jobs would. */
  const throughBatcher = (lookahead) => async () => {
    const batcher = new MicroBatcher({
      name: 'all-MiniLM-L6-v2',
      runBatch: embed,
      maxBatchSize: MAX_BATCH_SIZE,
      maxWaitMs: MAX_WAIT_MS,
      maxQueued: N,
      lookahead,
    });
    const vectors = await Promise.all(
      texts.map((text) => {
        const ids = tokenize(tokenizer, text);
        return batcher.submit(ids, { cost: ids.length });
      }),
    );
    await batcher.close();
    return vectors;
  };

  const BATCHER = `batcher, lookahead ${LOOKAHEAD}`;
  const FIFO = 'batcher, first in first out';
  const DIRECT = `direct, one batch of ${N}`;
  const SORTED = `direct, sorted batches of ${MAX_BATCH_SIZE}`;
  const SEQUENTIAL = 'sequential, one text a run';
  const modes = {
    [DIRECT]: async () => embed(texts.map((text) => tokenize(tokenizer, text))),
    // What a batcher could at best do: every text known in advance, batches cut from the texts sorted by length.
    [SORTED]: async () => {
      const tokenized = texts.map((text, index) => ({ index, ids: tokenize(tokenizer, text) }));
      tokenized.sort((a, b) => a.ids.length - b.ids.length);
      const vectors = new Array(N);
      for (let start = 0; start < N; start += MAX_BATCH_SIZE) {
        const batch = tokenized.slice(start, start + MAX_BATCH_SIZE);
        (await embed(batch.map(({ ids }) => ids))).forEach((vector, row) => (vectors[batch[row].index] = vector));
      }
      return vectors;
    },
    [SEQUENTIAL]: async () => {
      const vectors = [];
      for (const text of texts) vectors.push(...(await embed([tokenize(tokenizer, text)])));
      return vectors;
    },
    [FIFO]: throughBatcher(MAX_BATCH_SIZE),
    [BATCHER]: throughBatcher(LOOKAHEAD),
  };

  console.log(
    `all-MiniLM-L6-v2 full replica on cpu: N = ${N} texts, ${realTokens} tokens (${Math.min(...lengths)}–${Math.max(...lengths)} a text); ` +
      `batcher maxBatchSize ${MAX_BATCH_SIZE}, maxWaitMs ${MAX_WAIT_MS}; 1 warm-up + ${ROUNDS} rounds, medians`,
  );
  const seconds = Object.fromEntries(Object.keys(modes).map((mode) => [mode, []]));
  const lastRuns = {};
  let reference;
  for (let round = 0; round <= ROUNDS; round++) {
    for (const [mode, run] of Object.entries(modes)) {
      runs = { batches: 0, slots: 0 };
      const started = performance.now();
      const vectors = await run();
      const elapsed = (performance.now() - started) / 1000;
      lastRuns[mode] = runs;
      // Each text must get the same embedding whatever batch it ran in (padding changes it only by rounding).
      reference ??= vectors;
      const difference = maxAbsDifference(vectors, reference);
      if (difference > 1e-4) throw new Error(`"${mode}" gave other embeddings than "${DIRECT}" (max |Δ| ${difference})`);
      if (round > 0) seconds[mode].push(elapsed);
    }
  }

  const rate = Object.fromEntries(Object.entries(seconds).map(([mode, values]) => [mode, N / median(values)]));
  const width = Math.max(...Object.keys(modes).map((mode) => mode.length));
  console.log(`${'mode'.padEnd(width)}  texts/s  median ms  batches  token slots  padding`);
  for (const mode of Object.keys(modes)) {
    const { batches, slots } = lastRuns[mode];
    console.log(
      `${mode.padEnd(width)}  ${rate[mode].toFixed(1).padStart(7)}  ${(median(seconds[mode]) * 1000).toFixed(0).padStart(9)}  ` +
        `${String(batches).padStart(7)}  ${String(slots).padStart(11)}  ${`${((1 - realTokens / slots) * 100).toFixed(0)}%`.padStart(7)}`,
    );
  }
  const ratio = (numerator, denominator) => `${(rate[numerator] / rate[denominator]).toFixed(2)}×`;
  console.log(`${BATCHER} / ${DIRECT}: ${ratio(BATCHER, DIRECT)} (target ≥ 0.90×)`);
  console.log(`${BATCHER} / ${SEQUENTIAL}: ${ratio(BATCHER, SEQUENTIAL)}`);
  console.log(`${BATCHER} / ${SORTED}: ${ratio(BATCHER, SORTED)}`);
  console.log(`${FIFO} / ${DIRECT}: ${ratio(FIFO, DIRECT)}`);
  await sessions.release();
}

await main();
