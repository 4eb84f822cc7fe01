/** @trackbridge/connector-gitlab: GitLab Issues for trackbridge, built against `@trackbridge/sdk` only. */
import { PLUGIN_API_VERSION, definePlugin } from '@trackbridge/sdk';
import { gitlab } from './connector.js';

export { gitlab } from './connector.js';

export default definePlugin({
  name: '@trackbridge/connector-gitlab',
  version: '0.1.0',
  apiVersion: PLUGIN_API_VERSION,
  connectors: [gitlab],
});
