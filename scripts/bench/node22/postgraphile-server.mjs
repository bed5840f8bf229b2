/**
 * PostGraphile 5 over the bench's database, for `npm run bench` only (run by the pinned Node 22 of this
 * folder: PostGraphile 5 needs Node >= 22). The Amber preset as shipped, reflecting the `public` schema:
 * no authorization, no plugins, GraphiQL and websockets off. POST /graphql, GET /healthz.
 *
 * Environment: DATABASE_URL, PORT (127.0.0.1 only), BENCH_POOL_SIZE (10, as the service's pool).
 */
import http from 'node:http';
import { postgraphile } from 'postgraphile';
import { makePgService } from 'postgraphile/adaptors/pg';
import { grafserv } from 'postgraphile/grafserv/node';
import { PostGraphileAmberPreset } from 'postgraphile/presets/amber';

const port = Number(process.env.PORT);
if (!process.env.DATABASE_URL || !Number.isInteger(port) || port <= 0) {
  console.error('postgraphile-server: DATABASE_URL and PORT are required');
  process.exit(1);
}

const preset = {
  extends: [PostGraphileAmberPreset],
  // The link tables reference (id, organisation_id) pairs, and no index covers those exact column lists, so
  // by default PostGraphile hides the backward relations (membership → its roles and teams). The bench's
  // queries need them; its tables stay exactly the project's.
  disablePlugins: ['PgIndexBehaviorsPlugin'],
  pgServices: [
    makePgService({
      connectionString: process.env.DATABASE_URL,
      schemas: ['public'],
      poolConfig: { max: Number(process.env.BENCH_POOL_SIZE || 10) },
    }),
  ],
  grafserv: { graphqlPath: '/graphql', graphiql: false, websockets: false },
  grafast: { explain: false },
};

const pgl = postgraphile(preset);
const serv = pgl.createServ(grafserv);
await pgl.getSchema(); // introspect before answering /healthz: the bench waits for it
const graphql = serv.createHandler();
const server = http.createServer((request, response) => {
  if (request.url === '/healthz') {
    response.writeHead(200, { 'content-type': 'application/json' });
    response.end('{"status":"ok"}');
    return;
  }
  graphql(request, response);
});
server.listen(port, '127.0.0.1');

const stop = () => {
  server.close();
  Promise.resolve(pgl.release()).finally(() => process.exit(0));
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
