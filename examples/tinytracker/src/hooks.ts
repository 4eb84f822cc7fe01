/** The plugin's hook: appends a line per successful push to the file named by TINYTRACKER_HOOK_LOG. */
import { appendFile } from 'node:fs/promises';
import { defineHook } from '@trackbridge/sdk';

export const pushLog = defineHook({
  name: 'push-log',
  on: 'push.succeeded',
  async run(ctx, payload) {
    const file = process.env.TINYTRACKER_HOOK_LOG;
    if (!file) return;
    // firingId is the same on a retry: a reader can drop duplicate lines by it.
    const line = { firingId: ctx.firingId, point: ctx.point, at: new Date().toISOString(), ...payload };
    await appendFile(file, `${JSON.stringify(line)}\n`, 'utf8');
  },
});
