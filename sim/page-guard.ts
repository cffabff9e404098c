/**
 * Who may use the simulator's page and its WebSocket: only a request addressed to this server by
 * its own name (Host 127.0.0.1 or localhost at its port: a DNS-rebinding page has another Host),
 * sent from its own page (an Origin, when the browser sends one, of that same address: any other
 * web page has another Origin) and carrying this run's secret token (`?token=…` in the URL the
 * simulator prints; the page passes it on to every request it makes). Without this, any web page
 * open in the same browser could open the WebSocket, read the console and drive the board's bus.
 *
 * The token travels only in URLs of this origin, never in a cookie: cookies do not tell ports
 * apart, so a cookie would reach every other server on 127.0.0.1 and be sent along by their pages.
 */
import { createHash, randomBytes, timingSafeEqual } from "node:crypto"
import type { IncomingMessage } from "node:http"
import { TOKEN_PARAM } from "../web/protocol"

export type Admission = { ok: true } | { ok: false; reason: string }

/** A header value as it may be shown in a log line: quoted, escaped, cut short. */
function shown(value: string): string {
    return JSON.stringify(value.length > 80 ? value.slice(0, 80) + "…" : value)
}

const digest = (s: string) => createHash("sha256").update(s, "utf8").digest()

export class PageGuard {
    /** This run's secret (192 random bits, URL-safe). */
    readonly token = randomBytes(24).toString("base64url")
    private readonly tokenDigest = digest(this.token)
    private readonly hosts: Set<string>
    private readonly origins: Set<string>

    /** `port`: where the server listens; `bindHost`: the address it listens on (127.0.0.1). */
    constructor(readonly port: number, bindHost: string) {
        const names = new Set(["127.0.0.1", "localhost"])
        if (bindHost !== "0.0.0.0" && bindHost !== "::") names.add(bindHost.includes(":") ? `[${bindHost}]` : bindHost)
        this.hosts = new Set([...names].map(n => `${n}:${port}`))
        if (port === 80) for (const n of names) this.hosts.add(n)
        this.origins = new Set([...this.hosts].map(h => `http://${h}`))
    }

    /** The address to print and open: the page with this run's token. */
    url(bindHost: string): string {
        const host = bindHost === "0.0.0.0" || bindHost === "::" ? "127.0.0.1" : bindHost.includes(":") ? `[${bindHost}]` : bindHost
        return `http://${host}:${this.port}/?${TOKEN_PARAM}=${this.token}`
    }

    /** Whether `req` (a page, a file or the WebSocket upgrade) comes from this run's own page. */
    admit(req: IncomingMessage): Admission {
        const host = req.headers.host
        if (!host) return { ok: false, reason: "no Host header" }
        if (!this.hosts.has(host.toLowerCase()))
            return { ok: false, reason: `Host ${shown(host)} is not this simulator's address (a DNS-rebinding page?)` }
        const origin = req.headers.origin
        if (origin !== undefined && !this.origins.has(origin.toLowerCase()))
            return { ok: false, reason: `it comes from another web page (Origin ${shown(origin)})` }
        let token: string | null
        try {
            token = new URL(req.url ?? "/", "http://x").searchParams.get(TOKEN_PARAM)
        } catch {
            return { ok: false, reason: "the request's URL does not parse" }
        }
        if (token === null) return { ok: false, reason: "no token (open the URL the simulator printed)" }
        // compared as digests, in constant time: the token is a secret
        if (!timingSafeEqual(digest(token), this.tokenDigest))
            return { ok: false, reason: "wrong token (a page from an earlier run? open the URL the simulator printed)" }
        return { ok: true }
    }
}
