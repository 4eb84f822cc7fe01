import { ApplicationFailure } from '@temporalio/activity';

export const notFound = (what: string) => ApplicationFailure.nonRetryable(`${what} not found`, 'NotFound');
