import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync, readlinkSync } from 'node:fs';
import { sql } from 'drizzle-orm';
import { queryRows, type Db } from '../db/client';

let ticks: number | undefined;
/** Kernel clock ticks per second (utime and stime count in them). */
function clockTicks(): number {
  if (ticks === undefined) {
    try {
      ticks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      ticks = 100;
    }
  }
  return ticks;
}

/** CPU seconds (user + system, all threads) a process has used so far; NaN once it is gone. */
export function cpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name, which may hold spaces: state is field 3, utime 14, stime 15.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / clockTicks();
  } catch {
    return NaN;
  }
}

/** Local TCP port → socket inode, for this host's connections to `remotePort`. */
function socketsTo(remotePort: number): Map<number, string> {
  const out = new Map<number, string>();
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      const [local, remote, inode] = [cols[1], cols[2], cols[9]];
      if (!local || !remote || !inode) continue;
      if (parseInt(remote.split(':')[1] ?? '', 16) === remotePort) out.set(parseInt(local.split(':')[1] ?? '', 16), inode);
    }
  }
  return out;
}

function socketInodes(pid: number): Set<string> {
  const inodes = new Set<string>();
  try {
    for (const fd of readdirSync(`/proc/${pid}/fd`)) {
      try {
        const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
        if (m) inodes.add(m[1]!);
      } catch {
        // closed while we read
      }
    }
  } catch {
    // the process is gone
  }
  return inodes;
}

/**
 * Connections to `database`, by the process that holds them: pg_stat_activity's client ports matched to
 * the processes' sockets through /proc (the product sets no application_name). Anything else is "other".
 */
export async function connectionsByProcess(db: Db, database: string, processes: Record<string, number>, pgPort = 5432): Promise<Record<string, { total: number; active: number }>> {
  const rows = await queryRows<{ port: number; state: string | null }>(db, sql`
    select client_port as port, state from pg_stat_activity where datname = ${database} and client_port is not null`);
  const sockets = socketsTo(pgPort);
  const owners = Object.entries(processes).map(([label, pid]) => ({ label, inodes: socketInodes(pid) }));
  const out: Record<string, { total: number; active: number }> = {};
  for (const row of rows) {
    const inode = sockets.get(row.port);
    const label = owners.find((o) => inode !== undefined && o.inodes.has(inode))?.label ?? 'other';
    const slot = (out[label] ??= { total: 0, active: 0 });
    slot.total++;
    if (row.state === 'active') slot.active++;
  }
  return out;
}

/** Samples `connectionsByProcess` until stopped; keeps each process's highest and last count. */
export function watchConnections(db: Db, database: string, processes: Record<string, number>, everyMs = 5000) {
  const peak: Record<string, number> = {};
  let last: Record<string, { total: number; active: number }> = {};
  let samples = 0;
  const sample = async () => {
    try {
      last = await connectionsByProcess(db, database, processes);
      samples++;
      for (const [label, n] of Object.entries(last)) peak[label] = Math.max(peak[label] ?? 0, n.total);
    } catch {
      // a sample lost to a busy database is not a result
    }
  };
  void sample();
  const timer = setInterval(() => void sample(), everyMs);
  return {
    async stop() {
      clearInterval(timer);
      await sample();
      return { peak, last, samples };
    },
  };
}
