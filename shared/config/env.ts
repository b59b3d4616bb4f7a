/**
 * Typed environment parsing for Portico processes. Each process reads `process.env` once,
 * in its `main.ts`, through a spec like `{ PORT: port(4000) }`; every bad variable is
 * reported together, by name, before anything starts listening.
 */

export class ConfigError extends Error {
  readonly problems: readonly string[];
  constructor(problems: readonly string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

/** How one variable is read: a parser returning the value or throwing a message. */
export interface EnvVar<T> {
  readonly description: string;
  /** Printed in the configuration reference; `undefined` means the variable is optional with no default. */
  readonly defaultText: string | undefined;
  parse(raw: string | undefined): T;
}

export type Spec = Record<string, EnvVar<unknown>>;
export type Parsed<S extends Spec> = { [K in keyof S]: S[K] extends EnvVar<infer T> ? T : never };

/** Parses `env` against `spec`; throws one ConfigError naming every bad variable. */
export function readEnv<S extends Spec>(env: NodeJS.ProcessEnv, spec: S): Parsed<S> {
  const out: Record<string, unknown> = {};
  const problems: string[] = [];
  for (const [name, variable] of Object.entries(spec)) {
    const raw = env[name];
    try {
      out[name] = variable.parse(raw === '' ? undefined : raw);
    } catch (err) {
      problems.push(`${name}=${JSON.stringify(raw)}: ${(err as Error).message}`);
    }
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return out as Parsed<S>;
}

function withDefault<T>(description: string, fallback: T | undefined, parse: (raw: string) => T, defaultText = fallback === undefined ? undefined : String(fallback)): EnvVar<T> {
  return {
    description,
    defaultText,
    parse(raw) {
      if (raw === undefined) {
        if (fallback === undefined) throw new Error('is required');
        return fallback;
      }
      return parse(raw.trim());
    },
  };
}

export function integer(description: string, fallback: number | undefined, { min = 0, max = Number.MAX_SAFE_INTEGER } = {}): EnvVar<number> {
  return withDefault(description, fallback, (raw) => {
    if (!/^-?\d+$/.test(raw)) throw new Error('must be an integer');
    const value = Number(raw);
    if (value < min || value > max) throw new Error(`must be between ${min} and ${max}`);
    return value;
  });
}

export function port(description: string, fallback: number): EnvVar<number> {
  return integer(description, fallback, { min: 0, max: 65535 });
}

export function text(description: string, fallback: string | undefined): EnvVar<string> {
  return withDefault(description, fallback, (raw) => raw);
}

export function optionalInteger(description: string, { min = 0, max = 65535 }: { min?: number; max?: number } = {}): EnvVar<number | undefined> {
  const inner = integer(description, undefined, { min, max });
  return { description, defaultText: undefined, parse: (raw) => (raw === undefined || raw.trim() === '' ? undefined : inner.parse(raw)) };
}

export function optionalText(description: string): EnvVar<string | undefined> {
  return { description, defaultText: undefined, parse: (raw) => raw?.trim() || undefined };
}

export function oneOf<T extends string>(description: string, values: readonly T[], fallback: T): EnvVar<T> {
  return withDefault(description, fallback, (raw) => {
    if (!(values as readonly string[]).includes(raw)) throw new Error(`must be one of ${values.join(', ')}`);
    return raw as T;
  });
}

/** One of `values`, or undefined when unset (the caller derives the default; say how with `shownDefault`). */
export function optionalOneOf<T extends string>(description: string, values: readonly T[]): EnvVar<T | undefined> {
  const inner = oneOf(description, values, values[0] as T);
  return { description, defaultText: undefined, parse: (raw) => (raw === undefined ? undefined : inner.parse(raw)) };
}

export function httpUrl(description: string, fallback: string | undefined): EnvVar<string> {
  return withDefault(description, fallback, (raw) => {
    let url: URL;
    try {
      url = new URL(raw);
    } catch {
      throw new Error('must be an absolute URL');
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error('must be an http(s) URL');
    return raw;
  });
}

export function optionalHttpUrl(description: string): EnvVar<string | undefined> {
  const inner = httpUrl(description, undefined);
  return { description, defaultText: undefined, parse: (raw) => (raw === undefined ? undefined : inner.parse(raw)) };
}

/** A family of variables named by a prefix and a name, e.g. `SUBGRAPH_URL_<NAME>`. */
export interface EnvFamily {
  readonly pattern: string;
  /** Shown in the configuration reference when unset. */
  readonly defaultText: string;
  readonly description: string;
}

/** The same variable, documented with a default text saying what unset means (e.g. `(none: the client port)`). */
export function shownDefault<T>(variable: EnvVar<T>, defaultText: string): EnvVar<T> {
  return { ...variable, defaultText };
}

/**
 * A policy's environment variables and how they become its settings; declared next to the
 * policy's schema, composed by `shared/config/*`. `toSettings` is pure: the parsed
 * variables in, the settings slice out (it throws ConfigError for variables that only go together).
 */
export interface EnvMapping<S extends Spec, T> {
  /** Section of the configuration reference. */
  readonly title: string;
  readonly spec: S;
  /** Prefixed variable families the mapping also reads (documented, not in `spec`). */
  readonly families?: readonly EnvFamily[];
  /**
   * The `policies` keys the mapping produces, each with the variables that decide it: a
   * configuration file's value for a key stands while none of them is set.
   */
  readonly settingsKeys: Readonly<Record<string, ReadonlyArray<keyof S & string>>>;
  toSettings(parsed: Parsed<S>): T;
}

/** Declares a mapping with its types inferred. */
export function envMapping<S extends Spec, T>(mapping: EnvMapping<S, T>): EnvMapping<S, T> {
  return mapping;
}

/** Pure: a comma-separated list, or undefined when it names nothing. */
export function list(value: string | undefined): string[] | undefined {
  const items = value?.split(',').map((s) => s.trim()).filter(Boolean);
  return items && items.length > 0 ? items : undefined;
}

/**
 * Reads every `<PREFIX><NAME>` variable of a family (e.g. `SUBGRAPH_URL_ACCOUNTS`) into a
 * map keyed by the lowercased, dashed name; `parse` returns the value or the problems with
 * it, and every problem of the family is reported together.
 */
export function readPrefixed<T>(env: NodeJS.ProcessEnv, prefix: string, parse: (key: string, raw: string) => { value: T } | { problems: string[] }): Record<string, T> {
  const out: Record<string, T> = {};
  const problems: string[] = [];
  for (const [key, raw] of Object.entries(env)) {
    if (!key.startsWith(prefix) || !raw) continue;
    const parsed = parse(key, raw);
    if ('problems' in parsed) problems.push(...parsed.problems);
    else out[key.slice(prefix.length).toLowerCase().replace(/_/g, '-')] = parsed.value;
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return out;
}
