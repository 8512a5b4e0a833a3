/**
 * A FHIR server that misbehaves on purpose, over real HTTP on loopback: each test says how it
 * answers (`serve`), and reads what was asked (`requests`) and how many bytes it sent before the
 * client hung up (`bytesSent`). Dev central always answers politely; real servers and broken
 * proxies do not (issue 14: pages that never end, next links that loop, huge resources, clocks a
 * year ahead, answers that stall halfway).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export type Handler = (request: http.IncomingMessage, url: URL, response: http.ServerResponse) => void;

export interface HostileCentral {
  readonly fhirBaseUrl: string;
  /** Every request's path and query, in order. */
  readonly requests: string[];
  /** Bytes written to answers so far (what the client may have read, at most). */
  bytesSent(): number;
  /** How every request is answered from now on. */
  serve(handler: Handler): void;
  close(): Promise<void>;
}

export async function startHostileCentral(): Promise<HostileCentral> {
  let handler: Handler = (_request, _url, response) => void response.writeHead(404).end();
  const requests: string[] = [];
  let sent = 0;
  const server = http.createServer((request, response) => {
    const url = new URL(request.url ?? '/', `http://${request.headers.host ?? '127.0.0.1'}`);
    requests.push(url.pathname + url.search);
    const write = response.write.bind(response) as (chunk: unknown, ...rest: unknown[]) => boolean;
    response.write = ((chunk: unknown, ...rest: unknown[]) => {
      sent += typeof chunk === 'string' ? Buffer.byteLength(chunk) : (chunk as Buffer).byteLength;
      return write(chunk, ...rest);
    }) as typeof response.write;
    response.on('error', () => undefined);
    handler(request, url, response);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    fhirBaseUrl: `http://127.0.0.1:${port}/fhir/R4`,
    requests,
    bytesSent: () => sent,
    serve(next) {
      handler = next;
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** A searchset Bundle of `resources`, with a next link when given; sent whole as FHIR JSON. */
export function sendBundle(
  response: http.ServerResponse,
  resources: unknown[],
  options: { next?: string; date?: Date } = {},
): void {
  const body = JSON.stringify({
    resourceType: 'Bundle',
    type: 'searchset',
    ...(options.next ? { link: [{ relation: 'next', url: options.next }] } : {}),
    entry: resources.map((resource) => ({ resource })),
  });
  response.writeHead(200, {
    'content-type': 'application/fhir+json',
    date: (options.date ?? new Date()).toUTCString(),
  });
  response.write(body);
  response.end();
}

/** An empty searchset (no next link): a type with nothing to send, or an empty history. */
export function sendEmpty(response: http.ServerResponse): void {
  sendBundle(response, []);
}
