/**
 * Runs build/board-tests.devs (test/firmware/board.devs.ts compiled by the DeviceScript compiler)
 * in the real VM: the keypad scanner's fake-matrix cases and the latch monitor's cases, proven
 * inside the DeviceScript subset and runtime as well as in Node.
 */
import { describe, expect, it } from "vitest"
import { createVmBus, Flash, readBytecode, VmTransport } from "../../sim/vm"
import { LATCH_CASES, SCANNER_CASES } from "../fixtures/board-cases"

describe("the board-side core inside the DeviceScript VM", () => {
    it("passes every scanner and latch case of board-cases.ts, and the keypad server test", async () => {
        const transport = new VmTransport()
        const bus = createVmBus(transport)
        bus.start()
        await transport.connect()
        const lines: string[] = []
        let done: (line: string) => void
        let fail: (e: Error) => void
        const result = new Promise<string>((resolve, reject) => ((done = resolve), (fail = reject)))
        const run = await transport.powerOn({
            bytecode: readBytecode("board-tests"),
            flash: new Flash(),
            deploy: true,
            onLog: line => {
                lines.push(line)
                if (/tests: \d+, pass: \d+, error: \d+/.test(line)) done(line)
                // a panic (e.g. InfiniteLoop) ends the program: fail now with what the VM said
                if (/^\* stop program/.test(line)) setTimeout(() => fail(new Error(`the VM program stopped:\n${lines.join("\n")}`)), 200)
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
            expect(total).toBe(SCANNER_CASES.length + LATCH_CASES.length + 1) // + the keypad server
        } finally {
            run.stop()
            await bus.dispose()
        }
    })
})
