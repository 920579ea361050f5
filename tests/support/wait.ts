// For what happens in the background (an event delivered, a notification sent, a process
// listening): poll until it holds, or fail naming what did not happen.
import type { Registry } from 'prom-client';

export async function waitFor(what: string, probe: () => Promise<boolean>, { timeoutMs = 20_000, everyMs = 100 } = {}): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe().catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}

/** A counter's value for one label value in a service's registry (0 before its first count). */
export async function counterValue(registry: Registry, name: string, label: string, value: string): Promise<number> {
  const text = await registry.getSingleMetricAsString(name);
  const line = text.split('\n').find((l) => l.includes(`${label}="${value}"`));
  return line ? Number(line.slice(line.lastIndexOf(' ') + 1)) : 0;
}
