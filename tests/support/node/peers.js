// Node `ws` peers for wsconsole's tests: a third-party implementation of permessage-deflate.
//
//   node peers.js server '<perMessageDeflate JSON or false>'
//       echoes every packet; prints {"port": N} once listening, then one JSON line per
//       connection: {"extensions": "<the request's Sec-WebSocket-Extensions>", "agreed": "..."}
//   node peers.js client URL '<perMessageDeflate JSON or false>' MESSAGE...
//       sends each MESSAGE, waits for as many echoes, closes; prints
//       {"extensions": "<the answer's Sec-WebSocket-Extensions>", "echoes": [...], "code": N}
//       (binary echoes as {"base64": ...})
"use strict";
const { WebSocket, WebSocketServer } = require("ws");

const [mode, ...rest] = process.argv.slice(2);

function print(value) {
  process.stdout.write(JSON.stringify(value) + "\n");
}

if (mode === "server") {
  const perMessageDeflate = JSON.parse(rest[0]);
  const server = new WebSocketServer({ host: "127.0.0.1", port: 0, perMessageDeflate });
  server.on("listening", () => print({ port: server.address().port }));
  server.on("connection", (socket, request) => {
    print({ extensions: request.headers["sec-websocket-extensions"] || "", agreed: socket.extensions });
    socket.on("message", (data, isBinary) => socket.send(data, { binary: isBinary }));
  });
  process.stdin.on("end", () => process.exit(0)); // the test closes stdin to stop it
  process.stdin.resume();
} else if (mode === "client") {
  const [url, options, ...messages] = rest;
  const socket = new WebSocket(url, { perMessageDeflate: JSON.parse(options) });
  const echoes = [];
  let answered = "";
  socket.on("upgrade", (response) => {
    answered = response.headers["sec-websocket-extensions"] || "";
  });
  socket.on("open", () => messages.forEach((message) => socket.send(message)));
  socket.on("message", (data, isBinary) => {
    echoes.push(isBinary ? { base64: data.toString("base64") } : data.toString("utf8"));
    if (echoes.length === messages.length) socket.close(1000);
  });
  socket.on("close", (code) => {
    print({ extensions: answered, echoes, code });
    process.exit(0);
  });
  socket.on("error", (error) => {
    print({ error: String(error) });
    process.exit(1);
  });
} else {
  process.stderr.write("usage: node peers.js server OPTIONS | client URL OPTIONS MESSAGE...\n");
  process.exit(2);
}
