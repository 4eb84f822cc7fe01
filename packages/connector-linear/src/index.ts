/** @trackbridge/connector-linear: Linear for trackbridge, built against `@trackbridge/sdk` only. */
import { PLUGIN_API_VERSION, definePlugin } from '@trackbridge/sdk';
import { linear } from './connector.js';

export { linear } from './connector.js';

export default definePlugin({
  name: '@trackbridge/connector-linear',
  version: '0.1.0',
  apiVersion: PLUGIN_API_VERSION,
  connectors: [linear],
});
