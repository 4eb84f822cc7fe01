/**
 * `npm run bench -- [--size smoke|small|default|large] [--n N] [--only P1,P3] [--skip P4]`
 * Prints the results table and writes bench/results.json. Exits 1 when a scenario crashed or a
 * correctness check failed; a missed timing target only shows in the table.
 */
import { formatReport, writeResults } from './report';
import { parseCli } from './options';
import { runBench } from './runner';

let cli;
try {
  cli = parseCli(process.argv.slice(2));
} catch (err) {
  process.stderr.write(`${(err as Error).message}\n`);
  process.exit(2);
}

const abort = new AbortController();
let interrupted = false;
const onSignal = () => {
  if (interrupted) process.exit(130);
  interrupted = true;
  process.stderr.write('interrupted: stopping and cleaning up (again to quit at once)\n');
  abort.abort();
};
process.on('SIGINT', onSignal);
process.on('SIGTERM', onSignal);

try {
  const report = await runBench({
    ...cli,
    signal: abort.signal,
    ...(process.env.BENCH_DATABASE_URL ? { pgAdminUrl: process.env.BENCH_DATABASE_URL } : {}),
  });
  process.stdout.write(`\n${formatReport(report)}\n`);
  writeResults(cli.out, report);
  process.stdout.write(`\nwrote ${cli.out}\n`);
  process.exit(interrupted ? 130 : report.ok ? 0 : 1);
} catch (err) {
  process.stderr.write(interrupted ? 'bench interrupted; everything it started is stopped\n' : `bench failed: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(interrupted ? 130 : 1);
}
