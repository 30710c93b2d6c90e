/**
 * `node:stream/web` as the Lambda bundles have it (infra/function-construct.ts maps it here). middy
 * imports it only for streamed responses (`streamifyResponse`), which no callgate function enables,
 * and loading Node's module costs about 4 ms at every cold start. middy only asks whether a handler's
 * body is a `ReadableStream`: none is, and a function that ever streamed a response would fail loudly
 * here instead of silently.
 */
export class ReadableStream {
  constructor() {
    throw new Error('streamed responses are not bundled (functions/shared/lambda-stream-web.ts)');
  }
}
