// The board-side pure core (keypad scanner with a fake pin matrix, latch monitor) inside the
// DeviceScript VM: the same cases as test/core/board.test.ts, from test/fixtures/board-cases.ts.
// Built by scripts/build.ts into build/board-tests.devs; run by test/firmware/board-in-vm.test.ts.
import * as ds from "@devicescript/core"
import { beforeEach, test, expect, runTests } from "@devicescript/test"
import { Case, Check, LATCH_CASES, SCANNER_CASES } from "../fixtures/board-cases"
import { FakeMatrix } from "../fixtures/fake-matrix"
import { startMatrixKeypad } from "../../src/firmware/keypad-server"

const check: Check = {
    eq: (actual: string, expected: string, what: string) => {
        if (actual !== expected) console.log(`${what}: expected "${expected}", got "${actual}"`)
        expect(actual).toBe(expected)
    },
    breathe: async () => {
        await ds.sleep(1)
    },
}

// every test starts after a sleep, on a fresh opcode budget (see run-cases.ts)
beforeEach(async () => {
    await ds.sleep(1)
})

function register(prefix: string, cases: Case[]) {
    cases.forEach(c => {
        test(`${prefix}: ${c.name}`, async () => {
            await c.run(check)
        })
    })
}

register("scanner", SCANNER_CASES)
register("latch", LATCH_CASES)

// The on-board keypad server itself, over the fake matrix instead of GPIOs: a client role binds to
// it through the VM's role manager and hears what the lock's "keypad" role would hear.
test("keypad server: a MatrixKeypad client hears down, up and click for a pressed key, once each", async () => {
    const matrix = new FakeMatrix(4, 3)
    startMatrixKeypad(matrix, {
        rows: 4,
        columns: 3,
        labels: "123456789*0#",
        debounceMs: 30,
        longClickMs: 500,
        stuckMs: 20000,
        name: "keypadUnderTest",
    })
    const client = new ds.MatrixKeypad("keypadClient")
    const heard: string[] = []
    client.down.subscribe(k => {
        heard.push(`down ${k}`)
    })
    client.up.subscribe(k => {
        heard.push(`up ${k}`)
    })
    client.click.subscribe(k => {
        heard.push(`click ${k}`)
    })
    for (let i = 0; i < 50 && !client.isBound; i++) await ds.sleep(100)
    expect(client.isBound).toBe(true)
    await ds.sleep(200)
    matrix.set(4, true) // "5"
    await ds.sleep(300)
    const reading = await client.reading.read()
    matrix.set(4, false)
    await ds.sleep(400)
    if (heard.join(", ") !== "down 4, up 4, click 4") console.log(`heard: ${heard.join(", ")}`)
    expect(heard.join(", ")).toBe("down 4, up 4, click 4")
    expect(reading.join(",")).toBe("4")
})

await runTests()
// leave at once: otherwise the library's own autorun would run every test a second time
ds.restart()
