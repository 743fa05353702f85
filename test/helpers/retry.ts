/**
 * A positive probe in a lab test: true when one of `tries` attempts answers. A single packet can be late on a loaded
 * host (address resolution, a forking echo server), which would fail a test for no fault of ggi. Only for probes that
 * must connect: a probe that must be blocked is asked once, since a retry could only hide a leak.
 */
export async function trueWithin(tries: number, probe: () => Promise<boolean>, pauseMs = 500): Promise<boolean> {
  for (let i = 0; i < tries; i++) {
    if (await probe()) return true;
    if (i + 1 < tries) await new Promise((r) => setTimeout(r, pauseMs));
  }
  return false;
}
