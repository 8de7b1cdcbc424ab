export { injectTraceContext, extractTraceContext } from './sqsPropagation.ts';
export type { SqsAttributes } from './sqsPropagation.ts';
