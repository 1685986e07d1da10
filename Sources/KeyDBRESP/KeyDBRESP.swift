// KeyDBRESP — the wire format.
//
// - `RequestParser`: finds one request (RESP2 multibulk or inline) in the
//   bytes received so far, without copying: arguments are spans of the buffer.
// - `InlineSplitter`: Redis's inline quoting rules (`"..."`, `'...'`).
// - `ProtocolLimits` / `ProtocolError`: Redis's limits and its exact texts.
// - `ByteBuffer+RESP`: the reply encoder.
// - `Arguments`: what a command sees — argv as raw byte views.
