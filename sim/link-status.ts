/**
 * The lock's link to the MQTT broker as the firmware says it on its console (its "net: …" lines,
 * src/firmware/net/link.ts and lock-link.ts): connected, reconnecting (a connection that was up
 * dropped), offline (the broker unreachable or refusing the lock). Only the firmware's own
 * console.log lines count (they start "> "): the simulator's notes cannot pass for them. Pure:
 * no clock, no I/O (unit-tested in test/web/link-status.test.ts).
 */
import type { LinkState } from "../web/protocol"

export interface LinkReading {
    link: LinkState
    /** What the firmware last said about the link, in a few words. */
    detail?: string
    /** The lock id in its topics (its bus device id), once the firmware said it. */
    lockId?: string
}

/** What one console line says about the link, or undefined when it says nothing about it. */
export function linkLine(line: string): Partial<LinkReading> | undefined {
    const m = /^> net: (.*)$/.exec(line)
    if (!m) return undefined
    const text = m[1]
    let r: RegExpExecArray | null
    if ((r = /^lock id ([0-9a-f]{16}),/.exec(text))) return { lockId: r[1] }
    if ((r = /^connected to (\S+)/.exec(text))) return { link: "connected", detail: `connected to ${r[1]}` }
    if ((r = /^connection to (\S+) lost/.exec(text))) return { link: "reconnecting", detail: `connection to ${r[1]} lost; dialling again` }
    if ((r = /^broker (\S+) unreachable \((\d+) attempt/.exec(text))) return { link: "offline", detail: `${r[1]} unreachable (${r[2]} attempt${r[2] === "1" ? "" : "s"})` }
    if ((r = /^the broker refused the connection: (.*)$/.exec(text))) return { link: "offline", detail: `the broker refused the lock: ${r[1]}` }
    if (/^no broker host/.test(text)) return { link: "offline", detail: "no broker host set" }
    if (/no network link/.test(text)) return { link: "offline", detail: "no network link" }
    return undefined
}

/** The link's state, followed line by line through the firmware's console. */
export class LinkStatus {
    private reading: LinkReading = { link: "off" }

    get current(): LinkReading {
        return { ...this.reading }
    }

    /** Takes one console line; true when it changed what is known of the link. */
    take(line: string): boolean {
        const said = linkLine(line)
        if (!said) return false
        const next = { ...this.reading, ...said }
        const changed = next.link !== this.reading.link || next.detail !== this.reading.detail || next.lockId !== this.reading.lockId
        this.reading = next
        return changed
    }

    /** The VM stopped ("off") or booted again ("starting"): nothing it said before holds (the lock id does). */
    reset(link: "off" | "starting") {
        this.reading = { link, lockId: this.reading.lockId }
    }
}
