/**
 * Lets `@mercuriusjs/gateway` (5.2) print its subgraph operations with the graphql-js the
 * repository uses (16.15). For a field a subgraph adds to another's entity (`User.reviews`
 * from the reviews service), the gateway builds an `_entities` operation whose type
 * condition's name node holds the parent `GraphQLObjectType` itself, not its name
 * (`returnType: parentType` in its make-resolver.js). graphql-js's printer once turned
 * that into its name by string concatenation; 16.15's calls `value.includes` on every
 * name, and every such field fails with "value.includes is not a function". Mercurius
 * and its gateway must share the application's graphql-js (one schema, one `instanceof`
 * realm), so that module is given a `print` that turns any
 * non-string name into its string first. The gateway caches the printed operation per
 * query and field, so the extra walk runs once per operation shape, not per request.
 *
 * Import this module before `@mercuriusjs/gateway`.
 */
import Module from 'node:module';
import path from 'node:path';
import * as graphql from 'graphql';

/** The one file of the gateway that prints operations built from schema objects. */
const PATCHED_REQUIRER = `${path.sep}@mercuriusjs${path.sep}gateway${path.sep}lib${path.sep}gateway${path.sep}make-resolver.js`;

function printWithStringNames(ast: graphql.ASTNode): string {
  const normalized = graphql.visit(ast, {
    Name(node) {
      return typeof node.value === 'string' ? undefined : { ...node, value: String(node.value) };
    },
  });
  return graphql.print(normalized);
}

const graphqlForGateway = { ...graphql, print: printWithStringNames };

type LoadFunction = (request: string, parent: { filename?: string } | undefined, isMain: boolean) => unknown;
const moduleInternals = Module as unknown as { _load: LoadFunction };
const originalLoad = moduleInternals._load;
moduleInternals._load = function load(request, parent, isMain) {
  if (request === 'graphql' && parent?.filename?.endsWith(PATCHED_REQUIRER)) return graphqlForGateway;
  return originalLoad.call(this, request, parent, isMain);
};
