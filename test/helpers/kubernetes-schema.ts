/**
 * Checks Kubernetes objects against the API's own schemas, from kubernetes-models (generated
 * from Kubernetes' OpenAPI document), in two passes:
 *
 * - its JSON Schema validators: required fields, types, formats, enumerations;
 * - its TypeScript declarations, through the TypeScript compiler: an object literal with a
 *   field its type does not declare is an error. The OpenAPI document does not close its
 *   objects (`additionalProperties: false`), so the validators alone accept a typo such as
 *   `periodSecond`, which the API server would drop without a word.
 */
import path from 'node:path';
import ts from 'typescript';
import type { KubernetesObject } from './kustomize';

interface Model {
  new (data: unknown): { validate(): void };
}

/** `kubernetes-models/<group/version>/<Kind>` for `apps/v1` or the core group's `v1`. */
function modelModule(object: KubernetesObject): string {
  if (!/^[a-z0-9.]+(\/v[0-9a-z]+)?$/.test(object.apiVersion) || !/^[A-Z][A-Za-z]+$/.test(object.kind)) throw new Error(`not a Kubernetes type: ${object.apiVersion} ${object.kind}`);
  return `kubernetes-models/${object.apiVersion}/${object.kind}`;
}

/** The JSON Schema validation error of one object, or undefined when it is valid. */
export function schemaError(object: KubernetesObject): string | undefined {
  const model = (require(modelModule(object)) as Record<string, Model>)[object.kind];
  if (!model) return `kubernetes-models has no ${object.apiVersion} ${object.kind}`;
  try {
    new model(object).validate();
    return undefined;
  } catch (err) {
    return (err as Error).message;
  }
}

/** Type errors (unknown fields first of all) of every object, each prefixed with its kind and name. */
export function typeErrors(objects: readonly KubernetesObject[]): string[] {
  const root = path.resolve(__dirname, '../..');
  const file = path.join(root, 'test', '__kubernetes-objects__.ts');
  const lines = objects.map((object, i) => `import type { I${object.kind} as T${i} } from '${modelModule(object)}';\nexport const o${i}: T${i} = ${JSON.stringify(object)};`);
  const source = lines.join('\n');
  const options: ts.CompilerOptions = { strict: true, noEmit: true, target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.CommonJS, moduleResolution: ts.ModuleResolutionKind.Node10, skipLibCheck: true, types: [] };
  const host = ts.createCompilerHost(options);
  const getSourceFile = host.getSourceFile.bind(host);
  host.getSourceFile = (name, language, ...rest) => (path.resolve(name) === file ? ts.createSourceFile(name, source, language) : getSourceFile(name, language, ...rest));
  const fileExists = host.fileExists.bind(host);
  host.fileExists = (name) => path.resolve(name) === file || fileExists(name);
  const program = ts.createProgram([file], options, host);
  return ts.getPreEmitDiagnostics(program).map((d) => {
    const line = d.file && d.start !== undefined ? d.file.getLineAndCharacterOfPosition(d.start).line : -1;
    const object = objects[Math.floor(line / 2)];
    return `${object ? `${object.kind}/${object.metadata.name}` : d.file?.fileName ?? '?'}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`;
  });
}
