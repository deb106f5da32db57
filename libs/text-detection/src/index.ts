// Browser-safe (a browser client imports them from ./browser): text-windows and detection-maths import nothing from Node.
export * from './browser';
// Node only.
export * from './errors';
export * from './model-registry';
export { TEXT_MODEL_FILES, loadTextModel, textModelSpec, type LoadedTextModel, type TextModelFile, type TextModelSpec } from './text-model-files';
export * from './text-detector';
export * from './text-detector-service';
