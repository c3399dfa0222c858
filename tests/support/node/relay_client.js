// A Node `ws` client for the relay tests: sends a text and a binary message,
// prints each echo as a JSON line, then closes with 4000 "node done".
// Usage: node relay_client.js URL [CA_FILE]
"use strict";
const fs = require("fs");
const WebSocket = require("ws");

const [url, caFile] = process.argv.slice(2);
const options = caFile ? { ca: fs.readFileSync(caFile) } : {};
const ws = new WebSocket(url, options);
const print = (object) => process.stdout.write(JSON.stringify(object) + "\n");
let received = 0;

ws.on("open", () => {
  print({ event: "open" });
  ws.send("hello from node");
  ws.send(Buffer.from([0, 1, 2, 255]));
});
ws.on("message", (data, isBinary) => {
  print(isBinary ? { type: "binary", base64: data.toString("base64") } : { type: "text", data: data.toString("utf8") });
  received += 1;
  if (received === 2) ws.close(4000, "node done");
});
ws.on("close", (code, reason) => {
  print({ event: "close", code, reason: reason.toString("utf8") });
  process.exit(0);
});
ws.on("error", (error) => {
  print({ event: "error", message: String(error.message || error) });
  process.exit(1);
});
setTimeout(() => { print({ event: "timeout" }); process.exit(2); }, 20000);
