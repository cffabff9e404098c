/**
 * Questions on the terminal: the broker's user name and password, a new user's code, a backup's
 * passphrase. Hidden answers are never echoed; a secret never comes from the command line.
 */

/** Asks for a line on the terminal (stderr), without echo when `hidden`. */
export function promptLine(prompt: string, hidden: boolean): Promise<string> {
    const stdin = process.stdin
    return new Promise((resolve, reject) => {
        // echo off before the prompt shows: a line typed as soon as it appears is never echoed
        stdin.setRawMode(true)
        process.stderr.write(prompt)
        let s = ""
        stdin.resume()
        const onData = (b: Buffer) => {
            for (const ch of b.toString("utf8")) {
                if (ch === "\r" || ch === "\n") {
                    stdin.setRawMode(false)
                    stdin.pause()
                    stdin.off("data", onData)
                    process.stderr.write("\n")
                    return resolve(s)
                }
                if (ch === "\u0003") {
                    stdin.setRawMode(false)
                    stdin.pause()
                    stdin.off("data", onData)
                    return reject(new Error("cancelled"))
                }
                if (ch === "\u007f") {
                    if (s.length > 0 && !hidden) process.stderr.write("\b \b")
                    s = s.slice(0, -1)
                } else {
                    s += ch
                    if (!hidden) process.stderr.write(ch)
                }
            }
        }
        stdin.on("data", onData)
    })
}

/** Whether the user can be asked (standard input and error on a terminal). */
export function canPrompt(): boolean {
    return !!process.stdin.isTTY && !!process.stderr.isTTY
}
