export * from './errors';
export type { Dim, GraphSignature, TensorSignature } from './signature';
export { GENERATED_MODELS, MODEL_KEYS, graphSignature, hasTier, type GeneratedModel, type ModelKey } from './manifest';
export * from './models/architectures';
export type { BinaryFile, GraphFile, ModelArtifacts, TextFile } from './models/model-artifacts';
export { buildModel } from './models/model-builders';
export { GENERATOR_VERSION, generateModels, modelDirectory, type GenerateOptions, type GeneratedFile, type GenerationResult } from './generate';
export { attr, GraphBuilder, type GraphSpec } from './onnx/graph-builder';
export { readWeight } from './onnx/graph-weights';
export { writeOnnxFile, ONNX_IR_VERSION, ONNX_OPSET } from './onnx/onnx-file-writer';
export type { ElementType, InitializerSpec } from './onnx/tensor-spec';
export { bertTokenizerDefinition, bertTokenizerFiles, type BertTokenizerOptions } from './tokenizer/bert-tokenizer-files';
export { CLIP_SPECIAL_TOKENS, byteLevelAlphabet, clipTokenizerDefinition, clipTokenizerFiles } from './tokenizer/clip-tokenizer-files';
export { BERT_SPECIAL_TOKENS, loadBertVocabulary } from './tokenizer/bert-vocabulary';
export {
  ROBERTA_SPECIAL_TOKENS,
  learnByteLevelBpe,
  robertaBpe,
  robertaTokenizerDefinition,
  robertaTokenizerFiles,
  type LearnedBpe,
} from './tokenizer/roberta-tokenizer-files';
export { SeededRandom } from './random/seeded-random';
