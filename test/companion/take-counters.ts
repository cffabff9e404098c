/**
 * Takes counters from a key file the way `latchkey` runs do (KeyStore.takeCounter), for the
 * key-file test's two processes at once. Prints "ready", waits for a line on standard input (so
 * both processes start together), takes N counters and prints them, one a line.
 *
 *   node --import tsx test/companion/take-counters.ts KEY_FILE LOCK N
 */
import { KeyStore } from "../../companion/keyfile"

const [path, lock, n] = process.argv.slice(2)
const store = new KeyStore(path)
process.stdout.write("ready\n")
process.stdin.once("data", () => {
    const taken: number[] = []
    for (let i = 0; i < Number(n); i++) taken.push(store.takeCounter(lock)!.counter)
    process.stdout.write(taken.join("\n") + "\n", () => process.exit(0))
})
