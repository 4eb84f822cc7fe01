import { OpenAPIHono } from '@hono/zod-openapi';
import { invalid } from './errors';
import type { AuthVariables } from './auth';

/** A sub-app whose validation failures become 400s naming the field at fault. */
export function newRouter() {
  return new OpenAPIHono<{ Variables: AuthVariables }>({
    defaultHook: (result) => {
      if (!result.success) {
        const where = result.target === 'json' ? [] : [result.target];
        throw invalid(result.error, where);
      }
    },
  });
}

export const security = [{ bearerAuth: [] }];
