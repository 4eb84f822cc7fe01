/** trackbridge-plugin-tinytracker: a connector, an action and a hook, built against `trackbridge/sdk` only. */
import { PLUGIN_API_VERSION, definePlugin } from 'trackbridge/sdk';
import { stats } from './actions';
import { tinytracker } from './connector';
import { pushLog } from './hooks';

export { tinytracker } from './connector';
export { stats } from './actions';
export { pushLog } from './hooks';

export default definePlugin({
  name: 'trackbridge-plugin-tinytracker',
  version: '1.0.0',
  apiVersion: PLUGIN_API_VERSION,
  connectors: [tinytracker],
  actions: [stats],
  hooks: [pushLog],
});
