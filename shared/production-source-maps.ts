/**
 * Imported first by every BFF's entry point. In production, source maps are off, as Node has
 * them by default: the TypeScript loader turns them on for every module it compiles, and Node
 * then keeps a parsed map per module, about 16 MB in a partner process, so that stack traces
 * name TypeScript lines. In production a stack trace names the compiled lines instead; an
 * operator who wants the maps says so to Node itself (`--enable-source-maps`, also through
 * `NODE_OPTIONS`), and they stay on.
 */
const askedForSourceMaps = process.execArgv.includes('--enable-source-maps') || (process.env.NODE_OPTIONS ?? '').includes('--enable-source-maps');
if (process.env.NODE_ENV === 'production' && !askedForSourceMaps) process.setSourceMapsEnabled(false);

export {};
