/**
 * Finds (or, as a last resort, unpacks from Debian's `prometheus` package) the promtool that
 * checks Portico's alerting rules. Only the test of the rules needs it, so it is provided by
 * that test, not by the global setup that every run waits for.
 */
import { tmpdir } from 'node:os';
import path from 'node:path';
import { isExecutable, unpackDebianPackage } from './executables';

/** Environment variable naming the binary, for a developer's own promtool. */
export const PROMTOOL_BIN_ENV = 'PROMTOOL_BIN';

/** Where the unpacked package is kept between runs. */
const UNPACKED = path.join(tmpdir(), 'portico-promtool');

/** Pure lookup: the named binary, else promtool on PATH, in /usr/bin, or unpacked by an earlier run. */
export function locatePromtool(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const named = env[PROMTOOL_BIN_ENV];
  if (named) return isExecutable(named) ? named : undefined;
  const folders = [...(env.PATH ?? '').split(path.delimiter).filter(Boolean), '/usr/bin', path.join(UNPACKED, 'usr', 'bin')];
  return folders.map((dir) => path.join(dir, 'promtool')).find(isExecutable);
}

/**
 * Finds promtool, unpacking it where that is possible; undefined when neither works. The
 * package is unpacked rather than installed: installing it would also start a Prometheus server.
 */
export function providePromtool(log: (line: string) => void = (line) => process.stderr.write(`${line}\n`)): string | undefined {
  const found = locatePromtool();
  if (found) return found;
  if (process.env[PROMTOOL_BIN_ENV]) return undefined; // a named binary that is missing is not replaced behind the user's back
  return unpackDebianPackage('prometheus', UNPACKED, 'for promtool, which checks the alerting rules', log) ? locatePromtool() : undefined;
}
