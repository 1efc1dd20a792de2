// A local directory that can also run shell commands in its root, like an SSH target with a
// shell: lets the shell executor (bundle, unzip, rename.sh) run in unit tests without a server.
import { execFile } from "node:child_process";
import { LocalTransport } from "../../src/transport/local-transport.js";
import type { ExecResult } from "../../src/transport/transport.js";

export class LocalShellTransport extends LocalTransport {
  override readonly capabilities = { exec: true };

  exec(command: string): Promise<ExecResult> {
    return new Promise((resolve) => {
      execFile("sh", ["-c", command], { cwd: this.root }, (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === "number" ? error.code : 127;
        resolve({ code, stdout, stderr });
      });
    });
  }
}
