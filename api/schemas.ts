import { z } from '@hono/zod-openapi';

export const IdParam = z.object({ id: z.uuid().openapi({ param: { name: 'id', in: 'path' } }) });

export const StartedRun = z
  .object({
    workflowId: z.string().openapi({ example: 'connection-test/8c1…/m3x9' }),
    runId: z.string(),
    statusUrl: z.string().openapi({ example: '/runs/connection-test%2F8c1…' }),
  })
  .openapi('StartedRun');
export type StartedRunView = z.infer<typeof StartedRun>;

export const json = <T extends z.ZodType>(schema: T, description: string) => ({
  description,
  content: { 'application/json': { schema } },
});
