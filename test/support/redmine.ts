/**
 * Test helpers for the real Redmine managed by scripts/redmine.sh (Debian packages, sqlite, puma).
 *
 * Every test should work in its own project (`createProject()` picks a unique identifier), so test
 * files never see each other's issues. All REST calls go through `redmineRequest`, which retries the
 * 500s Redmine answers when sqlite is locked by a concurrent write. The helpers live in ./redmine/.
 */
export type * from './redmine/types';
export {
  REDMINE_PORT, REDMINE_SCRIPT, REDMINE_URL, ensureRedmine, redmineAnswers, runRails, runRedmineScript, startRedmine, stopRedmine,
} from './redmine/process';
export { RedmineHttpError, redmineRequest, type RequestOptions, type RmResponse } from './redmine/request';
export * from './redmine/projects';
export * from './redmine/issues';
export * from './redmine/custom-fields';
export { pastIssueUpdateSecond } from './redmine/clock';
