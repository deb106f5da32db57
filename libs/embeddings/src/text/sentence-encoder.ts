import type { InferenceSession } from 'onnxruntime-node';
import { runInPaddingGroups, type ModelSession, type ModelSessions, type ModelStore } from '@switchyard/model-runtime';
import type { BatchEncoder, ModelSource } from '../batch-encoder';
import { EmbeddingModelError } from '../errors';
import { ModelFiles, optionalCount, requiredCount } from '../model-files';
import { l2Normalize } from '../vectors';
import { meanPool } from './mean-pooling';
import { padTokenBatch, tokenFeeds, type TokenInputName } from './token-batch';
import { tokenInputsOf } from './token-inputs';
import { TextTokenizer, type TokenizedText } from './text-tokenizer';

/** The files of a sentence-transformers repository that an ONNX sentence encoder needs. */
export const SENTENCE_ENCODER_FILES = {
  graph: 'onnx/model.onnx',
  config: 'config.json',
  tokenizer: 'tokenizer.json',
  tokenizerConfig: 'tokenizer_config.json',
  sentenceConfig: 'sentence_bert_config.json',
} as const;

/**
 * A sentence-transformers text model (all-MiniLM-L6-v2 and its kin) as sentence-transformers runs
 * it: the model's own tokenizer truncating at its max_seq_length, the transformer, mean pooling
 * over the attention mask, L2 normalization.
 */
export class SentenceEncoder implements BatchEncoder<TokenizedText> {
  private constructor(
    readonly name: string,
    readonly session: ModelSession,
    readonly tokenizer: TextTokenizer,
    readonly dimensions: number,
    private readonly inputs: readonly TokenInputName[],
  ) {}

  static async load(store: ModelStore, sessions: ModelSessions, source: ModelSource): Promise<SentenceEncoder> {
    const files = await ModelFiles.resolve(store, source, Object.values(SENTENCE_ENCODER_FILES));
    const [config, tokenizer, tokenizerConfig, sentenceConfig] = await Promise.all([
      files.json(SENTENCE_ENCODER_FILES.config),
      files.json(SENTENCE_ENCODER_FILES.tokenizer),
      files.json(SENTENCE_ENCODER_FILES.tokenizerConfig),
      files.json(SENTENCE_ENCODER_FILES.sentenceConfig),
    ]);
    const count = (file: string, key: string, value: unknown) => optionalCount(source.repo, file, key, value);
    const dimensions = requiredCount(source.repo, SENTENCE_ENCODER_FILES.config, 'hidden_size', config.hidden_size);
    // sentence-transformers reads its own limit, which may be below what the tokenizer or positions allow.
    const lengths = [
      count(SENTENCE_ENCODER_FILES.sentenceConfig, 'max_seq_length', sentenceConfig.max_seq_length) ??
        count(SENTENCE_ENCODER_FILES.tokenizerConfig, 'model_max_length', tokenizerConfig.model_max_length),
      count(SENTENCE_ENCODER_FILES.config, 'max_position_embeddings', config.max_position_embeddings),
    ].filter((length): length is number => length !== undefined);
    if (lengths.length === 0) throw new EmbeddingModelError(source.repo, 'no file states its maximum sequence length');

    const name = `${source.repo}/${SENTENCE_ENCODER_FILES.graph}`;
    const session = await sessions.load(files.path(SENTENCE_ENCODER_FILES.graph), { name });
    const inputs = tokenInputsOf(session, ['input_ids', 'attention_mask']);
    session.checkSignature({
      inputs: inputs.map((input) => ({ name: input, type: 'int64', shape: ['batch', 'sequence'] })),
      outputs: [{ name: 'last_hidden_state', type: 'float32', shape: ['batch', 'sequence', dimensions] }],
    });
    const encoder = new SentenceEncoder(name, session, new TextTokenizer({ tokenizer, config: tokenizerConfig }, Math.min(...lengths)), dimensions, inputs);
    await encoder.embedBatch([encoder.tokenizer.encode('warm-up')]);
    return encoder;
  }

  feeds(items: readonly TokenizedText[]): InferenceSession.FeedsType {
    return tokenFeeds(padTokenBatch(items, this.tokenizer.padId), this.inputs);
  }

  /** Texts of very different lengths run in groups (runInPaddingGroups): each group is padded to its own longest. */
  embedBatch(items: readonly TokenizedText[]): Promise<Float32Array[]> {
    return runInPaddingGroups(
      items,
      (item) => item.ids.length,
      this.session.provider,
      (group) => this.embedPadded(group),
    );
  }

  private async embedPadded(items: readonly TokenizedText[]): Promise<Float32Array[]> {
    const batch = padTokenBatch(items, this.tokenizer.padId);
    const { last_hidden_state: hidden } = await this.session.run(tokenFeeds(batch, this.inputs));
    const pooled = meanPool(hidden.data as Float32Array, batch.attentionMask, batch.size, batch.length, this.dimensions);
    return pooled.map(l2Normalize);
  }
}
