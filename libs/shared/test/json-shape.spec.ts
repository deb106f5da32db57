import { findJsonShapeViolation, toStorableText, unstorableTextReason } from '../src/json-shape';

const limits = { maxDepth: 3, maxKeys: 5, maxStringLength: 4 };

describe('JSON shape limits', () => {
  it('accepts values within every limit', () => {
    expect(findJsonShapeViolation({ a: [1, 'abcd'], b: { c: null } }, limits)).toBeUndefined();
    expect(findJsonShapeViolation('abcd', limits)).toBeUndefined();
  });

  it('names the limit and the path of the first violation', () => {
    expect(findJsonShapeViolation({ a: { b: { c: { d: 1 } } } }, limits)).toMatchObject({ limit: 'maxDepth', path: ['a', 'b', 'c'] });
    expect(findJsonShapeViolation({ a: [1, 2, 3, 4, 5] }, limits)).toMatchObject({ limit: 'maxKeys', path: ['a'] });
    expect(findJsonShapeViolation({ a: ['ok', 'too long'] }, limits)).toMatchObject({ limit: 'maxStringLength', path: ['a', 1] });
    expect(findJsonShapeViolation({ 'long key': 1 }, limits)).toMatchObject({
      limit: 'maxStringLength',
      path: ['long key'],
      message: expect.stringMatching(/^has a key that/),
    });
  });

  it('walks a value nested far deeper than the call stack allows, without recursion', () => {
    let value: unknown = 1;
    for (let i = 0; i < 200_000; i += 1) value = [value];
    expect(findJsonShapeViolation(value, { ...limits, maxDepth: 250_000, maxKeys: 1_000_000 })).toBeUndefined();
    expect(findJsonShapeViolation(value, limits)).toMatchObject({ limit: 'maxDepth' });
  });

  it('finds text Postgres cannot store: U+0000 and unpaired surrogates, in values and keys', () => {
    const unbounded = { maxDepth: 10, maxKeys: 100, maxStringLength: 100 };
    expect(findJsonShapeViolation({ a: ['x\u0000'] }, unbounded)).toMatchObject({ limit: 'storableText', path: ['a', 0] });
    expect(findJsonShapeViolation({ ['\udc00']: 1 }, unbounded)).toMatchObject({ limit: 'storableText', path: ['\udc00'] });
    expect(findJsonShapeViolation({ emoji: '😀', han: '漢字', paired: '\ud83d\ude00' }, unbounded)).toBeUndefined();
  });

  it('tells why text cannot be stored, and makes a lossy storable copy for messages', () => {
    expect(unstorableTextReason('a\u0000b')).toMatch(/U\+0000/);
    expect(unstorableTextReason('a\ud800b')).toMatch(/unpaired/);
    expect(unstorableTextReason('\ud83d\ude00')).toBeUndefined();
    expect(toStorableText('a\u0000b\ud800c\ud83d\ude00')).toBe('a\ufffdb\ufffdc\ud83d\ude00');
  });
});
