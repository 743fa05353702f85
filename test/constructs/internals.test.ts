import { withoutTokenStackTraces } from '../../src/constructs/app';

/** The one place ggi reaches into a library's behaviour during synth: Error.captureStackTrace, swapped and restored. */
describe('withoutTokenStackTraces', () => {
  const original = Error.captureStackTrace;

  test('captureStackTrace records nothing inside, while new Error still has its stack', () => {
    const seen = withoutTokenStackTraces(() => {
      const holder: { stack?: string } = {};
      Error.captureStackTrace(holder);
      return { captured: holder.stack, own: new Error('x').stack };
    });
    expect(seen.captured).toBeUndefined();
    expect(seen.own).toMatch(/^Error: x\n\s+at /);
  });

  test('is restored afterwards, also when the work throws', () => {
    expect(withoutTokenStackTraces(() => 42)).toBe(42);
    expect(Error.captureStackTrace).toBe(original);
    expect(() =>
      withoutTokenStackTraces(() => {
        throw new Error('refused');
      }),
    ).toThrow('refused');
    expect(Error.captureStackTrace).toBe(original);
    const holder: { stack?: string } = {};
    Error.captureStackTrace(holder);
    expect(holder.stack).toMatch(/\n\s+at /);
  });
});
