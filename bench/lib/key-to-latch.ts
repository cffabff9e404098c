/**
 * Key-to-latch timing on a simulated board, as bench/latency.ts measures it: from the keypad's
 * Down event for the final '#' of a right code to the firmware writing the unlocked angle to the
 * latch servo (jacdac-ts REPORT_RECEIVE: every write counts, so the latch need not be relocked
 * between unlocks). The code is typed at `keyMs` held + `gapMs` between keys.
 */
import { performance } from "node:perf_hooks"
import { REPORT_RECEIVE } from "jacdac-ts"
import { SimulatedBoard, sleep } from "../../sim/board"

export async function timeKeyToLatch(board: SimulatedBoard, code: string, count: number, keyMs = 40, gapMs = 60, onEach?: (i: number) => void): Promise<number[]> {
    let opened = 0
    const onAngle = () => {
        if (board.isUnlocked()) opened = performance.now()
    }
    board.latch.angle.on(REPORT_RECEIVE, onAngle)
    const samples: number[] = []
    try {
        for (let i = 0; i < count; i++) {
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
            await sleep(gapMs)
            onEach?.(i)
        }
    } finally {
        board.latch.angle.off(REPORT_RECEIVE, onAngle)
    }
    return samples
}
