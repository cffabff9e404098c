/**
 * Key-to-latch timing on a simulated board, as bench/latency.ts measures it: from the keypad's
 * Down event for the final '#' of a right code to the firmware writing the unlocked angle to the
 * latch servo (jacdac-ts REPORT_RECEIVE: every write counts, so the latch need not be relocked
 * between unlocks). The code is typed at `keyMs` held + `gapMs` between keys.
 */
import { performance } from "node:perf_hooks"
import { REPORT_RECEIVE } from "jacdac-ts"
import { SimulatedBoard, sleep } from "../../sim/board"

/** How the code is typed, and what runs around each unlock. */
export interface KeyToLatchOptions {
    /** How long each code key is held (default 40 ms). */
    keyMs?: number
    /** The pause after each code key (default 60 ms). */
    gapMs?: number
    /** The pause after each unlock's '#' is released (default `gapMs`; 0: none). */
    pauseMs?: number
    /** Runs before unlock `i` is typed (not timed): to relock the latch, say. */
    before?: (i: number) => Promise<void>
    /** Runs after unlock `i` (and its pause). */
    after?: (i: number) => void
}

/** Times `count` unlocks with `code`: the milliseconds from each '#' Down event to the latch's unlocked angle. */
export async function timeKeyToLatch(board: SimulatedBoard, code: string, count: number, o: KeyToLatchOptions = {}): Promise<number[]> {
    const keyMs = o.keyMs ?? 40
    const gapMs = o.gapMs ?? 60
    const pauseMs = o.pauseMs ?? gapMs
    let opened = 0
    const onAngle = () => {
        if (board.isUnlocked()) opened = performance.now()
    }
    board.latch.angle.on(REPORT_RECEIVE, onAngle)
    const samples: number[] = []
    try {
        for (let i = 0; i < count; i++) {
            await o.before?.(i)
            for (const k of code) {
                await board.press(k, keyMs)
                await sleep(gapMs)
            }
            opened = 0
            const t0 = performance.now()
            await board.keyDown("#")
            await board.waitUntil(() => opened > t0, "the latch to open", 5000)
            samples.push(opened - t0)
            await board.keyUp("#")
            if (pauseMs > 0) await sleep(pauseMs)
            o.after?.(i)
        }
    } finally {
        board.latch.angle.off(REPORT_RECEIVE, onAngle)
    }
    return samples
}
