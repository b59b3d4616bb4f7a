/** The npm packages a process has loaded, from the files in its `require.cache`. */

/** Pure: the package names (`@scope/name` or `name`) of the files under a `node_modules` folder, sorted, each once. */
export function packagesIn(files: readonly string[]): string[] {
  const packages = new Set<string>();
  for (const file of files) {
    const at = file.lastIndexOf('/node_modules/');
    if (at === -1) continue;
    const [first, second] = file.slice(at + '/node_modules/'.length).split('/');
    if (first) packages.add(first.startsWith('@') && second ? `${first}/${second}` : first);
  }
  return [...packages].sort();
}
