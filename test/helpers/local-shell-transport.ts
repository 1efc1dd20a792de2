// A local directory that can also run shell commands in its root, like an SSH target with a
// shell: lets the shell executor (bundle, unzip, rename.sh) run in unit tests without a server.
import { execFile, spawn } from "node:child_process";
import type { Readable } from "node:stream";
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

  execWithInput(command: string, input: Readable, onProgress?: (sent: number) => void): Promise<ExecResult> {
    return new Promise((resolve, reject) => {
      const child = spawn("sh", ["-c", command], { cwd: this.root, stdio: ["pipe", "pipe", "pipe"] });
      let stdout = "";
      let stderr = "";
      child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString("utf8")));
      child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString("utf8")));
      child.stdin.on("error", () => undefined); // the command ended before reading everything
      input.on("data", (chunk: Buffer) => onProgress?.(chunk.length));
      input.once("error", (error) => {
        child.kill("SIGKILL");
        reject(error);
      });
      input.pipe(child.stdin);
      child.on("close", (code) => resolve({ code: code ?? 255, stdout, stderr }));
    });
  }
}
