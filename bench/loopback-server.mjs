// Minimal keep-alive vendor stand-in for the benchmark: answers every request with 204 (a Mixpanel cancel).
// Runs in its own process so its CPU time is not charged to the client being measured.
import { createServer } from 'node:http';

const server = createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    res.writeHead(204);
    res.end();
  });
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => process.send?.({ port: server.address().port }));
