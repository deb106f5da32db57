import { buildModel, type GraphSpec } from '../src';

/** Trainable parameters: initializers with generated values (constants such as masks are given ones). */
function parameterCount(graph: GraphSpec, prefix = ''): number {
  return graph.initializers
    .filter((spec) => spec.init.kind === 'uniform' && spec.name.startsWith(prefix))
    .reduce((sum, spec) => sum + spec.dims.reduce((product, dim) => product * dim, 1), 0);
}

function graph(model: Parameters<typeof buildModel>[0], file: string): GraphSpec {
  return buildModel(model, 'full').graphs.find((candidate) => candidate.path === file)!.graph;
}

// The full tier is hundreds of megabytes, so it is not written here; its graphs are built (no
// weights are drawn) and their sizes checked against the published parameter counts.
describe('full tier', () => {
  it('gives all-MiniLM-L6-v2 the parameters of BertModel (6×384, 22,713,216) less its unused pooler (384×384+384)', () => {
    expect(parameterCount(graph('miniLm', 'onnx/model.onnx'))).toBe(22_713_216 - 147_840);
  });

  it('gives CLIP ViT-B/32 its vision (87,849,216) and text (63,428,096) towers with projections', () => {
    expect(parameterCount(graph('clip', 'onnx/vision_model.onnx'))).toBe(87_849_216);
    expect(parameterCount(graph('clip', 'onnx/text_model.onnx'))).toBe(63_428_096);
  });

  it('gives Real-ESRGAN x4plus the 16,697,987 parameters of RRDBNet(64, 23 blocks, 32)', () => {
    expect(parameterCount(graph('realEsrgan', 'onnx/RealESRGAN_x4plus.onnx'))).toBe(16_697_987);
  });

  it("gives SPAI's patch encoder a ViT-B/16 backbone (85,798,656 parameters without its head)", () => {
    expect(parameterCount(graph('spai', 'onnx/patch_encoder.onnx'), 'backbone.')).toBe(85_798_656);
  });

  it('gives roberta-base-openai-detector the 124,647,170 parameters of RobertaForSequenceClassification (roberta-base)', () => {
    expect(parameterCount(graph('textDetector', 'onnx/model.onnx'))).toBe(124_647_170);
  });
});
