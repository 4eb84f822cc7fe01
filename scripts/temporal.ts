import { boot } from '../runtime/boot';
import { startDevServer } from '../runtime/dev-server';
import { resolveTemporalCli } from '../runtime/temporal-cli';

/**
 * `npm run temporal -- path` prints (and if needed builds) the CLI; `npm run temporal -- dev` runs the
 * dev server alone, for running `npm run api` and `npm run worker` as separate processes on a laptop.
 */
const { config, logger } = await boot();
const cli = await resolveTemporalCli({ logger });
if (process.argv[2] === 'dev') {
  const dev = await startDevServer({ cli, dataDir: config.DATA_DIR, port: config.TEMPORAL_DEV_PORT, uiPort: config.TEMPORAL_UI_PORT, logger });
  process.on('SIGINT', () => void dev.stop().then(() => process.exit(0)));
  process.on('SIGTERM', () => void dev.stop().then(() => process.exit(0)));
} else {
  process.stdout.write(`${cli}\n`);
}
