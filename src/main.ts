/** Latchkey firmware entry point: everything lives in ./firmware (adapters) and ./core (logic). */
import { startLock } from "./firmware/lock"

await startLock()
