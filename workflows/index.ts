export { connectionTest } from './connectionTest';
export { initialSync } from './initialSync';
export { pullBinding } from './pullBinding';
export { scopeListing } from './scopeListing';
