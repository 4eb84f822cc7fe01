import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { BenchReport } from './runner';
import { displayId, type Metric } from './scenario';

const fmt = (v: number) => (Number.isInteger(v) ? v.toLocaleString('en-US') : String(v));

function target(m: Metric): [string, string] {
  if (!m.target) return ['', ''];
  const t = `${m.target.op === '>=' ? '≥' : '≤'} ${m.target.value}`;
  return [t, m.target.met === null ? 'not judged' : m.target.met ? 'met' : '**missed**'];
}

function gate(m: Metric): string {
  if (!m.gate) return '';
  return `${m.gate.op === '>=' ? '≥' : '≤'} ${m.gate.value}: ${m.gate.met ? 'passed' : '**FAILED**'}`;
}

/** The results as a markdown table (readable in a terminal too), then checks and notes. */
export function formatReport(report: BenchReport): string {
  const { size, machine } = report;
  const lines = [
    `trackbridge benchmark, size ${size.name}: P1/P3 ${fmt(size.issues)} issues, P1' ${fmt(size.redmineIssues)} Redmine issues, `
      + `P4 ${fmt(size.memorySizes[0])} vs ${fmt(size.memorySizes[1])}${size.judgeTargets ? '' : ' (smoke: targets not judged)'}`,
    `${report.date}, ${machine.nproc} cores (${machine.cpu}), ${machine.memGiB} GiB RAM, node ${machine.node}, `
      + `load ${machine.loadBefore} before / ${machine.loadAfter} after, ${Math.round(report.durationMs / 1000)} s`,
    '',
    '| id | measure | value | target | result | gate |',
    '| --- | --- | --- | --- | --- | --- |',
  ];
  for (const s of report.scenarios) {
    const id = displayId(s.id);
    if (s.status === 'pending') {
      lines.push(`| ${id} | ${s.title} | pending | | |`);
      continue;
    }
    if (!s.metrics.length) lines.push(`| ${id} | ${s.title} | ${s.status} | | |`);
    for (const m of s.metrics) lines.push(`| ${id} | ${m.name} | ${fmt(m.value)} ${m.unit} | ${target(m).join(' | ')} | ${gate(m)} |`);
  }
  lines.push('', 'Checks:');
  for (const s of report.scenarios.filter((x) => x.status !== 'pending')) {
    const failed = s.checks.filter((c) => !c.ok);
    lines.push(`- ${displayId(s.id)}: ${s.checks.length - failed.length}/${s.checks.length} ok${s.error ? ', CRASHED' : ''}`);
    for (const c of failed) lines.push(`  - FAILED ${c.name}${c.detail ? `: ${c.detail}` : ''}`);
    if (s.error) lines.push(`  - ${s.error.split('\n').slice(0, 4).join('\n    ')}`);
  }
  lines.push('', 'Notes:');
  for (const n of report.notes) lines.push(`- ${n}`);
  for (const s of report.scenarios) for (const n of s.notes) lines.push(`- ${displayId(s.id)}: ${n}`);
  lines.push('', report.ok ? 'OK: no scenario crashed, every correctness check passed.' : 'FAILED: a scenario crashed or a correctness check failed.');
  return lines.join('\n');
}

export function writeResults(path: string, report: BenchReport): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, `${JSON.stringify(report, null, 2)}\n`);
}
