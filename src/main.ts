/** Latchkey firmware entry point: everything lives in ./firmware (adapters) and ./core (logic). */
import { startLock } from "./firmware/lock"
import { startBoard } from "./firmware/board"

startBoard()
await startLock()
