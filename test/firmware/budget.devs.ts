// Heap budget probe: the shipping firmware (board start-up + lock), plus optionally the digests
// of N users held the way the current store holds codes (one 32-byte HMAC per user), then an
// allocation that cannot fit, so the runtime's out-of-memory report prints its heap statistics
// ("stats: N objects, U B used, F B free"). Built by scripts/build.ts into build/budget.devs and
// run by scripts/budget.ts, which sets the setting "bdg.users" once the lock is ready.
import * as ds from "@devicescript/core"
import { hmac } from "@devicescript/crypto"
import { readSetting } from "@devicescript/settings"
import { startBoard } from "../../src/firmware/board"
import { startLock } from "../../src/firmware/lock"

/** The largest single allocation the runtime accepts (DEVS_MAX_ALLOC). */
const CHUNK = 0xe000

startBoard()
await startLock()
let users = -1
while (users < 0) {
    await ds.sleep(100)
    users = await readSetting<number>("bdg.users", -1)
}
const held: Buffer[] = []
for (let i = 0; i < users; i++) {
    held.push(hmac("budget-device-key", "sha256", "" + (10000000 + i)))
    if (i % 16 === 0) await ds.sleep(1)
}
console.log(`budget: holding ${held.length} user digest(s); probing the heap`)
await ds.sleep(1000)
const filler: Buffer[] = []
for (;;) {
    filler.push(Buffer.alloc(CHUNK))
    console.log(`budget: filler ${filler.length} x ${CHUNK} B`)
    await ds.sleep(10)
}
