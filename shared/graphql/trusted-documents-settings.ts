/** Settings of the trusted documents (mobile): which manifests are active and how requests choose among them. */
import { Type } from '@sinclair/typebox';
import { DEFAULT_MANIFEST_LIMITS } from './trusted-document-manifests';

export interface TrustedDocumentsSettings {
  /** Portico's own manifest (`npm run operations:manifest`): documents every client may use. Default: none. */
  manifestPath?: string;
  /** Folder of imported client manifests, `<client>/<version>.json` (`npm run operations:import`). Default: none. */
  clientManifestsDir?: string;
  /** Refuse every document not registered for the request's client (production). */
  requireTrusted: boolean;
  /** What a request whose client name has no imported manifest may run: `shared` (Portico's own manifest) or `any` imported document. Default `shared`. */
  unknownClients?: 'shared' | 'any';
  /** Largest manifest file, in bytes; a larger one fails the import and the start. Default 4,194,304. */
  maxManifestBytes?: number;
  /** Most operations in one manifest; more fails the import and the start. Default 2,000. */
  maxOperationsPerManifest?: number;
}

export const TrustedDocumentsSettingsSchema = Type.Object(
  {
    manifestPath: Type.Optional(Type.String({ minLength: 1, description: "Portico's own trusted documents manifest: documents every client may use" })),
    clientManifestsDir: Type.Optional(Type.String({ minLength: 1, description: 'Folder of imported client manifests, <client>/<version>.json' })),
    requireTrusted: Type.Boolean({ description: "Refuse every document not registered for the request's client" }),
    unknownClients: Type.Optional(
      Type.Union([Type.Literal('shared'), Type.Literal('any')], { default: 'shared', description: "What a request whose client name has no imported manifest may run: Portico's own manifest, or any imported document" }),
    ),
    maxManifestBytes: Type.Optional(Type.Integer({ minimum: 1, default: DEFAULT_MANIFEST_LIMITS.maxManifestBytes, description: 'Largest manifest file, in bytes' })),
    maxOperationsPerManifest: Type.Optional(Type.Integer({ minimum: 1, default: DEFAULT_MANIFEST_LIMITS.maxOperationsPerManifest, description: 'Most operations in one manifest' })),
  },
  { additionalProperties: false },
);
