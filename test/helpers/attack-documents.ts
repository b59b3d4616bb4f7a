/** GraphQL documents built to attack a gateway, shared by the security suite and the bench's attacks group. */

/** Fragment doubling: `root` spreads F0, each Fi spreads F(i+1) twice, the last holds `leaf`: 2^levels copies once expanded. */
export function fragmentDoubling(levels: number, root: string, type: string, leaf: string): string {
  let doc = `query ${root}`;
  for (let i = 0; i < levels; i++) doc += ` fragment F${i} on ${type} { ...F${i + 1} ...F${i + 1} }`;
  return `${doc} fragment F${levels} on ${type} { ${leaf} }`;
}

/** Nesting 2 × `levels` fields deep through a chain of named fragments (User -> Product -> User ...). */
export function deepThroughFragments(levels: number): string {
  let doc = '{ me { ...D0 } }';
  for (let i = 0; i < levels; i++) doc += i % 2 === 0 ? ` fragment D${i} on User { reviews { product { ...D${i + 1} } } }` : ` fragment D${i} on Product { reviews { author { ...D${i + 1} } } }`;
  return `${doc} fragment D${levels} on ${levels % 2 === 0 ? 'User' : 'Product'} { id }`;
}
