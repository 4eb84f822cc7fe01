export { amqpSink } from './amqp';
export { webhookSink } from './webhook';
export { SIGNATURE_HEADER, signPayload, verifySignature, type SignatureCheck } from './signature';
export { DEFAULT_ROUTING_KEY, fillTemplate, templateProblem } from './template';
export type { ChangeMessage, ChangeStory, SinkDefinition, SinkPublisher } from './types';
