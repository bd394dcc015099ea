// Is the spool's file still the one the store opened, and still a SQLite database? SQLite cannot tell: it keeps
// the pages it read in memory and writes new ones to its WAL, so a file deleted, replaced or overwritten under an
// open connection goes unnoticed (every append "commits") until the next start finds the damage. The store asks
// this after each commit, before it answers: a few system calls per group of events.
import { closeSync, openSync, readSync, statSync } from 'node:fs';

export interface FileIdentity {
  readonly dev: number;
  readonly ino: number;
}

const MAGIC = Buffer.from('SQLite format 3\0', 'latin1');

/** The identity of the file at `path` (it must exist). */
export function identify(path: string): FileIdentity {
  const { dev, ino } = statSync(path);
  return { dev, ino };
}

/** What is wrong with the file at `path`, or undefined when it is still `identity` with a SQLite header. */
export function fileProblem(path: string, identity: FileIdentity): string | undefined {
  let stat;
  try {
    stat = statSync(path);
  } catch (err) {
    return `${path} is gone (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`;
  }
  if (!stat.isFile()) return `${path} is no longer a file`;
  if (stat.dev !== identity.dev || stat.ino !== identity.ino) return `${path} was replaced by another file`;
  const header = Buffer.alloc(MAGIC.length);
  let fd: number | undefined;
  try {
    fd = openSync(path, 'r');
    const read = readSync(fd, header, 0, header.length, 0);
    if (read < header.length || !header.equals(MAGIC)) return `${path} no longer has a SQLite header`;
  } catch (err) {
    return `${path} cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
  return undefined;
}
