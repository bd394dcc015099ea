#!/usr/bin/env node
// What a durable buffer for EventSdkRecorder would cost, measured with node:sqlite (DatabaseSync: Node 22.13+ and
// 24, no native build; Node 20 lacks it, hence plain JavaScript run by a newer node, not TypeScript checked against
// @types/node 20). A journal as the recorder would keep it: each event's record appended (WAL) before it is
// published, deleted once Kafka confirmed it, read back at the next start. Measures the append and the delete per
// event, alone and grouped per turn of the event loop, at synchronous NORMAL (survives the process's crash) and FULL
// (survives a power cut), and whether the appended events survive a SIGKILL of the writing process.
//
//   <node 24> scripts/bench/journal.mjs [events=20000] [bytes=900]
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';

const [count = 20_000, bytes = 900] = process.argv
  .slice(2)
  .filter((a) => !a.startsWith('--'))
  .map(Number);

function open(file, synchronous) {
  const db = new DatabaseSync(file);
  db.exec(`PRAGMA journal_mode = WAL; PRAGMA synchronous = ${synchronous};`);
  db.exec('CREATE TABLE IF NOT EXISTS journal (seq INTEGER PRIMARY KEY, topic TEXT, key TEXT, value BLOB)');
  return db;
}

/** Appends `count` records (in groups of `group`, one transaction each), then deletes them the same way. */
function measure(synchronous, group) {
  const dir = mkdtempSync(join(tmpdir(), 'journal-bench-'));
  try {
    const db = open(join(dir, 'journal.db'), synchronous);
    const insert = db.prepare('INSERT INTO journal (topic, key, value) VALUES (?, ?, ?)');
    const remove = db.prepare('DELETE FROM journal WHERE seq = ?');
    const value = Buffer.alloc(bytes, 'x');
    const seqs = [];
    const cpu0 = process.cpuUsage();
    let t0 = performance.now();
    for (let i = 0; i < count; i += group) {
      db.exec('BEGIN');
      for (let j = i; j < Math.min(count, i + group); j++)
        seqs.push(insert.run('topic-event-log', `trace-${j % 97}`, value).lastInsertRowid);
      db.exec('COMMIT');
    }
    const appendUs = ((performance.now() - t0) * 1000) / count;
    const appendCpu = process.cpuUsage(cpu0);
    const cpu1 = process.cpuUsage();
    t0 = performance.now();
    for (let i = 0; i < count; i += group) {
      db.exec('BEGIN');
      for (let j = i; j < Math.min(count, i + group); j++) remove.run(seqs[j]);
      db.exec('COMMIT');
    }
    const deleteUs = ((performance.now() - t0) * 1000) / count;
    const deleteCpu = process.cpuUsage(cpu1);
    db.close();
    const cpuUs = (u) => (u.user + u.system) / count;
    return { synchronous, group, appendUs, appendCpuUs: cpuUs(appendCpu), deleteUs, deleteCpuUs: cpuUs(deleteCpu) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The writer for the crash test: appends one record per commit and says so on stdout, until killed. */
function writer(file) {
  const db = open(file, 'NORMAL');
  const insert = db.prepare('INSERT INTO journal (topic, key, value) VALUES (?, ?, ?)');
  const value = Buffer.alloc(bytes, 'x');
  let n = 0;
  const tick = () => {
    for (let i = 0; i < 50; i++) {
      insert.run('topic-event-log', `trace-${n % 97}`, value);
      n++;
    }
    process.stdout.write(`${n}\n`);
    setImmediate(tick);
  };
  tick();
}

/** SIGKILLs a writer mid-way; what it reported committed must all be there when the journal is opened again. */
function crash() {
  const dir = mkdtempSync(join(tmpdir(), 'journal-crash-'));
  const file = join(dir, 'journal.db');
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [process.argv[1], '--writer', file], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let reported = 0;
    child.stdout.setEncoding('utf8').on('data', (chunk) => {
      for (const line of chunk.split('\n')) if (line) reported = Math.max(reported, Number(line));
      if (reported >= count && !child.killed) child.kill('SIGKILL');
    });
    child.once('exit', (code, signal) => {
      const db = open(file, 'NORMAL');
      const { n } = db.prepare('SELECT count(*) AS n FROM journal').get();
      db.close();
      rmSync(dir, { recursive: true, force: true });
      resolve({ signal, reportedCommitted: reported, foundAfterRestart: n });
    });
  });
}

if (process.argv[2] === '--writer') writer(process.argv[3]);
else {
  console.log(`node ${process.version}, ${count} records of ${bytes} bytes`);
  console.log('| synchronous | events per transaction | append µs/event (CPU) | delete µs/event (CPU) |');
  console.log('| --- | --- | --- | --- |');
  for (const synchronous of ['NORMAL', 'FULL']) {
    for (const group of [1, 100]) {
      const r = measure(synchronous, group);
      console.log(
        `| ${r.synchronous} | ${r.group} | ${r.appendUs.toFixed(1)} (${r.appendCpuUs.toFixed(1)}) | ${r.deleteUs.toFixed(1)} (${r.deleteCpuUs.toFixed(1)}) |`,
      );
    }
  }
  const c = await crash();
  console.log(
    `SIGKILL of the writer: ${c.signal}; reported committed ${c.reportedCommitted}, found after reopening ${c.foundAfterRestart}`,
  );
}
