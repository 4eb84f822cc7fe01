import { afterAll } from 'vitest';
import { openResources } from '../support/resources';

/** A test file that leaves a worker, pool or server open fails, instead of hanging the run later. */
afterAll(() => {
  const leaked = openResources();
  if (leaked.length) throw new Error(`test file leaked open resources: ${leaked.join(', ')}`);
});
