import type { RrdbNetArchitecture } from '../../src';
import type { Weights } from './bert-reference';

/** A feature map: channels × height × width, row-major. */
export interface FeatureMap {
  readonly channels: number;
  readonly height: number;
  readonly width: number;
  readonly data: Float64Array;
}

function conv3x3(w: Weights, prefix: string, x: FeatureMap, outChannels: number): FeatureMap {
  const weight = w(`${prefix}.weight`);
  const bias = w(`${prefix}.bias`);
  const { channels, height, width } = x;
  const data = new Float64Array(outChannels * height * width);
  for (let o = 0; o < outChannels; o++) {
    for (let y = 0; y < height; y++) {
      for (let xx = 0; xx < width; xx++) {
        let sum = bias[o];
        for (let c = 0; c < channels; c++) {
          for (let ky = 0; ky < 3; ky++) {
            const sy = y + ky - 1;
            if (sy < 0 || sy >= height) continue;
            for (let kx = 0; kx < 3; kx++) {
              const sx = xx + kx - 1;
              if (sx < 0 || sx >= width) continue;
              sum += weight[((o * channels + c) * 3 + ky) * 3 + kx] * x.data[(c * height + sy) * width + sx];
            }
          }
        }
        data[(o * height + y) * width + xx] = sum;
      }
    }
  }
  return { channels: outChannels, height, width, data };
}

const map = (x: FeatureMap, f: (value: number, i: number) => number): FeatureMap => ({ ...x, data: x.data.map(f) });
const leakyRelu = (x: FeatureMap) => map(x, (v) => (v >= 0 ? v : 0.2 * v));
const scaledResidual = (branch: FeatureMap, x: FeatureMap) => map(branch, (v, i) => v * 0.2 + x.data[i]);

function concatChannels(maps: readonly FeatureMap[]): FeatureMap {
  const data = new Float64Array(maps.reduce((sum, m) => sum + m.data.length, 0));
  let offset = 0;
  for (const m of maps) {
    data.set(m.data, offset);
    offset += m.data.length;
  }
  return { channels: maps.reduce((sum, m) => sum + m.channels, 0), height: maps[0].height, width: maps[0].width, data };
}

function upsampleNearest2x(x: FeatureMap): FeatureMap {
  const height = x.height * 2;
  const width = x.width * 2;
  const data = new Float64Array(x.channels * height * width);
  for (let c = 0; c < x.channels; c++) {
    for (let y = 0; y < height; y++) {
      for (let xx = 0; xx < width; xx++) data[(c * height + y) * width + xx] = x.data[(c * x.height + (y >> 1)) * x.width + (xx >> 1)];
    }
  }
  return { channels: x.channels, height, width, data };
}

function residualDenseBlock(w: Weights, prefix: string, x: FeatureMap, arch: RrdbNetArchitecture): FeatureMap {
  const features = [x];
  for (let i = 1; i <= 4; i++) features.push(leakyRelu(conv3x3(w, `${prefix}.conv${i}`, concatChannels(features), arch.numGrowCh)));
  return scaledResidual(conv3x3(w, `${prefix}.conv5`, concatChannels(features), arch.numFeat), x);
}

/** RRDBNet ×4 (ESRGAN, as in BasicSR's rrdbnet_arch.py) for one image [3,H,W] → [3,4H,4W]. */
export function rrdbNetUpscale(w: Weights, arch: RrdbNetArchitecture, image: FeatureMap): FeatureMap {
  const feat = conv3x3(w, 'conv_first', image, arch.numFeat);
  let body = feat;
  for (let block = 0; block < arch.numBlocks; block++) {
    let out = body;
    for (let i = 1; i <= 3; i++) out = residualDenseBlock(w, `body.${block}.rdb${i}`, out, arch);
    body = scaledResidual(out, body);
  }
  let up = map(conv3x3(w, 'conv_body', body, arch.numFeat), (v, i) => v + feat.data[i]);
  up = leakyRelu(conv3x3(w, 'conv_up1', upsampleNearest2x(up), arch.numFeat));
  up = leakyRelu(conv3x3(w, 'conv_up2', upsampleNearest2x(up), arch.numFeat));
  return conv3x3(w, 'conv_last', leakyRelu(conv3x3(w, 'conv_hr', up, arch.numFeat)), 3);
}
