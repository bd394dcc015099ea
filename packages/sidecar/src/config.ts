export interface SidecarConfig {
  readonly httpHost: string;
  readonly httpPort: number;
  readonly kafkaBrokers: readonly string[];
}

/** Reads the environment once; an empty value counts as unset. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): SidecarConfig {
  const read = (name: string): string | undefined => {
    const value = env[name]?.trim();
    return value ? value : undefined;
  };
  const problems: string[] = [];
  const port = Number(read('HTTP_PORT') ?? '4001');
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    problems.push(`HTTP_PORT must be a port number, got "${read('HTTP_PORT')}"`);
  if (problems.length > 0) throw new Error(`invalid configuration:\n  ${problems.join('\n  ')}`);
  return Object.freeze({
    httpHost: read('HTTP_HOST') ?? '0.0.0.0',
    httpPort: port,
    kafkaBrokers: Object.freeze((read('KAFKA_BROKERS') ?? '127.0.0.1:9092').split(',').map((b) => b.trim())),
  });
}
