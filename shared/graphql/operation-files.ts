/**
 * A folder of `.graphql` files, one named operation each: how the BFFs register the
 * operations they run (partner aggregates) or trust (mobile trusted documents).
 */
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { Kind, parse, type OperationDefinitionNode } from 'graphql';

export interface OperationFile {
  /** File name within the folder. */
  file: string;
  /** The operation's name. */
  name: string;
  /** The file's text as written. */
  body: string;
}

/** Every `*.graphql` file of `dir`, sorted by file name; throws naming a file that does not hold exactly one named operation. */
export function readOperationFiles(dir: string): OperationFile[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.graphql'))
    .sort()
    .map((file) => {
      const body = readFileSync(path.join(dir, file), 'utf8');
      const operations = parse(body).definitions.filter((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION);
      const name = operations.length === 1 ? operations[0]?.name?.value : undefined;
      if (!name) throw new Error(`${file}: a registered operation file holds exactly one named operation`);
      return { file, name, body };
    });
}
