import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';

/** A file of web/static, read once at start-up (a handful of small files: no disk access per request). */
export interface StaticAsset {
  body: Buffer;
  contentType: string;
  /** Content hash: the ETag, and the `?v=` of the URLs the pages use, so browsers cache it forever. */
  hash: string;
}

const CONTENT_TYPES: Record<string, string> = {
  css: 'text/css; charset=utf-8',
  js: 'text/javascript; charset=utf-8',
  png: 'image/png',
  svg: 'image/svg+xml',
};

/** The served files: an explicit list, so a request can never name anything else on disk. */
export const STATIC_FILES = ['app.css', 'invite.js', 'landing.js', 'share-card.png', 'favicon.svg'] as const;
export type StaticFile = (typeof STATIC_FILES)[number];

export type StaticAssets = Readonly<Record<StaticFile, StaticAsset>>;

export function loadStaticAssets(directory: URL = new URL('./static/', import.meta.url)): StaticAssets {
  return Object.fromEntries(
    STATIC_FILES.map((name) => {
      const body = readFileSync(new URL(name, directory));
      const extension = name.slice(name.lastIndexOf('.') + 1);
      const contentType = CONTENT_TYPES[extension];
      if (contentType === undefined) throw new Error(`no content type for static file ${name}`);
      const hash = createHash('sha256').update(body).digest('base64url').slice(0, 16);
      return [name, { body, contentType, hash }];
    }),
  ) as unknown as StaticAssets;
}

/** The URL a page links a static file with (versioned by content). */
export function assetUrl(assets: StaticAssets, name: StaticFile): string {
  return `/static/${name}?v=${assets[name].hash}`;
}
