export { connectionTest } from './connectionTest';
export { initialSync } from './initialSync';
export { pullBinding } from './pullBinding';
export { scopeListing } from './scopeListing';
export { pushStory } from './pushStory';
export { backlog } from './backlog';
export { runAction } from './runAction';
export { hookFiring } from './hookFiring';
