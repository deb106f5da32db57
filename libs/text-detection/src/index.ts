// Browser-safe: text-windows and detection-maths import nothing from Node; a browser client imports them directly.
export { DEFAULT_WINDOW_OVERLAP, specialTokensOf, tokenWindows, windowCapacity, type SpecialTokens, type TokenWindow, type WindowPlan } from './text-windows';
export { aggregateWindows, machineLabelIndex, softmax, textVerdict, type TextVerdict, type WindowProbabilities } from './detection-maths';
// Node only.
export * from './errors';
export * from './model-registry';
export { TEXT_MODEL_FILES, loadTextModel, textModelSpec, type LoadedTextModel, type TextModelFile, type TextModelSpec } from './text-model-files';
export * from './text-detector';
export * from './text-detector-service';
