/**
 * Polling waits for tests that observe real processes and servers: resolves
 * (with the time it took) once `check` holds, throws naming `what` after
 * `timeoutMs`. Waits on a condition, never on a fixed sleep.
 */
export async function until(check: () => boolean | Promise<boolean>, timeoutMs = 5000, what = 'the condition', pollMs = 20): Promise<number> {
  const started = Date.now();
  while (!(await check())) {
    if (Date.now() - started > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
  return Date.now() - started;
}
