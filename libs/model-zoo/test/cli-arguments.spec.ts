import { CliUsageError, UnknownModelError, UnknownTierError } from '../src';
import { parseCliArguments } from '../src/cli-arguments';

describe('parseCliArguments', () => {
  const parse = (...argv: string[]) => parseCliArguments(argv, '/repo/models', '/work');

  it('generates the tiny tier of every model into the default folder unless told otherwise', () => {
    expect(parse('generate')).toEqual({ tiers: ['tiny'], outDir: '/repo/models', models: expect.arrayContaining(['miniLm', 'clip', 'spai']) });
  });

  it('takes a tier (or all), an output folder relative to the working directory, and models', () => {
    expect(parse('generate', '--tier', 'all', '--out', 'out/models', '--model', 'clip', '--model', 'spai')).toEqual({
      tiers: ['tiny', 'full'],
      outDir: '/work/out/models',
      models: ['clip', 'spai'],
    });
    expect(parse('generate', '--tier', 'full').tiers).toEqual(['full']);
  });

  it('names what it does not understand', () => {
    expect(() => parse('generate', '--tier', 'huge')).toThrow(UnknownTierError);
    expect(() => parse('generate', '--model', 'gpt')).toThrow(UnknownModelError);
    expect(() => parse('build')).toThrow(CliUsageError);
    expect(() => parse('generate', '--colour')).toThrow(CliUsageError);
  });
});
