import { TierNotAvailableError } from '../errors';
import { GENERATED_MODELS, graphSignature } from '../manifest';
import { attr, GraphBuilder } from '../onnx/graph-builder';
import { linear } from '../layers/transformer';
import { bertTokenizerFiles } from '../tokenizer/bert-tokenizer-files';
import { TEXT_DETECTOR, TEXT_DETECTOR_LABELS, type Tier } from './architectures';
import { bertEncoder } from './bert-encoder';
import { graphSeed } from './graph-seed';
import { jsonFile, type ModelArtifacts } from './model-artifacts';

const MODEL = GENERATED_MODELS.textDetector;
const GRAPH_FILE = 'onnx/model.onnx';

/**
 * A sequence classifier with the I/O of roberta-base-openai-detector: an encoder, then RoBERTa's
 * classification head (dense + tanh + projection) on the first token. The real model's byte-level
 * BPE vocabulary is not available offline, so this one uses the BERT WordPiece tokenizer.
 */
export function buildTextDetector(tier: Tier): ModelArtifacts {
  if (tier !== 'tiny') throw new TierNotAvailableError(MODEL.repoId, tier);
  const arch = TEXT_DETECTOR.tiny;
  const g = new GraphBuilder('text-detector', graphSeed(MODEL.repoId, GRAPH_FILE, tier), graphSignature('textDetector', GRAPH_FILE));
  const hidden = bertEncoder(g, arch, { inputIds: g.input('input_ids'), attentionMask: g.input('attention_mask') });
  const first = g.op('Gather', [hidden, g.constant('int64', [0], [])], { axis: attr.int(1) });
  const dense = g.op('Tanh', [linear(g, first, 'classifier.dense', arch.width, arch.width)]);
  g.output('logits', linear(g, dense, 'classifier.out_proj', arch.width, TEXT_DETECTOR_LABELS.length));

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
        vocab_size: arch.vocabSize,
        layer_norm_eps: arch.layerNormEps,
        id2label: Object.fromEntries(TEXT_DETECTOR_LABELS.map((label, id) => [String(id), label])),
        label2id: Object.fromEntries(TEXT_DETECTOR_LABELS.map((label, id) => [label, id])),
      }),
      ...bertTokenizerFiles({ truncationLength: arch.maxPositions, padToTruncationLength: false, modelMaxLength: arch.maxPositions }),
    ],
  };
}
