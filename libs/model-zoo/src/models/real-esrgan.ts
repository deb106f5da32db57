import { GENERATED_MODELS, graphSignature } from '../manifest';
import { attr, GraphBuilder, type GraphSpec } from '../onnx/graph-builder';
import { conv2d, leakyRelu, upsampleNearest2x } from '../layers/vision';
import { ESRGAN_SCALE, REAL_ESRGAN, type RrdbNetArchitecture, type Tier } from './architectures';
import { graphSeed } from './graph-seed';
import { jsonFile, type ModelArtifacts } from './model-artifacts';

const MODEL = GENERATED_MODELS.realEsrgan;
const GRAPH_FILE = 'onnx/RealESRGAN_x4plus.onnx';
/** ESRGAN scales each residual branch by 0.2 before adding it back. */
const RESIDUAL_SCALE = 0.2;

function conv3x3(g: GraphBuilder, x: string, prefix: string, inChannels: number, outChannels: number): string {
  return conv2d(g, x, prefix, { inChannels, outChannels, kernel: 3 });
}

function scaledResidual(g: GraphBuilder, branch: string, x: string): string {
  return g.op('Add', [g.op('Mul', [branch, g.scalar(RESIDUAL_SCALE)]), x]);
}

/** Residual dense block: five convolutions, each seeing the block input and every earlier output. */
function residualDenseBlock(g: GraphBuilder, x: string, prefix: string, arch: RrdbNetArchitecture): string {
  const features = [x];
  for (let i = 1; i <= 4; i++) {
    const input = features.length === 1 ? x : g.op('Concat', features, { axis: attr.int(1) });
    features.push(leakyRelu(g, conv3x3(g, input, `${prefix}.conv${i}`, arch.numFeat + (i - 1) * arch.numGrowCh, arch.numGrowCh)));
  }
  const last = conv3x3(g, g.op('Concat', features, { axis: attr.int(1) }), `${prefix}.conv5`, arch.numFeat + 4 * arch.numGrowCh, arch.numFeat);
  return scaledResidual(g, last, x);
}

function residualInResidualDenseBlock(g: GraphBuilder, x: string, prefix: string, arch: RrdbNetArchitecture): string {
  let out = x;
  for (let i = 1; i <= 3; i++) out = residualDenseBlock(g, out, `${prefix}.rdb${i}`, arch);
  return scaledResidual(g, out, x);
}

/** RRDBNet x4plus with two nearest-neighbour ×2 upsamplings, [B,3,H,W] → [B,3,4H,4W], under the given file's signature. */
function rrdbNetGraph(tier: Tier, file: string): GraphSpec {
  const arch = REAL_ESRGAN[tier];
  const { numFeat } = arch;
  const signature = graphSignature('realEsrgan', file);
  // Seeded by the dynamic graph's file, so that every export of a tier holds the same weights.
  const g = new GraphBuilder('realesrgan-x4plus', graphSeed(MODEL.repoId, GRAPH_FILE, tier), signature);
  const feat = conv3x3(g, g.input(signature.inputs[0].name), 'conv_first', 3, numFeat);
  let body = feat;
  for (let block = 0; block < arch.numBlocks; block++) body = residualInResidualDenseBlock(g, body, `body.${block}`, arch);
  let up = g.op('Add', [feat, conv3x3(g, body, 'conv_body', numFeat, numFeat)]);
  up = leakyRelu(g, conv3x3(g, upsampleNearest2x(g, up), 'conv_up1', numFeat, numFeat));
  up = leakyRelu(g, conv3x3(g, upsampleNearest2x(g, up), 'conv_up2', numFeat, numFeat));
  g.output(signature.outputs[0].name, conv3x3(g, leakyRelu(g, conv3x3(g, up, 'conv_hr', numFeat, numFeat)), 'conv_last', numFeat, 3));
  return g.build();
}

/** Real-ESRGAN x4plus: the dynamic-size graph and the reference's fixed 64×64 export of the same network. */
export function buildRealEsrgan(tier: Tier): ModelArtifacts {
  const arch = REAL_ESRGAN[tier];
  return {
    graphs: MODEL.graphs.map(({ file }) => ({ path: file, graph: rrdbNetGraph(tier, file) })),
    files: [
      jsonFile('config.json', {
        model_type: 'rrdbnet',
        scale: ESRGAN_SCALE,
        num_in_ch: 3,
        num_out_ch: 3,
        num_feat: arch.numFeat,
        num_block: arch.numBlocks,
        num_grow_ch: arch.numGrowCh,
        input_range: [0, 1],
      }),
    ],
  };
}
