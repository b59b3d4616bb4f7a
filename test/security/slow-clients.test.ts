/**
 * Slow clients: many connections that send a request line and never finish their headers
 * (slowloris) do not hold up anyone else; an ordinary request is served while they wait.
 */
import net from 'node:net';
import { startWebBff, waitForSupergraph, type RunningBff } from '../helpers/bffs';
import { postGraphql } from '../helpers/http';
import { startSubgraphs, type RunningSubgraphs } from '../helpers/subgraphs';

let subgraphs: RunningSubgraphs;
let web: RunningBff;

beforeAll(async () => {
  subgraphs = await startSubgraphs(['products']);
  web = await startWebBff({ graphql: { subgraphUrls: subgraphs.urls }, ready: false });
  await waitForSupergraph(web);
});

afterAll(async () => {
  await web?.close();
  await subgraphs?.close();
});

describe('slow clients', () => {
  it('200 half-sent requests do not delay an ordinary one', async () => {
    const { hostname, port } = new URL(web.url);
    const sockets = await Promise.all(
      Array.from({ length: 200 }, () => new Promise<net.Socket>((resolve, reject) => {
        const socket = net.connect({ host: hostname, port: Number(port) }, () => {
          socket.write('POST /graphql HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n');
          resolve(socket);
        });
        socket.on('error', reject);
      })),
    );
    try {
      const res = await postGraphql(web.url, '{ topProducts(first: 1) { upc } }');
      expect(res.json).toEqual({ data: { topProducts: [{ upc: expect.any(String) }] } });
    } finally {
      for (const socket of sockets) socket.destroy();
    }
  });
});
