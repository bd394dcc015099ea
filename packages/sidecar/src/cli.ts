#!/usr/bin/env -S node --max-semi-space-size=4 --heap-growing-percent=100
// event-sidecar: reads the environment, starts the sidecar, stops it gracefully on SIGTERM/SIGINT
// (a second signal exits at once). V8's heap is kept small, at about the same CPU per event: 4 MiB semi-spaces
// instead of 16 (the sidecar's garbage is short-lived), and an old generation that grows to twice what survived
// its last full collection instead of up to four times (V8's choice on a machine with a large heap limit), which
// held about 50 MiB of dead requests under load. The heap limit itself is unchanged.
// The container's ENTRYPOINT passes the same flags.
import { helpText } from './config-doc.js';
import { loadConfigWithSources, type LoadedConfig } from './config.js';
import { deadLetterCommand } from './dead-letter-cli.js';
import { ConfigError } from './errors.js';
import { createLogger } from './logger.js';
import { originalConfigReport } from './original-config/report.js';
import { createSidecar, packageVersion, type Sidecar } from './sidecar.js';

const USAGE = `Usage: event-sidecar [--help] [--version]
       event-sidecar dead-letters list|export|requeue|drop [EVENT_ID ...] [--all]

Accepts Mojaloop events over HTTP (POST /event, POST /events) and gRPC
(mojaloop.events.EventLoggerService/Log, as @mojaloop/event-sdk sends them), validates them
against the contract and publishes them to Kafka. Configured through the environment variables
below; the original sidecar's configuration file (CONFIG_FILE, default config/default.json) and
its ES_* variables are read too, these variables taking precedence over both.
`;

function help(): string {
  return `${USAGE}\n${helpText()}`;
}

async function main(argv: string[]): Promise<void> {
  const version = packageVersion();
  if (argv[0] === 'dead-letters') {
    process.exitCode = deadLetterCommand(argv.slice(1), process.env, {
      out: (text) => process.stdout.write(text),
      err: (text) => process.stderr.write(text),
    });
    return;
  }
  for (const arg of argv) {
    if (arg === '--help' || arg === '-h') {
      process.stdout.write(help());
      return;
    }
    if (arg === '--version' || arg === '-v') {
      process.stdout.write(`${version}\n`);
      return;
    }
    process.stderr.write(`event-sidecar: unknown argument "${arg}"\n\n${USAGE}`);
    process.exitCode = 2;
    return;
  }

  let loaded: LoadedConfig;
  try {
    loaded = loadConfigWithSources(process.env, { findConfigFile: true });
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    process.stderr.write(`event-sidecar: ${err.message}\n`);
    process.exitCode = 1;
    return;
  }

  const { config } = loaded;
  const logger = createLogger(config.logLevel, undefined, config.logOnly);
  // Once, at start: what the original's configuration file and ES_ variables set, and what they cannot.
  const report = originalConfigReport(loaded.original, loaded.overridden);
  if (report.info) logger.info(report.info.fields, report.info.msg);
  if (report.warn) logger.warn(report.warn.fields, report.warn.msg);
  if (!config.spool)
    logger.warn('spool off (SPOOL_DIR=off): events are refused with 503 / UNAVAILABLE while Kafka is away');
  process.on('uncaughtException', (err) => {
    logger.fatal({ err }, 'uncaught exception');
    process.exit(1);
  });
  process.on('unhandledRejection', (err) => {
    logger.fatal({ err }, 'unhandled rejection');
    process.exit(1);
  });

  let sidecar: Sidecar;
  try {
    sidecar = createSidecar(config, { logger, version });
  } catch (err) {
    // A spool that cannot be used (SPOOL_DIR): one line that names it, the cause and what to do.
    if (!(err instanceof ConfigError)) throw err;
    logger.fatal({ err }, 'start failed');
    process.stderr.write(`event-sidecar: ${err.problems.join('; ')}\n`);
    process.exit(1);
  }
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (stopping) {
      logger.warn({ signal }, 'second signal: exiting at once');
      process.exit(signal === 'SIGINT' ? 130 : 143);
    }
    stopping = true;
    logger.info({ signal }, 'stopping');
    sidecar.close().then(
      () => process.exit(0),
      (err: unknown) => {
        logger.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);

  try {
    await sidecar.start();
  } catch (err) {
    logger.fatal({ err }, 'start failed');
    await sidecar.close().catch(() => undefined);
    process.exit(1);
  }
}

await main(process.argv.slice(2));
