/**
 * The checks an imported client manifest passes before it is stored (`npm run
 * operations:import`): every operation valid against the current supergraph and the contract
 * the client runs on (the schema check's own validation), and within the operation limits the
 * BFF enforces on every request. One line per problem, naming the operation.
 */
import { parse } from 'graphql';
import { prepareSupergraph } from '../../shared/graphql/authorization/supergraph-authorization';
import { checkDocumentLimits, type OperationLimits } from '../../shared/graphql/operation-limits';
import type { TrustedDocument } from '../../shared/graphql/trusted-document-manifests';
import { CONTRACTS, buildContractSchema } from '../contracts';
import { operationErrors } from './schema-check';

export interface ClientManifestCheckInput {
  operations: readonly TrustedDocument[];
  /** The supergraph SDL the operations must run on (the committed one). */
  supergraphSdl: string;
  /** The contract the client sees, by name in `CONTRACTS`; absent: the full supergraph. */
  contract?: string;
  limits: OperationLimits;
}

/** Pure: every problem of the operations, `operation 'Name' (id …): …`; empty when all may be stored. */
export function checkClientManifest(input: ClientManifestCheckInput): string[] {
  const apiSchema = prepareSupergraph(input.supergraphSdl).apiSchema;
  const contract = input.contract === undefined ? undefined : CONTRACTS[input.contract];
  if (input.contract !== undefined && !contract) throw new Error(`no contract named '${input.contract}'`);
  const schemas = [{ label: 'the supergraph', schema: apiSchema }, ...(contract && input.contract ? [{ label: `the ${input.contract} contract`, schema: buildContractSchema(input.supergraphSdl, contract.excludeTags) }] : [])];
  const problems: string[] = [];
  for (const op of input.operations) {
    const label = `operation '${op.name}' (id ${op.id.length > 16 ? `${op.id.slice(0, 16)}…` : op.id})`;
    let document;
    try {
      document = parse(op.body, { maxTokens: input.limits.maxTokens });
    } catch (err) {
      problems.push(`${label}: ${(err as Error).message.split('\n')[0]}`);
      continue;
    }
    // The narrowest schema speaks for the rest: a field the contract hides is reported once, as hidden.
    const failing = [...schemas].reverse().map(({ label: on, schema }) => ({ on, errors: operationErrors(schema, op.body) })).find((r) => r.errors.length > 0);
    if (failing) {
      problems.push(`${label} is invalid against ${failing.on}: ${failing.errors.join('; ')}`);
      continue;
    }
    const exceeded = checkDocumentLimits(contract && schemas[1] ? schemas[1].schema : apiSchema, document, input.limits);
    if (exceeded) problems.push(`${label} is over the operation limits: ${exceeded.violation.code}: ${exceeded.violation.message}`);
  }
  return problems;
}
