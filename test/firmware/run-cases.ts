// Runs case suites of test/cases/ inside the DeviceScript VM and prints a summary line in the
// form @devicescript/test uses ("tests: N, pass: P, error: E"), which run-in-vm.ts reads.
//
// A plain loop rather than @devicescript/test's registry: registering every case up front keeps
// each case and its name on the 64 KB heap, and fragments it until a user table (4,250 bytes in
// one block) no longer fits. Here only the suite being run is in memory.
import * as ds from "@devicescript/core"
import { hmac } from "@devicescript/crypto"
import { Check, SuiteMaker } from "../cases/check"

let made = 0
const check: Check = {
    eq: (actual: string, expected: string, what: string) => {
        made++
        if (actual !== expected) throw new Error(`${what}: expected "${expected}", got "${actual}"`)
    },
    breathe: async () => {
        await ds.sleep(0)
    },
    hmac: (key, message) => hmac(key, "sha256", message as Buffer),
}

export async function runSuites(suites: SuiteMaker[]) {
    let total = 0
    let pass = 0
    let error = 0
    for (const make of suites) {
        const suite = make()
        console.log(`suite: ${suite.name}`)
        for (const c of suite.cases) {
            // each case starts after a sleep, on a fresh opcode budget
            await ds.sleep(1)
            console.log(`  ${c.name}`)
            total++
            made = 0
            try {
                await c.run(check)
                if (made === 0) throw new Error("the case made no check")
                pass++
            } catch (e) {
                error++
                console.log(`  FAILED: ${(e as Error).message}`)
            }
        }
    }
    console.log(`tests: ${total}, pass: ${pass}, error: ${error}`)
}
