/**
 * `npm run watch`: DeviceScript's own workflow. Runs `devs devtools src/main.ts`, which builds the
 * firmware on every change and deploys it to every DeviceScript VM on its hub (websocket 8081,
 * TCP 8082, debugger 8083). Attach the simulated board with `npm start -- --hub` in another
 * terminal: devtools then deploys each build to the simulator's VM, and the hub's clients (the
 * DeviceScript VS Code extension, the dashboard) see the keypad, latch, buzzer and door sensor.
 *
 * The hub's ports are fixed; a second hub would exit silently, so this checks them first.
 */
import { spawn } from "node:child_process"
import { createServer } from "node:net"
import { join } from "node:path"
import { ROOT } from "../host/profile-io"

const PORTS = [8081, 8082, 8083]

function portFree(port: number): Promise<boolean> {
    return new Promise(resolve => {
        const srv = createServer()
        srv.once("error", () => resolve(false))
        srv.listen(port, "127.0.0.1", () => srv.close(() => resolve(true)))
    })
}

async function main() {
    const busy: number[] = []
    for (const p of PORTS) if (!(await portFree(p))) busy.push(p)
    if (busy.length) {
        console.error(
            `watch: port${busy.length > 1 ? "s" : ""} ${busy.join(", ")} in use on 127.0.0.1: a DeviceScript devtools hub ` +
                `(VS Code's, or another \`npm run watch\`) is probably running already.\n` +
                `       Stop it, or use it: \`npm start -- --hub\` attaches the simulated board to the hub that runs.`,
        )
        process.exit(1)
    }
    const devs = join(ROOT, "node_modules", ".bin", "devs")
    const child = spawn(devs, ["devtools", "src/main.ts", ...process.argv.slice(2)], { cwd: ROOT, stdio: "inherit" })
    console.log("watch: devtools hub starting; in another terminal: npm start -- --hub")
    const stop = () => child.kill("SIGINT")
    process.on("SIGINT", stop)
    process.on("SIGTERM", stop)
    child.on("exit", code => {
        if (code === 100) console.error("watch: devtools stopped at once (exit 100): its ports are taken")
        process.exit(code ?? 0)
    })
}

void main()
