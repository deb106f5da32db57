import { GENERATED_MODELS, graphSignature } from '../manifest';
import { GraphBuilder } from '../onnx/graph-builder';
import { bertTokenizerFiles } from '../tokenizer/bert-tokenizer-files';
import { MINILM, type Tier } from './architectures';
import { bertEncoder } from './bert-encoder';
import { graphSeed } from './graph-seed';
import { jsonFile, type ModelArtifacts } from './model-artifacts';

const MODEL = GENERATED_MODELS.miniLm;
const GRAPH_FILE = 'onnx/model.onnx';

/** sentence-transformers/all-MiniLM-L6-v2: a BERT encoder giving token vectors of width 384. */
export function buildMiniLm(tier: Tier): ModelArtifacts {
  const arch = MINILM[tier];
  const g = new GraphBuilder('all-MiniLM-L6-v2', graphSeed(MODEL.repoId, GRAPH_FILE, tier), graphSignature('miniLm', GRAPH_FILE));
  const lastHiddenState = bertEncoder(g, arch, {
    inputIds: g.input('input_ids'),
    attentionMask: g.input('attention_mask'),
    tokenTypes: { ids: g.input('token_type_ids'), vocabSize: arch.typeVocabSize },
  });
  g.output('last_hidden_state', lastHiddenState);

  return {
    graphs: [{ path: GRAPH_FILE, graph: g.build() }],
    files: [
      jsonFile('config.json', {
        architectures: ['BertModel'],
        model_type: 'bert',
        hidden_act: 'gelu',
        hidden_size: arch.width,
        intermediate_size: arch.intermediate,
        num_attention_heads: arch.heads,
        num_hidden_layers: arch.layers,
        max_position_embeddings: arch.maxPositions,
        type_vocab_size: arch.typeVocabSize,
        vocab_size: arch.vocabSize,
        layer_norm_eps: arch.layerNormEps,
        pad_token_id: 0,
        position_embedding_type: 'absolute',
      }),
      // As in the real repository: tokenizer.json truncates and pads to 128, while
      // sentence-transformers reads its own limit of 256 from sentence_bert_config.json.
      ...bertTokenizerFiles({ truncationLength: 128, padToTruncationLength: true, modelMaxLength: 512 }),
      jsonFile('modules.json', [
        { idx: 0, name: '0', path: '', type: 'sentence_transformers.models.Transformer' },
        { idx: 1, name: '1', path: '1_Pooling', type: 'sentence_transformers.models.Pooling' },
        { idx: 2, name: '2', path: '2_Normalize', type: 'sentence_transformers.models.Normalize' },
      ]),
      jsonFile('sentence_bert_config.json', { max_seq_length: 256, do_lower_case: false }),
      jsonFile('1_Pooling/config.json', {
        word_embedding_dimension: arch.width,
        pooling_mode_cls_token: false,
        pooling_mode_mean_tokens: true,
        pooling_mode_max_tokens: false,
        pooling_mode_mean_sqrt_len_tokens: false,
      }),
    ],
  };
}
