export { connectionTest } from './connectionTest';
