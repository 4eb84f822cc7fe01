import { describe, expect, it } from 'vitest';
import { fieldsFromForm, RulesForm } from '../console/pages/rules-form';
import type { ConsoleContext } from '../console/context';
import { RuleSetSchema } from '../rules/schema';

/** The values a browser would submit for a rendered form, its fields untouched. */
function submitted(html: string): Record<string, string> {
  const unescape = (v: string) => v.replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
  const values: Record<string, string> = {};
  for (const [tag] of html.matchAll(/<input\b[^>]*>/g)) {
    const name = /\bname="([^"]*)"/.exec(tag)?.[1];
    if (!name) continue;
    if (/type="checkbox"/.test(tag) && !/\bchecked\b/.test(tag)) continue;
    values[name] = unescape(/\bvalue="([^"]*)"/.exec(tag)?.[1] ?? (/type="checkbox"/.test(tag) ? 'on' : ''));
  }
  for (const [, name, body] of html.matchAll(/<select\b[^>]*\bname="([^"]*)"[^>]*>([\s\S]*?)<\/select>/g)) {
    const selected = /<option\b[^>]*\bvalue="([^"]*)"[^>]*\bselected\b/.exec(body!) ?? /<option\b[^>]*\bvalue="([^"]*)"/.exec(body!);
    values[name!] = unescape(selected?.[1] ?? '');
  }
  return values;
}

// The console's rules form (the wizard's step 3 and the binding page) saved without a change gives back the rules it showed.
describe('the console rules form', () => {
  const session = { role: 'admin', csrfToken: 'csrf', tokenName: 'alice' };
  const c = { get: (key: string) => (key === 'session' ? session : undefined) } as unknown as ConsoleContext;

  it('saves a scoped-label rule with its prefix, a default rule with its default, and a fallback, as they were', () => {
    const fields = [
      { hub: 'customFields.Severity', remote: 'labels', kind: 'two_way', prefix: 'severity: ', fallback: { remote: 'severity: Normal' } },
      { hub: 'priority', remote: 'priority', kind: 'default', default: 'Normal' },
      { hub: 'status', remote: 'status', kind: 'two_way', policy: 'hub_wins', map: [{ hub: 'doing', remote: 'In Progress' }] },
    ];
    const html = String(RulesForm({ c, action: '/ui/x', fields, choices: {}, submitLabel: 'Save rules' }));
    const saved = fieldsFromForm(submitted(html));
    expect(saved).toEqual(fields);
    expect(RuleSetSchema.safeParse({ fields: saved }).success).toBe(true);
  });

  it('drops the prefix when the user points the rule at another remote field, as the rules would refuse it', () => {
    const fields = [{ hub: 'customFields.Severity', remote: 'labels', kind: 'two_way', prefix: 'severity: ' }];
    const form = submitted(String(RulesForm({ c, action: '/ui/x', fields, choices: {}, submitLabel: 'Save rules' })));
    form['f.0.remote'] = 'customFields.Severity';
    const saved = fieldsFromForm(form);
    expect(saved).toEqual([{ hub: 'customFields.Severity', remote: 'customFields.Severity', kind: 'two_way' }]);
    expect(RuleSetSchema.safeParse({ fields: saved }).success).toBe(true);
  });
});
