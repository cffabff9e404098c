/**
 * What a case of the pure lock core gets from its runner, and what a case file exports.
 *
 * The cases under test/cases/ are written once, in the TypeScript subset DeviceScript compiles,
 * and run twice: by vitest in Node (test/core/cases.test.ts) and inside the VM
 * (test/firmware/run-cases.ts, in the programs test/firmware/core-*.devs.ts). Each reports through
 * `check.eq(actual, expected, what)` with strings, so both runners compare the same way.
 */
import { Bytes } from "../../src/core/index"

export interface Check {
    /** One assertion: `actual` must equal `expected`; `what` names it in the failure. */
    eq(actual: string, expected: string, what: string): void
    /** Lets the runner breathe (the VM panics after ~100k opcodes without a suspension). */
    breathe(): Promise<void>
    /** HMAC-SHA256 of `message` under `key`: node:crypto in Node, @devicescript/crypto in the VM. */
    hmac(key: string, message: string | Bytes): Bytes
}

export interface Case {
    name: string
    run: (check: Check) => Promise<void>
}

/** The cases of one behaviour of the core (one file under test/cases/). */
export interface Suite {
    name: string
    cases: Case[]
}

/**
 * Makes a suite when called. Case files export these rather than suites: the VM then holds only
 * the suite it runs on its 64 KB heap, and a VM program compiles only the suites it calls.
 */
export type SuiteMaker = () => Suite
