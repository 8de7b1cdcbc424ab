import { cleanEnv, makeValidator, type CleanedEnv, type ReporterOptions } from 'envalid';
import { ConfigError } from '@platform/errors';

export { bool, num, str, url, port, json } from 'envalid';

/**
 * Reads a process's environment once into a typed, frozen object.
 *
 * envalid does the parsing; we only replace its reporter (which prints and calls process.exit)
 * with one that throws a single ConfigError listing every bad variable, so tests can assert on it
 * and `exitOnConfigError` decides how a process ends.
 */
export function readConfig<S extends object>(specs: S, env: NodeJS.ProcessEnv = process.env): CleanedEnv<S> {
  return cleanEnv(env, specs, {
    reporter: ({ errors }: ReporterOptions<S>) => {
      const problems = Object.entries(errors as Record<string, Error | undefined>)
        .filter((entry): entry is [string, Error] => entry[1] !== undefined)
        .map(([name, error]) => {
          const received = env[name];
          if (received === undefined || received === '') return `${name}: required, but it is not set`;
          const rule = error.message.replace(/^Invalid [a-z]+ input: /, 'invalid value: ');
          return `${name}: ${rule} (received ${JSON.stringify(received)})`;
        });
      if (problems.length > 0) throw new ConfigError(problems);
    },
  });
}

/** An integer within [min, max]; the message names the limit, as config errors should. */
export const intInRange = (min: number, max: number) =>
  makeValidator<number>((input: string) => {
    const value = Number(input);
    if (!Number.isInteger(value) || value < min || value > max) {
      throw new Error(`must be an integer between ${min} and ${max}`);
    }
    return value;
  });

/** A number within [min, max] (fractions allowed), e.g. a failure rate. */
export const numberInRange = (min: number, max: number) =>
  makeValidator<number>((input: string) => {
    const value = Number(input);
    if (input.trim() === '' || !Number.isFinite(value) || value < min || value > max) {
      throw new Error(`must be a number between ${min} and ${max}`);
    }
    return value;
  });

/** A comma-separated list, trimmed, empty entries dropped. */
export const list = makeValidator<string[]>((input: string) =>
  input
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item.length > 0),
);

/**
 * For a service's main(): print a ConfigError's problems and exit 78 (EX_CONFIG), so a pod in
 * CrashLoopBackOff shows exactly which variable to fix. Other errors propagate.
 */
export function exitOnConfigError(error: unknown): never {
  if (error instanceof ConfigError) {
    process.stderr.write(`${error.message}\n`);
    process.exit(78);
  }
  throw error;
}
