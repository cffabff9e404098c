/**
 * The companion's broker options: the URL `--mqtt` takes, and where the broker's user name and
 * password come from (the environment, or a prompt on a terminal; never the command line, where
 * the shell's history and the process list would keep them).
 */

/** Environment variables the broker's credentials come from. */
export const USER_ENV = "LATCHKEY_MQTT_USER"
export const PASSWORD_ENV = "LATCHKEY_MQTT_PASSWORD"

/**
 * `--mqtt`'s value, checked: mqtt://HOST[:PORT] or mqtts://HOST[:PORT] (default ports 1883 and
 * 8883). Returns the URL as the `mqtt` package takes it; throws Error with what is wrong.
 */
export function parseBrokerUrl(v: string): string {
    let u: URL
    try {
        u = new URL(v)
    } catch {
        throw new Error(`--mqtt takes mqtt://HOST:PORT or mqtts://HOST:PORT, not "${v}"`)
    }
    if (u.protocol !== "mqtt:" && u.protocol !== "mqtts:")
        throw new Error(`--mqtt takes mqtt://HOST:PORT or mqtts://HOST:PORT (TLS); "${u.protocol}" is not an MQTT scheme`)
    if (u.username || u.password)
        throw new Error(
            `--mqtt: a user name or password in the URL is refused (the shell's history and the process list would keep it): set ${USER_ENV} and ${PASSWORD_ENV}, or run on a terminal to be asked`,
        )
    if (!u.hostname) throw new Error(`--mqtt: no host in "${v}"`)
    if ((u.pathname && u.pathname !== "/") || u.search || u.hash) throw new Error(`--mqtt takes mqtt://HOST:PORT only (no path, query or fragment), not "${v}"`)
    const port = u.port || (u.protocol === "mqtts:" ? "8883" : "1883")
    return `${u.protocol}//${u.hostname}:${port}`
}

export interface BrokerCredentials {
    username?: string
    password?: string
}

/** The credentials the environment gives (none: anonymous). */
export function credentialsFromEnv(env: NodeJS.ProcessEnv = process.env): BrokerCredentials {
    const username = env[USER_ENV]
    const password = env[PASSWORD_ENV]
    if (username === undefined || username === "") return password ? { password } : {}
    return { username, password }
}

