import net from 'node:net';

export interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
  /** True when the server answered before the whole request was written. */
  answeredEarly: boolean;
}

export interface RawRequest {
  method: string;
  /** Sent verbatim in the request line (may hold bytes no HTTP client would send). */
  target: string | Buffer;
  headers?: [string, string | Buffer][];
  body?: Buffer | string;
}

/**
 * One HTTP/1.1 request written byte for byte on a fresh socket (`Connection: close`), for inputs that
 * fetch and node:http refuse to send: NUL and raw bytes in the target or headers, lying lengths.
 */
export function rawRequest(baseUrl: string, request: RawRequest): Promise<RawResponse> {
  const { hostname, port } = new URL(baseUrl);
  const lines: Buffer[] = [
    Buffer.concat([
      Buffer.from(`${request.method} `),
      Buffer.from(request.target as Buffer),
      Buffer.from(` HTTP/1.1\r\nHost: ${hostname}:${port}\r\nConnection: close\r\n`),
    ]),
  ];
  const body = request.body === undefined ? undefined : Buffer.from(request.body as Buffer);
  const headers = request.headers ?? [];
  if (body && !headers.some(([n]) => /^(content-length|transfer-encoding)$/i.test(n)))
    headers.push(['Content-Length', String(body.length)]);
  for (const [name, value] of headers)
    lines.push(Buffer.concat([Buffer.from(`${name}: `), Buffer.from(value as Buffer), Buffer.from('\r\n')]));
  lines.push(Buffer.from('\r\n'));
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(port), hostname);
    const chunks: Buffer[] = [];
    let written = false;
    let answeredEarly = false;
    socket.on('data', (chunk: Buffer) => {
      if (!written && chunks.length === 0) answeredEarly = true;
      chunks.push(chunk);
    });
    const finish = () => {
      const text = Buffer.concat(chunks).toString('latin1');
      const split = text.indexOf('\r\n\r\n');
      if (split === -1) return reject(new Error(`no HTTP answer: ${JSON.stringify(text)}`));
      const [statusLine, ...headerLines] = text.slice(0, split).split('\r\n');
      const parsed: Record<string, string> = {};
      for (const line of headerLines) {
        const colon = line.indexOf(':');
        parsed[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim();
      }
      resolve({
        status: Number(statusLine!.split(' ')[1]),
        headers: parsed,
        body: Buffer.from(text.slice(split + 4), 'latin1').toString('utf8'),
        answeredEarly,
      });
    };
    socket.on('close', finish);
    // The server may close while the body is still being sent: that is an answer, not a failure.
    socket.on('error', () => undefined);
    socket.write(Buffer.concat(lines));
    if (body) socket.write(body, () => (written = true));
    else written = true;
  });
}
