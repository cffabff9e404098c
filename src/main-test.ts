/**
 * Entry point of the TEST firmware (build/firmware-fast.devs): the shipping firmware plus a
 * test-only way to set the wall clock over the bus (./firmware/testclock.ts). Never ships.
 */
import { setClock, startLock, wallClockSeconds } from "./firmware/lock"
import { startBoard } from "./firmware/board"
import { startTestClock } from "./firmware/testclock"

startBoard()
await startLock()
startTestClock({ wallSeconds: wallClockSeconds, setClock: setClock })
