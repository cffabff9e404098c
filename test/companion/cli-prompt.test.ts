/**
 * The broker's credentials asked on a terminal: the CLI (bin/latchkey.js) in a pseudo-terminal
 * (util-linux `script`), against aedes with a user name and password. It asks only after the
 * broker refuses, echoes the user name and never the password.
 */
import { spawn } from "node:child_process"
import { existsSync, mkdtempSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { describe, expect, it } from "vitest"
import { ROOT } from "../../host/paths"
import { startAedes } from "../../bench/lib/brokers"

const SCRIPT = ["/usr/bin/script", "/bin/script"].find(p => existsSync(p))
const suite = SCRIPT ? describe : describe.skip

/** Runs the CLI in a pseudo-terminal, answering each prompt that appears; resolves with its exit code and what the terminal showed. */
function onTerminal(args: string[], answers: [RegExp, string][]): Promise<{ code: number; screen: string }> {
    const cmd = [process.execPath, join(ROOT, "bin", "latchkey.js"), ...args].map(a => `'${a}'`).join(" ")
    const env = { ...process.env }
    delete env.LATCHKEY_MQTT_USER
    delete env.LATCHKEY_MQTT_PASSWORD
    return new Promise(resolve => {
        const child = spawn(SCRIPT!, ["-qec", cmd, "/dev/null"], { env })
        let screen = ""
        const pending = [...answers]
        const timer = setTimeout(() => child.kill("SIGKILL"), 30000)
        child.stdout.on("data", d => {
            screen += d
            if (pending.length && pending[0][0].test(screen)) child.stdin.write(pending.shift()![1] + "\r")
        })
        child.on("close", code => {
            clearTimeout(timer)
            resolve({ code: code ?? -1, screen })
        })
    })
}

suite(`the broker's credentials on a terminal${SCRIPT ? "" : " [skipped: util-linux script is not installed]"}`, () => {
    it("asks for them when the broker refuses, shows the user name, never the password", async () => {
        const broker = await startAedes({ username: "owner", password: "s3cret-pa55" })
        try {
            const keys = join(mkdtempSync(join(tmpdir(), "latchkey-prompt-")), "keys.json")
            const r = await onTerminal(["--mqtt", broker.url, "--keys", keys, "locks"], [
                [/user name: $/, "owner"],
                [/password: $/, "s3cret-pa55"],
            ])
            expect(r.screen).toMatch(/wants a user name and password \(LATCHKEY_MQTT_USER, LATCHKEY_MQTT_PASSWORD\)/)
            expect(r.screen).toMatch(/user name: owner/)
            expect(r.screen).not.toContain("s3cret-pa55")
            expect(r.screen).toMatch(/the broker knows no lock under latchkey\//)
            expect(r.code).toBe(0)

            const wrong = await onTerminal(["--mqtt", broker.url, "--keys", keys, "locks"], [
                [/user name: $/, "owner"],
                [/password: $/, "guess"],
            ])
            expect(wrong.code).toBe(1)
            expect(wrong.screen).toMatch(/refused the connection/)
        } finally {
            await broker.stop()
        }
    }, 60000)
})
