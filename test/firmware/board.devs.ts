// The board-side pure core (keypad scanner with a fake pin matrix, latch monitor) inside the
// DeviceScript VM: the same cases as test/core/board.test.ts, from test/fixtures/board-cases.ts.
// Built by scripts/build.ts into build/board-tests.devs; run by test/firmware/board-in-vm.test.ts.
import * as ds from "@devicescript/core"
import { beforeEach, test, expect, runTests } from "@devicescript/test"
import { Case, Check, LATCH_CASES, SCANNER_CASES } from "../fixtures/board-cases"

const check: Check = {
    eq: (actual: string, expected: string, what: string) => {
        if (actual !== expected) console.log(`${what}: expected "${expected}", got "${actual}"`)
        expect(actual).toBe(expected)
    },
    breathe: async () => {
        await ds.sleep(1)
    },
}

// every test starts after a sleep, on a fresh opcode budget (see core.devs.ts)
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

await runTests()
// leave at once: otherwise the library's own autorun would run every test a second time
ds.restart()
