/**
 * Runs build/core-tests.devs (test/firmware/core.devs.ts compiled by the DeviceScript compiler)
 * in the real VM: the pure core proven inside the DeviceScript subset and runtime, not just Node.
 */
import { describe, expect, it } from "vitest"
import { createVmBus, Flash, readBytecode, VmTransport } from "../../sim/vm"

describe("the pure core inside the DeviceScript VM", () => {
    it("passes every @devicescript/test test in core.devs.ts", async () => {
        const transport = new VmTransport()
        const bus = createVmBus(transport)
        bus.start()
        await transport.connect()
        const lines: string[] = []
        let done: (line: string) => void
        const result = new Promise<string>(r => (done = r))
        const run = await transport.powerOn({
            bytecode: readBytecode("core-tests"),
            flash: new Flash(),
            deploy: true,
            onLog: line => {
                lines.push(line)
                if (/tests: \d+, pass: \d+, error: \d+/.test(line)) done(line)
            },
        })
        try {
            const summary = await Promise.race([
                result,
                new Promise<string>((_, reject) =>
                    setTimeout(() => reject(new Error(`no test summary; VM said:\n${lines.join("\n")}`)), 45_000),
                ),
            ])
            const [, total, pass, error] = /tests: (\d+), pass: (\d+), error: (\d+)/.exec(summary)!.map(Number)
            expect(error, lines.join("\n")).toBe(0)
            expect(pass).toBe(total)
            expect(total).toBeGreaterThanOrEqual(40)
        } finally {
            run.stop()
            await bus.dispose()
        }
    })
})
