// Which connection failures may pass if tried again (exit 75, and --retries tries them): the
// two below were found by the fault test (npm run fault-test), a link ended or stalled in the
// middle of the SSH handshake, and had been reported as final (exit 1).
import assert from "node:assert/strict";
import { connectFailureReason } from "../../../src/connect/connect-failure.js";

describe("connectFailureReason", () => {
  const cases: Array<[string, Error & { code?: string }, boolean]> = [
    ["refused", Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:22"), { code: "ECONNREFUSED" }), true],
    ["a name that does not exist", Object.assign(new Error("getaddrinfo ENOTFOUND nowhere"), { code: "ENOTFOUND" }), false],
    ["ended in the handshake (ssh2-sftp-client)", new Error("getConnection: Unexpected end event"), true],
    ["closed in the handshake (ssh2-sftp-client)", new Error("getConnection: Unexpected close event"), true],
    ["stalled in the handshake (ssh2 keepalives)", new Error("getConnection: Keepalive timeout"), true],
    ["anything else", new Error("Unsupported algorithm"), false],
  ];
  for (const [what, error, transient] of cases) {
    it(`${what}: ${transient ? "may pass if tried again" : "final"}`, () => {
      assert.equal(connectFailureReason(error).transient, transient);
    });
  }
});
