/**
 * A static web host on 127.0.0.1 for an exported online study (as any web host would serve the
 * folder), keeping every path asked for, so a test can see the study fetch nothing else.
 */
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';

const TYPES: Record<string, string> = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.json': 'application/json' };

export interface StaticHost {
  url: string;
  /** Paths requested, in order. */
  requests: string[];
  /** Bodies POSTed, by path (a stand-in server's endpoints). */
  posts: { path: string; body: string }[];
  close(): Promise<void>;
}

/** Serve `folder`; `extra` maps a path (e.g. '/jatos.js') to content served beside it. */
export async function serveFolder(folder: string, extra: Record<string, string> = {}): Promise<StaticHost> {
  const requests: string[] = [];
  const posts: StaticHost['posts'] = [];
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    requests.push(url.pathname);
    if (req.method === 'POST') {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        posts.push({ path: url.pathname, body: Buffer.concat(chunks).toString('utf8') });
        res.writeHead(200).end('ok');
      });
      return;
    }
    const name = url.pathname === '/' ? '/index.html' : url.pathname;
    const body = extra[name] ?? (() => {
      const file = path.join(folder, path.normalize(name).replace(/^(\.\.[/\\])+/, ''));
      return file.startsWith(folder) && fs.existsSync(file) && fs.statSync(file).isFile() ? fs.readFileSync(file) : null;
    })();
    if (body === null) {
      res.writeHead(404).end('not found');
      return;
    }
    res.writeHead(200, { 'content-type': TYPES[path.extname(name)] ?? 'application/octet-stream' }).end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/`, requests, posts, close: () => new Promise((resolve) => server.close(() => resolve())) };
}
