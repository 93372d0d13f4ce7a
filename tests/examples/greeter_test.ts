import assert from "node:assert/strict";
import { spawnServer } from "../interop/_peers.ts";

const examples = new URL("../../examples/", import.meta.url);

for (const tls of [false, true]) {
  Deno.test(`greeter_client calls greeter_server${tls ? " over TLS" : ""}`, async () => {
    const serverArgs = ["run", "-A", new URL("greeter_server.ts", examples).pathname];
    const server = await spawnServer(Deno.execPath(), tls ? [...serverArgs, "--tls"] : serverArgs);
    try {
      const args = [
        "run",
        "-A",
        new URL("greeter_client.ts", examples).pathname,
        "--port",
        String(server.port),
        "--name",
        "Grace",
      ];
      const out = await new Deno.Command(Deno.execPath(), {
        args: tls ? [...args, "--tls"] : args,
        stdout: "piped",
        stderr: "piped",
        signal: AbortSignal.timeout(30_000),
      }).output();
      const text = new TextDecoder().decode(out.stdout);
      assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
      assert.deepEqual(text.trim().split("\n"), [
        "SayHello: Hello Grace",
        "SayHelloStream: Hello Grace",
        "SayHelloStream: Bonjour Grace",
        "SayHelloStream: Hola Grace",
      ]);
    } finally {
      await server.kill();
    }
  });
}
