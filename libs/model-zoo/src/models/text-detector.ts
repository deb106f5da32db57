import { GENERATED_MODELS, graphSignature } from '../manifest';
import { attr, GraphBuilder } from '../onnx/graph-builder';
import { linear } from '../layers/transformer';
import { robertaBpe, robertaTokenizerFiles, ROBERTA_SPECIAL_TOKENS } from '../tokenizer/roberta-tokenizer-files';
import { ROBERTA_MAX_TOKENS, ROBERTA_PADDING_IDX, TEXT_DETECTOR, TEXT_DETECTOR_LABELS, type Tier } from './architectures';
import { bertEncoder } from './bert-encoder';
import { graphSeed } from './graph-seed';
import { jsonFile, type ModelArtifacts } from './model-artifacts';

const MODEL = GENERATED_MODELS.textDetector;
const GRAPH_FILE = 'onnx/model.onnx';

/**
 * roberta-base-openai-detector (RobertaForSequenceClassification) with the I/O of its ONNX export
 * (onnx-community/roberta-base-openai-detector-ONNX): RoBERTa embeddings (positions from
 * padding_idx + 1, one token type), a post-norm encoder, and the classification head (dense + tanh
 * + projection) on the first token. The tokenizer is a RoBERTa byte-level BPE with a vocabulary
 * learned from a small corpus (robertaTokenizerFiles).
 */
export function buildTextDetector(tier: Tier): ModelArtifacts {
  const arch = TEXT_DETECTOR[tier];
  const g = new GraphBuilder('text-detector', graphSeed(MODEL.repoId, GRAPH_FILE, tier), graphSignature('textDetector', GRAPH_FILE));
  const hidden = bertEncoder(g, arch, {
    inputIds: g.input('input_ids'),
    attentionMask: g.input('attention_mask'),
    tokenTypes: { vocabSize: 1 },
    robertaPositions: { paddingIdx: ROBERTA_PADDING_IDX },
  });
  const first = g.op('Gather', [hidden, g.constant('int64', [0], [])], { axis: attr.int(1) });
  const dense = g.op('Tanh', [linear(g, first, 'classifier.dense', arch.width, arch.width)]);
  g.output('logits', linear(g, dense, 'classifier.out_proj', arch.width, TEXT_DETECTOR_LABELS.length));

  const { vocab } = robertaBpe();
  return {
    graphs: [{ path: GRAPH_FILE, graph: g.build() }],
    files: [
      jsonFile('config.json', {
        architectures: ['RobertaForSequenceClassification'],
        model_type: 'roberta',
        hidden_act: 'gelu',
        hidden_size: arch.width,
        intermediate_size: arch.intermediate,
        num_attention_heads: arch.heads,
        num_hidden_layers: arch.layers,
        max_position_embeddings: arch.maxPositions,
        type_vocab_size: 1,
        vocab_size: arch.vocabSize,
        layer_norm_eps: arch.layerNormEps,
        bos_token_id: vocab[ROBERTA_SPECIAL_TOKENS.bos],
        pad_token_id: vocab[ROBERTA_SPECIAL_TOKENS.pad],
        eos_token_id: vocab[ROBERTA_SPECIAL_TOKENS.eos],
        position_embedding_type: 'absolute',
        id2label: Object.fromEntries(TEXT_DETECTOR_LABELS.map((label, id) => [String(id), label])),
        label2id: Object.fromEntries(TEXT_DETECTOR_LABELS.map((label, id) => [label, id])),
      }),
      ...robertaTokenizerFiles(ROBERTA_MAX_TOKENS),
    ],
  };
}
