import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

// The layer order is a lint rule (eslint.config.js); these prove it bites on a back-import and
// leaves the allowed direction alone.
const eslint = new ESLint({ cwd: process.cwd() });
async function restricted(filePath: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath });
  return result!.messages.filter((m) => m.ruleId === '@typescript-eslint/no-restricted-imports').map((m) => m.message);
}

describe('layer order', { timeout: 120_000 }, () => {
  it('rejects an import from a layer above', async () => {
    expect(await restricted('db/links.ts', "import { createApp } from '../api/app';\nexport const app = createApp;\n"))
      .toEqual([expect.stringContaining('db/ sits below these folders')]);
    expect(await restricted('lib/crypto.ts', "import type { Db } from '../db/client';\nexport type X = Db;\n"))
      .toEqual([expect.stringContaining('lib/ sits below these folders')]);
    expect(await restricted('connectors/github/client.ts', "import { withTx } from '../../db/client';\nexport const w = withTx;\n"))
      .toEqual([expect.stringContaining('connectors/ sits below these folders')]);
    expect(await restricted('markup/textile-out.ts', "import { redmine } from '../connectors/redmine';\nexport const r = redmine;\n"))
      .toEqual([expect.stringContaining('markup/ sits below these folders')]);
    expect(await restricted('workflows/pushStory.ts', "import { signalPush } from '../temporal/dispatch';\nexport const s = signalPush;\n"))
      .toEqual([expect.stringContaining('Workflows see activities only as types')]);
    // The console sits above the API: the API never reaches up into it, and it never into the runtime.
    expect(await restricted('api/session.ts', "import { withConsole } from '../console';\nexport const w = withConsole;\n"))
      .toEqual([expect.stringContaining('api/ sits below these folders')]);
    expect(await restricted('console/pages/home.tsx', "import { startApiServer } from '../../runtime/runtime';\nexport const s = startApiServer;\n"))
      .toEqual([expect.stringContaining('console/ sits below these folders')]);
  });

  it('allows imports from the layers below, and type-only activity imports in workflows', async () => {
    expect(await restricted('api/links.ts', "import { withTx } from '../db/client';\nexport const w = withTx;\n")).toEqual([]);
    expect(await restricted('connectors/redmine/mapping.ts', "import { fromTextile } from '../../markup';\nexport const f = fromTextile;\n")).toEqual([]);
    expect(await restricted('runtime/x.ts', "import { createApp } from '../api/app';\nexport const a = createApp;\n")).toEqual([]);
    expect(await restricted('console/client.ts', "import { CSRF_HEADER } from '../api/session';\nexport const h = CSRF_HEADER;\n")).toEqual([]);
    expect(await restricted('runtime/runtime.ts', "import { withConsole } from '../console';\nexport const w = withConsole;\n")).toEqual([]);
    expect(await restricted('workflows/x.ts', "import type { Activities } from '../activities';\nexport type A = Activities;\n")).toEqual([]);
  });
});
