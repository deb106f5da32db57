// The floor of the HTTP path: a bare Fastify route, in its own process like the gateway, that
// parses the JSON body and answers it back, with no auth, validation, queue or state.
import Fastify from 'fastify';

const app = Fastify({ logger: false });
app.post('/v2/:endpointId/runsync', async (request) => ({ id: 'floor', status: 'COMPLETED', output: request.body.input }));
await app.listen({ port: 0, host: '127.0.0.1' });
process.send?.(app.server.address().port);
process.on('SIGTERM', async () => {
  await app.close();
  process.exit(0);
});
