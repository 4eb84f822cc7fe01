import type { ChangeMessage } from './types';

/** The placeholders a routing key (or any per-message name) may use. */
const PLACEHOLDERS = ['project', 'target', 'action', 'origin'] as const;
type Placeholder = (typeof PLACEHOLDERS)[number];

export const DEFAULT_ROUTING_KEY = '{project}.{target}.{action}';

/** Why a template is unusable, or null. `{project}.{target}.{action}` is the default. */
export function templateProblem(template: string): string | null {
  for (const match of template.matchAll(/\{([^}]*)\}/g)) {
    if (!PLACEHOLDERS.includes(match[1] as Placeholder)) return `unknown placeholder {${match[1]}}; use ${PLACEHOLDERS.map((p) => `{${p}}`).join(', ')}`;
  }
  return null;
}

/** Fills a template from a message. AMQP topic words are dot-separated, so dots inside a value become dashes. */
export function fillTemplate(template: string, message: ChangeMessage): string {
  const values: Record<Placeholder, string> = {
    project: message.project.key, target: message.event.target, action: message.event.action, origin: message.event.origin === 'hub' ? 'hub' : 'pull',
  };
  return template.replace(/\{(project|target|action|origin)\}/g, (_, name: Placeholder) => values[name].replaceAll('.', '-'));
}
