import { axisSpans, reflectIndex, tilePlan, type TileRect } from '../../src';

interface ReferenceTile {
  input: [number, number, number, number];
  inputPad: [number, number, number, number];
  output: [number, number, number, number];
  outputTile: [number, number, number, number];
}

/** RealESRGANer.tile_process's rectangles, written out as the reference computes them (x0, x1, y0, y1). */
function referenceTiles(width: number, height: number, tile: number, pad: number, scale: number): ReferenceTile[] {
  const tiles: ReferenceTile[] = [];
  const tilesX = Math.ceil(width / tile);
  const tilesY = Math.ceil(height / tile);
  for (let y = 0; y < tilesY; y++) {
    for (let x = 0; x < tilesX; x++) {
      const ofsX = x * tile;
      const ofsY = y * tile;
      const inputStartX = ofsX;
      const inputEndX = Math.min(ofsX + tile, width);
      const inputStartY = ofsY;
      const inputEndY = Math.min(ofsY + tile, height);
      const inputStartXPad = Math.max(inputStartX - pad, 0);
      const inputEndXPad = Math.min(inputEndX + pad, width);
      const inputStartYPad = Math.max(inputStartY - pad, 0);
      const inputEndYPad = Math.min(inputEndY + pad, height);
      const outputStartXTile = (inputStartX - inputStartXPad) * scale;
      const outputStartYTile = (inputStartY - inputStartYPad) * scale;
      tiles.push({
        input: [inputStartX, inputEndX, inputStartY, inputEndY],
        inputPad: [inputStartXPad, inputEndXPad, inputStartYPad, inputEndYPad],
        output: [inputStartX * scale, inputEndX * scale, inputStartY * scale, inputEndY * scale],
        outputTile: [
          outputStartXTile,
          outputStartXTile + (inputEndX - inputStartX) * scale,
          outputStartYTile,
          outputStartYTile + (inputEndY - inputStartY) * scale,
        ],
      });
    }
  }
  return tiles;
}

/** The same rectangles from a tile of the plan, with the crop arithmetic the upscaler uses. */
function fromPlan({ x, y }: TileRect, scale: number): ReferenceTile {
  const cropX = (x.start - x.padStart) * scale;
  const cropY = (y.start - y.padStart) * scale;
  return {
    input: [x.start, x.end, y.start, y.end],
    inputPad: [x.padStart, x.padEnd, y.padStart, y.padEnd],
    output: [x.start * scale, x.end * scale, y.start * scale, y.end * scale],
    outputTile: [cropX, cropX + (x.end - x.start) * scale, cropY, cropY + (y.end - y.start) * scale],
  };
}

describe('tilePlan', () => {
  it.each([
    [1024, 680, 128, 10],
    [1024, 680, 256, 10],
    [1024, 680, 512, 10],
    [37, 23, 16, 10],
    [37, 23, 11, 10],
    [5, 3, 64, 10],
    [100, 100, 30, 0],
    [64, 64, 44, 10],
  ])('cuts %i×%i into tiles of %i with pad %i exactly as tile_process does', (width, height, tile, pad) => {
    const plan = tilePlan(width, height, tile, tile, pad);
    expect(plan.map((rect) => fromPlan(rect, 4))).toEqual(referenceTiles(width, height, tile, pad, 4));
  });

  it('covers every pixel exactly once with the kept spans', () => {
    const spans = axisSpans(103, 25, 10);
    expect(spans.map((span) => [span.start, span.end])).toEqual([
      [0, 25],
      [25, 50],
      [50, 75],
      [75, 100],
      [100, 103],
    ]);
    expect(spans.map((span) => [span.padStart, span.padEnd])).toEqual([
      [0, 35],
      [15, 60],
      [40, 85],
      [65, 103],
      [90, 103],
    ]);
  });
});

describe('reflectIndex', () => {
  it("is numpy's 'reflect' padding, repeated past one reflection", () => {
    // np.pad(np.arange(4), (0, 9), 'reflect') → 0 1 2 3 2 1 0 1 2 3 2 1 0
    expect(Array.from({ length: 13 }, (_, i) => reflectIndex(i, 4))).toEqual([0, 1, 2, 3, 2, 1, 0, 1, 2, 3, 2, 1, 0]);
    expect(Array.from({ length: 3 }, (_, i) => reflectIndex(i, 1))).toEqual([0, 0, 0]);
  });
});
