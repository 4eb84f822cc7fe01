import { github } from './github';
import { redmine } from './redmine';
import type { ConnectorDefinition } from './types';

const SLUG = /^[a-z0-9-]{1,25}$/;

/** Every installed connector, in the order the UI lists them. */
export const allConnectors: readonly ConnectorDefinition[] = [github, redmine];

function bySlug(definitions: readonly ConnectorDefinition[]): Readonly<Record<string, ConnectorDefinition>> {
  const map: Record<string, ConnectorDefinition> = {};
  for (const definition of definitions) {
    if (!SLUG.test(definition.slug)) throw new Error(`connector slug ${JSON.stringify(definition.slug)} must be 1-25 characters of [a-z0-9-]`);
    if (map[definition.slug]) throw new Error(`two connectors share the slug "${definition.slug}"`);
    map[definition.slug] = definition;
  }
  return Object.freeze(map);
}

/** Connectors by slug; checked once at import, so a bad slug fails the boot, not a sync. */
export const connectors = bySlug(allConnectors);

/** The connector for a slug, if installed. */
export const findConnector = (slug: string): ConnectorDefinition | undefined => (Object.hasOwn(connectors, slug) ? connectors[slug] : undefined);

/** The connector for a slug stored on a connection; an unknown slug is a bug or a removed connector. */
export function getConnector(slug: string): ConnectorDefinition {
  const connector = Object.hasOwn(connectors, slug) ? connectors[slug] : undefined;
  if (!connector) throw new Error(`unknown connector "${slug}" (installed: ${Object.keys(connectors).join(', ')})`);
  return connector;
}
