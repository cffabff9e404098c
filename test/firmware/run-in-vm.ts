/**
 * Runs a compiled @devicescript/test program (build/<name>.devs) in the real VM and returns its
 * summary: the in-VM test files share this so each says only what it expects of the counts.
 */
import { runProgram } from "../../sim/vm"

export interface DevsTestRun {
    total: number
    pass: number
    error: number
    /** Everything the VM printed, for failure messages. */
    log: string
}

export async function runDevsTests(name: string, timeoutMs = 45_000): Promise<DevsTestRun> {
    const run = await runProgram(name, /tests: \d+, pass: \d+, error: \d+/, timeoutMs)
    const log = run.lines.join("\n")
    if (!run.matched) throw new Error(run.stopped ? `the VM program stopped:\n${log}` : `no test summary; VM said:\n${log}`)
    const [, total, pass, error] = /tests: (\d+), pass: (\d+), error: (\d+)/.exec(run.matched)!.map(Number)
    return { total, pass, error, log }
}
