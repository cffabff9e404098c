/** The buzzer, heard: each PlayTone as a short square wave through Web Audio. */
import type { Tone } from "./logic"

export class BuzzerSound {
    private ctx: AudioContext | undefined
    muted = false

    /** Browsers start audio only after a gesture on the page: call this from one. */
    unlock() {
        if (!this.ctx) {
            try {
                this.ctx = new AudioContext()
            } catch {
                return
            }
        }
        if (this.ctx.state === "suspended") void this.ctx.resume()
    }

    play(tone: Tone) {
        const ctx = this.ctx
        if (this.muted || !ctx || ctx.state !== "running") return
        const t0 = ctx.currentTime
        const t1 = t0 + tone.ms / 1000
        const osc = ctx.createOscillator()
        osc.type = "square"
        osc.frequency.value = tone.hz
        const gain = ctx.createGain()
        // a piezo is loud: keep it modest, with short ramps so notes do not click
        const level = 0.06 * tone.volume
        gain.gain.setValueAtTime(0, t0)
        gain.gain.linearRampToValueAtTime(level, t0 + 0.004)
        gain.gain.setValueAtTime(level, Math.max(t0 + 0.004, t1 - 0.004))
        gain.gain.linearRampToValueAtTime(0, t1)
        osc.connect(gain).connect(ctx.destination)
        osc.start(t0)
        osc.stop(t1 + 0.01)
    }
}
