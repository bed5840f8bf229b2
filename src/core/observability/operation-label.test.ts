import { MAX_OPERATION_LABELS, operationLabel } from './operation-label';

describe('operationLabel: a bounded set of metric labels from client-chosen names', () => {
  test('anonymous, unresolved, malformed and over-long names', () => {
    expect(operationLabel(null)).toBe('anonymous');
    expect(operationLabel(undefined)).toBe('other');
    expect(operationLabel('Members')).toBe('Members');
    expect(operationLabel('x'.repeat(64))).toBe('x'.repeat(64));
    expect(operationLabel('x'.repeat(65))).toBe('other');
    expect(operationLabel('not a name')).toBe('other');
    expect(operationLabel('Members"} 1\nevil')).toBe('other');
  });

  test(`only the first ${MAX_OPERATION_LABELS} distinct names get a label; those keep it`, () => {
    for (let index = 0; index < MAX_OPERATION_LABELS * 2; index += 1) operationLabel(`Operation${index}`);
    const labels = new Set(Array.from({ length: MAX_OPERATION_LABELS * 2 }, (_unused, index) => operationLabel(`Operation${index}`)));
    expect(labels.size).toBeLessThanOrEqual(MAX_OPERATION_LABELS + 1);
    expect(labels.has('other')).toBe(true);
    expect(operationLabel('Members')).toBe('Members');
    expect(operationLabel('SomethingNew')).toBe('other');
  });
});
